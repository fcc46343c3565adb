"""Citation styles of the kmeta book (a local Sphinx extension, see _config.yml).

The book cites author-year. sphinxcontrib-bibtex's ``author_year`` style puts square
brackets around citations and pybtex labels the bibliography list with alpha labels
("OOBC19"); this extension registers two small plugins so that both read naturally:

* referencing style ``author_year_round``: ``{cite:p}`orhurhu2019``` renders
  "(Orhurhu et al., 2019)", ``{cite:t}`orhurhu2019``` renders "Orhurhu et al. (2019)",
  several keys are separated by semicolons;
* bibliography style ``kmeta``: the formatting of pybtex's ``unsrt``/``plain`` styles,
  entries sorted by first author, year and title, and labelled "Amr 2010",
  "Mitchell and Fallon 2002" or "Orhurhu et al. 2019" (a, b, ... appended when two
  entries would share a label).

Selected in _config.yml with ``bibtex_reference_style: author_year_round`` and
``bibtex_default_style: kmeta``.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from collections import Counter

from pybtex.plugin import register_plugin as register_pybtex_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """``author_year`` with round brackets and ``;`` between references."""

    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def _surname(person) -> str:
    """Last name(s) of a person, without the braces that protect corporate names."""
    name = " ".join(person.prelast_names + person.last_names)
    return name.replace("{", "").replace("}", "")


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels such as "Amr 2010", "Mitchell and Fallon 2002", "Orhurhu et al. 2019"."""

    def format_labels(self, sorted_entries):
        labels = [self.format_label(entry) for entry in sorted_entries]
        count = Counter(labels)
        seen: Counter = Counter()
        for label in labels:
            if count[label] == 1:
                yield label
            else:
                yield label + chr(ord("a") + seen[label])
                seen[label] += 1

    def format_label(self, entry) -> str:
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        if not persons:
            who = entry.fields.get("key") or entry.fields.get("title", entry.key)
            who = who.replace("{", "").replace("}", "")
        elif len(persons) == 1:
            who = _surname(persons[0])
        elif len(persons) == 2 and str(persons[1]) != "others":
            who = f"{_surname(persons[0])} and {_surname(persons[1])}"
        else:
            who = f"{_surname(persons[0])} et al."
        year = entry.fields.get("year", "n.d.")
        return f"{who} {year}"


def _plain(text: str) -> str:
    """Lower-case ASCII form of a name or title for sorting ("Röver" sorts as "rover")."""
    text = text.replace("{", "").replace("}", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return text.lower()


class FirstAuthorYearTitleSortingStyle(BaseSortingStyle):
    """Sort by first author (or editor, or ``key``, or title), then by one, two or more
    authors, then year, then title.

    Unlike pybtex's ``author_year_title`` this ignores protective braces and accents, so
    corporate authors ("{SBU Enquiry Service}") and entries without authors are filed
    under their first letter rather than at the end of the list.
    """

    def sorting_key(self, entry):
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        if persons:
            who = _surname(persons[0])
        else:
            who = entry.fields.get("key") or entry.fields.get("title", entry.key)
        return (
            _plain(who),
            min(len(persons), 3),  # one author, two authors, "et al."
            entry.fields.get("year", "9999"),
            _plain(entry.fields.get("title", "")),
        )


class KmetaStyle(UnsrtStyle):
    """``unsrt`` formatting, first-author-year-title order, author-year labels."""

    default_sorting_style = "kmeta_first_author_year_title"
    default_label_style = "kmeta_author_year"


def setup(app):
    register_pybtex_plugin("pybtex.style.labels", "kmeta_author_year", AuthorYearLabelStyle)
    register_pybtex_plugin(
        "pybtex.style.sorting", "kmeta_first_author_year_title", FirstAuthorYearTitleSortingStyle
    )
    register_pybtex_plugin("pybtex.style.formatting", "kmeta", KmetaStyle)
    register_bibtex_plugin(
        "sphinxcontrib.bibtex.style.referencing",
        "author_year_round",
        RoundAuthorYearReferenceStyle,
    )
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
