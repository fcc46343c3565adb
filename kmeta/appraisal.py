"""AMSTAR 2 as data and rules: appraising a systematic review of healthcare interventions.

AMSTAR 2 (Shea et al. 2017, BMJ 358:j4008; bibliography key ``shea2017``) asks 16
questions about how a systematic review was planned, searched, selected, extracted,
appraised, synthesised and reported. It is deliberately *not* a score: seven items are
proposed as *critical domains* (2, 4, 7, 9, 11, 13 and 15), and the overall confidence
in the review's results follows from how many critical items are not met ("critical
flaws") and how many of the other items are not met ("non-critical weaknesses"):

=================  ===========================================================
rating             rule
=================  ===========================================================
high               no critical flaw and at most one non-critical weakness
moderate           no critical flaw, more than one non-critical weakness
low                exactly one critical flaw, with or without weaknesses
critically low     more than one critical flaw, with or without weaknesses
=================  ===========================================================

The rules are applied by :func:`rating_from_counts`; :func:`rate` takes one response
per item, checks it, counts flaws and weaknesses and returns an :class:`AmstarRating`
with the rating, the counts, the items behind them and the reasoning in words.

The item wording here is our paraphrase (the instrument itself should be read in the
original publication); :data:`ITEMS` holds, for each item, a short domain name, the
paraphrased question, whether it is a critical domain and which responses it allows:

* every item allows ``"yes"`` and ``"no"``;
* items 2, 4, 7, 8 and 9 also allow ``"partial yes"``;
* items 11, 12 and 15, which only make sense when results were pooled, also allow
  ``"no meta-analysis conducted"`` (not counted either way).

Two choices that AMSTAR 2 leaves to the appraiser are parameters of :func:`rate`:

``partial_yes``
    whether a "partial yes" counts as meeting the item (``"met"``, the common reading
    and the default) or as a flaw/weakness (``"unmet"``, the strict reading);
``critical``
    which items are critical; the authors of AMSTAR 2 propose the seven above but say
    appraisers may adapt the list to their question.

Items 9 and 11 are answered separately for randomised and non-randomised studies in
the instrument; this module takes one response per item, so for a review that includes
both designs give the less favourable of the two.

:func:`judgements` loads an appraisal stored as data (``kmeta/data/appraisal/``), one
row per item with the response and its provenance.

Examples
--------
>>> from kmeta.appraisal import rate
>>> answers = {i: "yes" for i in range(1, 17)}
>>> rate(answers).rating
'high'
>>> answers.update({3: "no", 10: "no"})
>>> rate(answers).rating
'moderate'
>>> answers[7] = "no"
>>> r = rate(answers)
>>> r.rating, r.critical_flaws, r.noncritical_weaknesses
('low', 1, 2)
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ._result import Result

__all__ = [
    "RESPONSES",
    "RATINGS",
    "CRITICAL_ITEMS",
    "Item",
    "ITEMS",
    "items",
    "normalize_response",
    "rating_from_counts",
    "AmstarRating",
    "rate",
    "judgements",
]

YES, PARTIAL, NO, NMA = "yes", "partial yes", "no", "no meta-analysis conducted"

#: The four responses AMSTAR 2 uses (not every item allows every one).
RESPONSES: tuple[str, ...] = (YES, PARTIAL, NO, NMA)

#: The overall confidence ratings, from best to worst.
RATINGS: tuple[str, ...] = ("high", "moderate", "low", "critically low")

#: The critical domains proposed by Shea et al. (2017).
CRITICAL_ITEMS: tuple[int, ...] = (2, 4, 7, 9, 11, 13, 15)

def _key(text: str) -> str:
    """Lower case, hyphens and underscores as spaces, single spaces."""
    return " ".join(text.strip().lower().replace("-", " ").replace("_", " ").split())


_ALIASES: dict[str, str] = {_key(k): v for k, v in {
    "y": YES, "yes": YES,
    "py": PARTIAL, "partial yes": PARTIAL, "partial": PARTIAL, "partially": PARTIAL,
    "n": NO, "no": NO,
    "nma": NMA, "no meta-analysis conducted": NMA, "no meta-analysis": NMA,
    "no ma": NMA, "not applicable": NMA, "na": NMA,
}.items()}


@dataclasses.dataclass(frozen=True)
class Item:
    """One AMSTAR 2 item: number, short domain name, paraphrased question, responses."""

    number: int
    domain: str
    question: str
    responses: tuple[str, ...]

    @property
    def critical(self) -> bool:
        """Whether the item is one of the proposed critical domains (:data:`CRITICAL_ITEMS`)."""
        return self.number in CRITICAL_ITEMS


_YN = (YES, NO)
_YPN = (YES, PARTIAL, NO)
_YNM = (YES, NO, NMA)

#: The 16 items, in order (questions paraphrased, not the instrument's wording).
ITEMS: tuple[Item, ...] = (
    Item(1, "PICO",
         "Do the review question and the eligibility criteria name the population, the "
         "intervention, the comparator and the outcomes?", _YN),
    Item(2, "protocol",
         "Were the review methods fixed in advance (a protocol, ideally registered), and "
         "are any important departures from them explained?", _YPN),
    Item(3, "study designs",
         "Do the authors give a reason for the study designs they chose to include?", _YN),
    Item(4, "search",
         "Was the literature search thorough (several databases, stated terms, reference "
         "lists, trial registries, grey literature, experts, recent enough)?", _YPN),
    Item(5, "duplicate selection",
         "Did at least two people select the studies independently, or check each other's "
         "selection?", _YN),
    Item(6, "duplicate extraction",
         "Did at least two people extract the data independently, or check each other's "
         "extraction?", _YN),
    Item(7, "excluded studies",
         "Is there a list of the studies excluded after reading the full text, with a "
         "reason for each?", _YPN),
    Item(8, "included studies described",
         "Are the included studies described in enough detail (population, intervention "
         "and dose, comparator, outcomes, design, setting, follow-up)?", _YPN),
    Item(9, "risk-of-bias technique",
         "Was the risk of bias of each included study assessed with an adequate technique "
         "(covering at least allocation, blinding and selective reporting)?", _YPN),
    Item(10, "funding of studies",
         "Does the review report where the funding of each included study came from?", _YN),
    Item(11, "meta-analytic methods",
         "If results were pooled, were the statistical methods appropriate (combining "
         "justified, suitable weighting and model, heterogeneity allowed for and "
         "investigated)?", _YNM),
    Item(12, "risk-of-bias impact on the synthesis",
         "If results were pooled, did the authors examine how the studies' risk of bias "
         "might change the pooled result?", _YNM),
    Item(13, "risk of bias in interpretation",
         "Was the studies' risk of bias taken into account when the results were "
         "interpreted and discussed?", _YN),
    Item(14, "heterogeneity",
         "Is any heterogeneity among the study results explained and its consequences "
         "discussed?", _YN),
    Item(15, "publication bias",
         "If results were pooled, were small-study effects and publication bias "
         "investigated adequately and their likely impact discussed?", _YNM),
    Item(16, "conflicts of interest",
         "Do the authors report their possible conflicts of interest, including the "
         "funding of the review itself?", _YN),
)

_BY_NUMBER: dict[int, Item] = {it.number: it for it in ITEMS}


def items() -> pd.DataFrame:
    """The 16 items as a table: ``item``, ``domain``, ``question``, ``critical``, ``responses``.

    ``responses`` lists the allowed responses, separated by " / ".
    """
    return pd.DataFrame({
        "item": [it.number for it in ITEMS],
        "domain": [it.domain for it in ITEMS],
        "question": [it.question for it in ITEMS],
        "critical": [it.critical for it in ITEMS],
        "responses": [" / ".join(it.responses) for it in ITEMS],
    })


def _item_number(key) -> int:
    """Read an item key (16, "16", "item 16", "Q16") as an int in 1..16."""
    if isinstance(key, (bool, np.bool_)):
        raise ValueError(f"judgements: item {key!r} is not an AMSTAR 2 item (expected 1 to 16)")
    if isinstance(key, (int, np.integer)):
        number = int(key)
    elif isinstance(key, (float, np.floating)) and float(key).is_integer():
        number = int(key)
    elif isinstance(key, str):
        text = key.strip().lower()
        for prefix in ("item", "q"):
            if text.startswith(prefix):
                text = text[len(prefix):].strip()
        if not text.isdigit():
            raise ValueError(f"judgements: item {key!r} is not an AMSTAR 2 item (expected 1 to 16)")
        number = int(text)
    else:
        raise ValueError(f"judgements: item {key!r} is not an AMSTAR 2 item (expected 1 to 16)")
    if number not in _BY_NUMBER:
        raise ValueError(f"judgements: item {key!r} is not an AMSTAR 2 item (expected 1 to 16)")
    return number


def normalize_response(value, item: int) -> str:
    """The canonical response for ``value`` (``"Y"``, ``"PY"``, ``"N"``, ``"NMA"`` ... accepted).

    Raises ``ValueError`` naming the item if the response is unknown or not allowed for
    that item (for example "partial yes" for item 1, or "no meta-analysis conducted" for
    item 13).
    """
    number = _item_number(item)
    allowed = _BY_NUMBER[number].responses
    if not isinstance(value, str):
        raise ValueError(
            f"judgements: item {number}: response {value!r} is not text; allowed: {', '.join(allowed)}"
        )
    canonical = _ALIASES.get(_key(value))
    if canonical is None:
        raise ValueError(
            f"judgements: item {number}: {value!r} is not an AMSTAR 2 response; allowed: {', '.join(allowed)}"
        )
    if canonical not in allowed:
        raise ValueError(
            f"judgements: item {number}: {canonical!r} is not allowed for this item; "
            f"allowed: {', '.join(allowed)}"
        )
    return canonical


def _count(value, field: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{field}: expected a whole number >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{field}: expected a whole number >= 0, got {value}")
    return int(value)


def rating_from_counts(critical_flaws: int, noncritical_weaknesses: int) -> str:
    """The AMSTAR 2 overall confidence rating for the given counts.

    Parameters
    ----------
    critical_flaws : int
        Critical items not met.
    noncritical_weaknesses : int
        Non-critical items not met.

    Returns
    -------
    str
        ``"high"`` (no critical flaw, at most one weakness), ``"moderate"`` (no critical
        flaw, more than one weakness), ``"low"`` (one critical flaw) or
        ``"critically low"`` (more than one critical flaw).

    >>> rating_from_counts(0, 1), rating_from_counts(0, 2), rating_from_counts(1, 0), rating_from_counts(2, 0)
    ('high', 'moderate', 'low', 'critically low')
    """
    cf = _count(critical_flaws, "critical_flaws")
    nw = _count(noncritical_weaknesses, "noncritical_weaknesses")
    if cf > 1:
        return "critically low"
    if cf == 1:
        return "low"
    if nw > 1:
        return "moderate"
    return "high"


def _items_text(numbers) -> str:
    numbers = list(numbers)
    if not numbers:
        return "none"
    word = "item" if len(numbers) == 1 else "items"
    return f"{word} " + ", ".join(str(n) for n in numbers)


def _reasoning(rating: str, cf_items, nw_items, partial_items, na_items, partial_yes: str) -> str:
    cf, nw = len(cf_items), len(nw_items)
    flaws = f"{cf} critical flaw{'s' if cf != 1 else ''} ({_items_text(cf_items)})"
    weak = f"{nw} non-critical weakness{'es' if nw != 1 else ''} ({_items_text(nw_items)})"
    if cf > 1:
        rule = "more than one critical flaw gives 'critically low', whatever the non-critical weaknesses"
    elif cf == 1:
        rule = "exactly one critical flaw gives 'low', whatever the non-critical weaknesses"
    elif nw > 1:
        rule = "no critical flaw but more than one non-critical weakness gives 'moderate'"
    else:
        rule = "no critical flaw and at most one non-critical weakness gives 'high'"
    text = f"{flaws} and {weak}: {rule}."
    if partial_items:
        how = "met" if partial_yes == "met" else "not met"
        text += f" 'Partial yes' ({_items_text(partial_items)}) counted as {how}."
    if na_items:
        text += f" No meta-analysis, so {_items_text(na_items)} not applicable."
    return text


@dataclasses.dataclass(frozen=True, repr=False)
class AmstarRating(Result):
    """Result of :func:`rate`: the overall confidence rating and how it was reached.

    Attributes
    ----------
    rating : str
        One of :data:`RATINGS`.
    critical_flaws : int
        Critical items not met.
    noncritical_weaknesses : int
        Other items not met.
    critical_flaw_items : tuple of int
        The items behind ``critical_flaws``.
    weakness_items : tuple of int
        The items behind ``noncritical_weaknesses``.
    partial_yes_items : tuple of int
        Items answered "partial yes".
    not_applicable_items : tuple of int
        Items answered "no meta-analysis conducted".
    partial_yes : str
        How "partial yes" was counted (``"met"`` or ``"unmet"``).
    critical : tuple of int
        The items treated as critical domains.
    reasoning : str
        The rule applied, in words.
    table : DataFrame
        One row per item: ``item``, ``domain``, ``critical``, ``response`` and
        ``counts_as`` (``"met"``, ``"critical flaw"``, ``"non-critical weakness"`` or
        ``"not applicable"``).
    """

    rating: str
    critical_flaws: int
    noncritical_weaknesses: int
    critical_flaw_items: tuple
    weakness_items: tuple
    partial_yes_items: tuple
    not_applicable_items: tuple
    partial_yes: str
    critical: tuple
    reasoning: str
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row: the rating, the counts, the item lists (as "7, 11, 15") and the reasoning."""
        def join(items):
            return ", ".join(str(i) for i in items)

        return pd.DataFrame([{
            "rating": self.rating,
            "critical_flaws": self.critical_flaws,
            "noncritical_weaknesses": self.noncritical_weaknesses,
            "critical_flaw_items": join(self.critical_flaw_items),
            "weakness_items": join(self.weakness_items),
            "partial_yes_items": join(self.partial_yes_items),
            "not_applicable_items": join(self.not_applicable_items),
            "partial_yes": self.partial_yes,
            "critical": join(self.critical),
            "reasoning": self.reasoning,
        }])

    def summary(self) -> str:
        lines = ["AMSTAR 2 appraisal", "", f"{'item':>4}  {'domain':<37} {'crit':<5} {'response':<27} counts as"]
        for r in self.table.itertuples():
            lines.append(
                f"{r.item:>4}  {r.domain:<37} {'*' if r.critical else '':<5} {r.response:<27} {r.counts_as}"
            )
        lines += ["", f"Overall confidence: {self.rating.upper()}", self.reasoning]
        return "\n".join(lines)


def _as_mapping(judgements) -> dict[int, object]:
    """Read judgements (mapping item -> response, or a DataFrame) into {item number: raw response}."""
    if isinstance(judgements, pd.DataFrame):
        missing = [c for c in ("item", "response") if c not in judgements.columns]
        if missing:
            raise ValueError(f"judgements: a DataFrame needs the columns 'item' and 'response'; missing {missing}")
        pairs = list(zip(judgements["item"], judgements["response"]))
    elif isinstance(judgements, Mapping):
        pairs = list(judgements.items())
    else:
        raise ValueError(
            "judgements: expected a mapping {item: response} or a DataFrame with columns 'item' and 'response', "
            f"got {type(judgements).__name__}"
        )
    out: dict[int, object] = {}
    for key, value in pairs:
        number = _item_number(key)
        if number in out:
            raise ValueError(f"judgements: item {number} is given more than once")
        out[number] = value
    return out


def _critical_set(critical) -> tuple[int, ...]:
    if isinstance(critical, (str, bytes)) or not isinstance(critical, Iterable):
        raise ValueError(f"critical: expected item numbers such as (2, 4, 7), got {critical!r}")
    numbers = []
    for c in critical:
        try:
            numbers.append(_item_number(c))
        except ValueError:
            raise ValueError(f"critical: {c!r} is not an AMSTAR 2 item (expected 1 to 16)") from None
    return tuple(sorted(set(numbers)))


def rate(judgements, *, critical=CRITICAL_ITEMS, partial_yes: str = "met") -> AmstarRating:
    """Overall confidence in a review's results from its 16 AMSTAR 2 responses.

    Parameters
    ----------
    judgements : mapping or DataFrame
        One response per item: a mapping ``{item: response}`` (items as 1..16, "7",
        "item 7" or "Q7") or a DataFrame with columns ``item`` and ``response`` (such
        as :func:`judgements` returns). Responses are ``"yes"``, ``"partial yes"``,
        ``"no"`` or ``"no meta-analysis conducted"`` (``"Y"``, ``"PY"``, ``"N"``,
        ``"NMA"`` accepted), as each item allows.
    critical : iterable of int
        The critical domains (default: :data:`CRITICAL_ITEMS`).
    partial_yes : {"met", "unmet"}
        Count a "partial yes" as meeting the item (default) or as a flaw/weakness.

    Returns
    -------
    AmstarRating

    Raises
    ------
    ValueError
        An unknown item, an item given twice, a missing item, or a response that is
        unknown or not allowed for its item; the message names the item.
    """
    if partial_yes not in ("met", "unmet"):
        raise ValueError(f"partial_yes: expected 'met' or 'unmet', got {partial_yes!r}")
    crit = _critical_set(critical)
    raw = _as_mapping(judgements)
    missing = [n for n in _BY_NUMBER if n not in raw]
    if missing:
        raise ValueError(
            f"judgements: {_items_text(missing)} missing; every one of the 16 items needs a response"
        )
    rows = []
    cf_items, nw_items, partial_items, na_items = [], [], [], []
    for it in ITEMS:
        response = normalize_response(raw[it.number], it.number)
        is_critical = it.number in crit
        if response == NMA:
            counts_as = "not applicable"
            na_items.append(it.number)
        elif response == YES or (response == PARTIAL and partial_yes == "met"):
            counts_as = "met"
        else:
            counts_as = "critical flaw" if is_critical else "non-critical weakness"
            (cf_items if is_critical else nw_items).append(it.number)
        if response == PARTIAL:
            partial_items.append(it.number)
        rows.append({"item": it.number, "domain": it.domain, "critical": is_critical,
                     "response": response, "counts_as": counts_as})
    rating = rating_from_counts(len(cf_items), len(nw_items))
    return AmstarRating(
        rating=rating,
        critical_flaws=len(cf_items),
        noncritical_weaknesses=len(nw_items),
        critical_flaw_items=tuple(cf_items),
        weakness_items=tuple(nw_items),
        partial_yes_items=tuple(partial_items),
        not_applicable_items=tuple(na_items),
        partial_yes=partial_yes,
        critical=crit,
        reasoning=_reasoning(rating, cf_items, nw_items, partial_items, na_items, partial_yes),
        table=pd.DataFrame(rows),
    )


def judgements(review: str = "orhurhu2019") -> pd.DataFrame:
    """An AMSTAR 2 appraisal stored as data: ``kmeta/data/appraisal/<review>_amstar2.csv``.

    One row per item, in item order. Columns: ``item`` (int), ``domain``, ``critical``
    (from :data:`ITEMS`), ``response`` (canonical), ``location`` (where in the review
    the judgement rests), ``basis`` (our reasons, in words), ``book_evidence`` (what this
    book's own analyses found, with the function or chapter that shows it),
    ``scorecard_claims`` (claim ids of the review's scorecard that bear on the item,
    separated by ";"; may be empty), ``source``, ``kind`` and ``note``.

    Raises
    ------
    ValueError
        The file is missing, lacks provenance, or does not hold exactly one valid
        response for each of the 16 items (the message names the item).
    """
    from .reviews._provenance import DATA_ROOT, check_provenance, read_csv

    if not isinstance(review, str) or not review:
        raise ValueError(f"review: expected a review key such as 'orhurhu2019', got {review!r}")
    name = f"{review}_amstar2.csv"
    if not (DATA_ROOT / "appraisal" / name).is_file():
        raise ValueError(f"review: no appraisal stored for {review!r} (kmeta/data/appraisal/{name})")
    df = read_csv("appraisal", name)
    check_provenance(df, ["response"], f"appraisal/{name}")
    mapping = _as_mapping(df)  # unknown or repeated items
    checked = rate(mapping)  # missing items, invalid responses
    df = df.copy()
    df["item"] = [_item_number(i) for i in df["item"]]
    df["response"] = [normalize_response(v, i) for i, v in zip(df["item"], df["response"])]
    df = df.sort_values("item").reset_index(drop=True)
    info = checked.table.set_index("item")
    df.insert(1, "domain", df["item"].map(info["domain"]))
    df.insert(2, "critical", df["item"].map(info["critical"]).astype(bool))
    return df
