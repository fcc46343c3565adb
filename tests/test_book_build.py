"""The book's frame: configuration, table of contents, bibliography, and build behaviour.

What is tested where
--------------------
The real book is built once per CI run, by ``.ci/run`` (``jupyter-book build . -W -n
--keep-going`` on a clean ``_build``), and its pages are then checked in a browser by
``scripts/check_site.py``. pytest does not build the real book a second time.

This module checks, quickly, that the configuration files are valid and consistent
(every page in the TOC exists, every citation key used anywhere exists, the
bibliography is complete for the reference lists it promises), and, in two slow tests,
that the project's own build settings behave as the chapters rely on. Those slow tests
build throwaway books that use the project's ``_config.yml`` and local extensions
unchanged:

* a chapter notebook that raises must make the build fail;
* a chapter with a glued number, a figure with alt text and caption, a citation and an
  exercise with its solution must build without warnings and render all of them, with
  launch buttons.
"""
from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
BIB = ROOT / "book" / "references.bib"
REPOSITORY = "https://github.com/kmeta-book/kmeta"

# Keys that are not "surname + year" because the source has no personal author.
CORPORATE_KEYS = {"clinsummary", "practice2016", "orhurhu2019summary", "sbu2018", "fda2017",
                  "grade2017", "statacorp2013"}
# Keys the brief and the chapters rely on (beyond the numbered reference lists).
REQUIRED_KEYS = """
sbu2018 clinsummary practice2016 orhurhu2019summary orhurhu2019 michelet2018 zhao2018
cohen2018 dworkin2008 hocking2003 visser2006 bell2009 niesters2013 finnerup2015 schug2015
kapural2010 quinlan2012 jovaisa2006 dersimonian1986 paule1982 viechtbauer2005
viechtbauer2010 veroniki2016 hartung2001 sidik2002 knapp2003 inthout2014 higgins2002
higgins2003 higgins2009 riley2011 begg1994 egger1997 duval2000 wan2014 luo2018 hozo2005
freeman1950 miller1978 schwarzer2019 barendregt2013 rover2021 friede2017 wetterslev2008
lan1983 obrien1979 hedges2001 jackson2017 shea2017 guyatt2008 higgins2011 page2021
colditz1994 normand1999 dersimonian2007 mantel1959 greenland1985 yusuf1985 rucker2009
langan2019 higgins2019 nyaga2014
""".split()

CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def jupyter_book_executable() -> str:
    candidate = Path(sys.executable).with_name("jupyter-book")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed in this environment")
    return found


def load_config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- config --


def test_config_validates_against_jupyter_book_1_schema():
    from jupyter_book.config import validate_yaml

    config = load_config()
    validate_yaml(config, raise_on_errors=True)  # raises jsonschema.ValidationError
    assert config["only_build_toc_files"] is True


def test_failing_cells_fail_the_build_by_configuration():
    execute = load_config()["execute"]
    assert execute["execute_notebooks"] in ("cache", "force")
    assert execute["allow_errors"] is False
    assert execute["raise_on_error"] is True
    assert 30 <= execute["timeout"] <= 600


def test_repository_url_is_written_once():
    text = CONFIG.read_text(encoding="utf-8")
    assert text.count(REPOSITORY) == 1  # everything else refers to it (YAML anchor)
    config = load_config()
    assert config["repository"]["url"] == REPOSITORY
    assert config["sphinx"]["config"]["myst_substitutions"]["repo_url"] == REPOSITORY


def test_toc_parses_and_every_listed_file_exists():
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(TOC)
    assert site_map.file_format == "jb-book"
    docnames = list(site_map)
    assert "book/intro" in docnames
    missing = [d for d in docnames
               if not any((ROOT / f"{d}{suffix}").exists() for suffix in (".md", ".ipynb"))]
    assert missing == []
    parts = yaml.safe_load(TOC.read_text(encoding="utf-8"))["parts"]
    captions = [p["caption"] for p in parts]
    # the parts the book promises, in this order (later issues add parts between them)
    required = ["Start here", "The reviews", "Methods", "Reference"]
    assert [c for c in captions if c in required] == required
    assert captions[0] == "Start here" and captions[-1] == "Reference"
    assert all(p["chapters"] for p in parts)  # Sphinx refuses an empty part


def test_exactly_one_bibliography_directive():
    pages = list((ROOT / "book").glob("*.md")) + list((ROOT / "notebooks").glob("*.ipynb"))
    holders = [p.name for p in pages if "{bibliography}" in p.read_text(encoding="utf-8")]
    assert holders == ["bibliography.md"]


# --------------------------------------------------------------------- bibliography --


@pytest.fixture(scope="module")
def bibliography():
    from pybtex.database import parse_file

    return parse_file(str(BIB))  # raises on syntax errors and duplicate keys


def test_bibliography_keys_follow_the_convention(bibliography):
    bad = [k for k in bibliography.entries
           if k not in CORPORATE_KEYS and not re.fullmatch(r"[a-z]+\d{4}[a-z]?", k)]
    assert bad == []


def test_bibliography_has_the_required_keys(bibliography):
    assert sorted(set(REQUIRED_KEYS) - set(bibliography.entries)) == []


@pytest.mark.parametrize("field, count", [("orhurhuref", 59), ("sburef", 15)])
def test_bibliography_holds_complete_reference_lists(bibliography, field, count):
    """All 59 references of Orhurhu 2019 and all 15 reviews listed by SBU, once each."""
    numbers = sorted(int(e.fields[field]) for e in bibliography.entries.values()
                     if field in e.fields)
    assert numbers == list(range(1, count + 1))


def test_bibliography_dois_are_well_formed_and_unique(bibliography):
    dois = [e.fields["doi"] for e in bibliography.entries.values() if "doi" in e.fields]
    assert len(dois) == len(set(d.lower() for d in dois))
    assert [d for d in dois if not re.fullmatch(r"10\.\d{4,9}/\S+", d)] == []
    assert bibliography.entries["orhurhu2019"].fields["doi"] == "10.1213/ANE.0000000000004185"


def test_every_cited_key_exists(bibliography):
    """Citations in prose pages and chapter notebooks must resolve (checked before a build)."""
    sources = list((ROOT / "book").glob("*.md"))
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources.append((nb, "".join("".join(c["source"]) for c in cells
                                    if c["cell_type"] == "markdown")))
    unknown = set()
    for source in sources:
        path, text = source if isinstance(source, tuple) else (source, source.read_text("utf-8"))
        for match in CITE_ROLE.finditer(text):
            for key in match.group(1).split(","):
                if key.strip() not in bibliography.entries:
                    unknown.add(f"{path.name}: {key.strip()}")
    assert sorted(unknown) == []


# ------------------------------------------------------------- throwaway book builds --


def _notebook(cells: list[dict]) -> dict:
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


_cell_ids = itertools.count()


def _code(source: str, metadata: dict | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": f"cell-{next(_cell_ids)}",
            "metadata": metadata or {}, "outputs": [], "source": source}


def _markdown(source: str) -> dict:
    return {"cell_type": "markdown", "id": f"cell-{next(_cell_ids)}", "metadata": {},
            "source": source}


# Sphinx reads in parallel only when more than five documents are to be read: the
# throwaway books have this many extra short pages so that their builds take the same
# parallel path as the real book's (book/_ext/kmeta_parallel.py).
EXTRA_PAGES = 5


def prepare_throwaway_book(book: Path, notebook: dict) -> Path:
    """A small book with the project's _config.yml, extensions and bibliography."""
    (book / "book").mkdir(parents=True)
    shutil.copy(CONFIG, book / "_config.yml")
    for folder in ("_ext", "_static", "_extra"):
        shutil.copytree(ROOT / "book" / folder, book / "book" / folder)
    shutil.copy(BIB, book / "book" / "references.bib")
    (book / "book" / "intro.md").write_text("# Throwaway book\n\nBuilt by a test.\n")
    (book / "book" / "bibliography.md").write_text(
        "(bibliography)=\n# Bibliography\n\n```{bibliography}\n```\n")
    (book / "chapter.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    extra = ""
    for i in range(EXTRA_PAGES):
        (book / "book" / f"page{i}.md").write_text(f"# Page {i}\n\nFiller for a parallel read.\n")
        extra += f"      - file: book/page{i}\n"
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n"
        "  - caption: Test\n    chapters:\n      - file: chapter\n      - file: book/bibliography\n"
        + extra)
    return book


FAILING_NOTEBOOK = _notebook([
    _markdown("# A chapter that fails"),
    _code("x = 1"),
    _code("raise RuntimeError('deliberate failure from test_book_build')"),
    _code("print('never reached')"),
])

WORKING_NOTEBOOK = _notebook([
    _markdown("# A chapter that works\n\n"
              "The pooled value is {glue:text}`test_mu:.2f` points, see {numref}`fig-test` "
              "and {cite:p}`orhurhu2019`.\n\n"
              "```{exercise} Read the pooled value\n:label: ex-test\n\n"
              "Which sign favours ketamine?\n```\n\n"
              "```{solution} ex-test\n:class: dropdown\n\nA negative one.\n```\n"),
    _code("from myst_nb import glue\nmu = -1.8349\nglue('test_mu', mu, display=False)"),
    _code("import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(3, 2))\n"
          "ax.plot([1, 2, 3], [3, 1, 2])\nplt.close(fig)\nfig",
          {"mystnb": {
              "image": {"alt": "A falling then rising line, drawn by a test"},
              "figure": {"caption": "A caption written in cell metadata.", "name": "fig-test"},
          }}),
])


@pytest.fixture(scope="module")
def throwaway_builds(tmp_path_factory):
    """Build both throwaway books at the same time (two cores); {name: (rc, log, path)}."""
    books = {
        "failing": prepare_throwaway_book(tmp_path_factory.mktemp("failing"), FAILING_NOTEBOOK),
        "working": prepare_throwaway_book(tmp_path_factory.mktemp("working"), WORKING_NOTEBOOK),
    }
    processes = {
        name: subprocess.Popen(
            [jupyter_book_executable(), "build", str(book), "-W", "-n", "--keep-going"],
            cwd=book, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name, book in books.items()
    }
    results = {}
    for name, process in processes.items():
        log, _ = process.communicate(timeout=900)
        results[name] = (process.returncode, log, books[name])
    return results


def _read_in_parallel(log: str) -> bool:
    """Sphinx names a chunk of documents ("first .. last") only when reading in parallel."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    return re.search(r"^reading sources\.\.\. \[\s*\d+%\] \S+ \.\. \S+$", plain, re.M) is not None


@pytest.mark.slow
def test_a_notebook_that_raises_fails_the_build(throwaway_builds):
    returncode, log, book = throwaway_builds["failing"]
    assert returncode != 0, log[-3000:]
    assert "deliberate failure from test_book_build" in log  # failed for this reason
    assert not (book / "_build" / "html" / "chapter.html").exists()
    assert _read_in_parallel(log)  # the failure came from a parallel read
    assert "Failure in a parallel Sphinx worker" in log  # the cell's traceback is shown


@pytest.mark.slow
def test_the_book_reads_in_parallel_without_warnings(throwaway_builds):
    """book/_ext/kmeta_parallel.py: a parallel read, no 'doing serial read' fallback."""
    returncode, log, book = throwaway_builds["working"]
    assert returncode == 0, log[-3000:]
    assert _read_in_parallel(log)
    assert "doing serial" not in log and "does not declare" not in log
    assert (book / "_build" / "html" / "book" / f"page{EXTRA_PAGES - 1}.html").is_file()


@pytest.mark.slow
def test_glue_figure_alt_text_citation_and_exercise_render(throwaway_builds):
    returncode, log, book = throwaway_builds["working"]
    assert returncode == 0, log[-3000:]
    # (-W already turns Sphinx warnings into a failure; this names them if any slip by.
    # The kernel's own "[IPKernelApp] WARNING | ... TCP" log line is not a Sphinx warning.)
    assert re.findall(r"^.*WARNING: .*$", log, flags=re.M) == []
    html = (book / "_build" / "html" / "chapter.html").read_text(encoding="utf-8")
    assert '<span class="pasted-text">-1.83</span>' in html          # glued, formatted
    assert 'alt="A falling then rising line, drawn by a test"' in html  # alt text
    assert "A caption written in cell metadata." in html               # caption
    assert re.search(r"Fig\. 1\s*</span>", html)                        # numbered figure
    assert "Orhurhu <em>et al.</em>, 2019" in html                      # author-year citation
    assert "(<a" in html and "2019</a>)" in html                        # round brackets
    assert "mybinder.org/v2/gh/kmeta-book/kmeta/main?urlpath=lab/tree/chapter.ipynb" in html
    assert "colab.research.google.com/github/kmeta-book/kmeta/blob/main/chapter.ipynb" in html
    assert html.count("const THEBE_JS_URL") == 1  # book/_ext/kmeta_html.py de-duplicates
    assert (book / "_build" / "html" / "favicon.ico").is_file()  # html_extra_path
    assert 'id="ex-test"' in html and "Read the pooled value" in html  # sphinx-exercise
    assert "A negative one." in html and "solution" in html


def _parallel_extension():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "kmeta_parallel", ROOT / "book" / "_ext" / "kmeta_parallel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parallel_read_creates_the_execution_cache_first(tmp_path):
    """Workers racing to create jupyter-cache's tables broke a clean parallel build
    ("table settings already exists"); the main process now creates them first."""
    from types import SimpleNamespace

    ext = _parallel_extension()
    cache = tmp_path / ".jupyter_cache"
    env = SimpleNamespace(mystnb_config=SimpleNamespace(
        execution_mode="cache", execution_cache_path=str(cache)))
    ext._create_execution_cache(env)
    assert (cache / "global.db").is_file()
    ext._create_execution_cache(env)  # a second call opens what exists
    other = SimpleNamespace(mystnb_config=SimpleNamespace(
        execution_mode="force", execution_cache_path=str(tmp_path / "unused")))
    ext._create_execution_cache(other)  # no cache in force mode
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("value, jobs", [("1", 1), ("3", 3), (" 2 ", 2)])
def test_build_jobs_from_the_environment(monkeypatch, value, jobs):
    monkeypatch.setenv("KMETA_BUILD_JOBS", value)
    assert _parallel_extension()._jobs() == jobs


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_build_jobs_are_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("KMETA_BUILD_JOBS", value)
    with pytest.raises(ValueError, match="KMETA_BUILD_JOBS"):
        _parallel_extension()._jobs()
