"""Read (and so execute) the book's pages in parallel processes.

Jupyter Book 1.x runs Sphinx with one process and its command line has no ``-j``
option. Most of a clean build is the execution of the chapter notebooks, one kernel
after another, while the other core waits. This extension sets the number of Sphinx
processes (``app.parallel``) at set-up time, before any document is read, to the value
of the environment variable ``KMETA_BUILD_JOBS`` or, by default, twice the number of
CPU cores (at most 4). Sphinx then reads the documents, which for a notebook means executing
it through myst-nb, in that many worker processes and merges their environments.

Sphinx reads in parallel only if every loaded extension declares itself parallel safe.
Two extensions that Jupyter Book loads declare nothing; after reading their source they
are marked safe here, for the versions read:

* ``sphinx_multitoc_numbering`` 0.1.3 (loaded by sphinx-external-toc whatever the
  configuration says) only replaces the method that assigns section numbers across
  toctrees, which Sphinx calls in the main process after all documents are read;
* ``sphinx_jupyterbook_latex`` 1.0.0 sets its options in the main process before
  reading (and only for a LaTeX builder); its transforms read those options and the
  document at hand.

Neither keeps per-document state that the workers' environments would have to merge.
Any other version is left undeclared: Sphinx then warns and reads serially, and the
build, run with ``-W``, fails on that warning. Re-check the new version and update
``_CHECKED``. An extension added later that is not declared safe meets the same fate,
so an unsafe parallel read cannot happen silently.

Before the workers start, the extension also creates myst-nb's execution cache (see
``_create_execution_cache``), which workers would otherwise race to create.

``KMETA_BUILD_JOBS=1 jupyter-book build .`` gives the plain serial build.
"""
from __future__ import annotations

import os
import sys

# extensions that declare nothing, checked by hand: name -> module version checked
_CHECKED = {"sphinx_multitoc_numbering": "0.1.3", "sphinx_jupyterbook_latex": "1.0.0"}


def _jobs() -> int:
    value = os.environ.get("KMETA_BUILD_JOBS", "").strip()
    if value:
        try:
            jobs = int(value)
        except ValueError:
            raise ValueError(f"KMETA_BUILD_JOBS must be a whole number, got {value!r}") from None
        if jobs < 1:
            raise ValueError(f"KMETA_BUILD_JOBS must be at least 1, got {jobs}")
        return jobs
    # Two processes per core: a notebook's kernel spends part of its time starting up
    # and waiting on messages, so a second process per core keeps the core busy
    # (measured on 2 cores: 103 s serial, 67 s with 2 processes, 55 s with 4).
    return max(1, min(4, 2 * (os.cpu_count() or 1)))


def _create_execution_cache(env) -> None:
    """Create myst-nb's jupyter-cache database in the main process, before reading.

    Each worker opens the cache when it reaches its first notebook, and opening creates
    the SQLite tables if they are missing. On a clean build two workers doing so at the
    same moment collide ("table settings already exists"). Created here first, the
    workers find the tables and only read and add records (SQLite locks each write).
    """
    config = getattr(env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache" or not config.execution_cache_path:
        return
    from jupyter_cache import get_cache

    get_cache(config.execution_cache_path).db  # the property creates the database


def _before_read(app, env, docnames) -> None:
    if app.parallel > 1:
        _create_execution_cache(env)
    for name, version in _CHECKED.items():
        ext = app.extensions.get(name)
        if ext is not None and getattr(ext.module, "__version__", None) == version:
            if ext.parallel_read_safe is None:
                ext.parallel_read_safe = True
            if ext.parallel_write_safe is None:
                ext.parallel_write_safe = True


def _report_worker_failure(app, exception) -> None:
    """Show the traceback of a failure in a worker process.

    When a worker fails (for instance a notebook cell raises, which with
    ``raise_on_error`` must fail the build), Sphinx raises ``SphinxParallelError`` in the
    main process carrying only the exception's one-line summary, and drops the worker's
    log; the worker's full traceback, which names the notebook cell and its error, is in
    ``exception.traceback``. Print it, so that a failed parallel build explains itself as
    a serial one does.
    """
    worker_traceback = getattr(exception, "traceback", None)
    if exception is not None and worker_traceback:
        sys.stderr.write("\nFailure in a parallel Sphinx worker (book/_ext/kmeta_parallel.py):\n")
        sys.stderr.write(str(worker_traceback))
        sys.stderr.flush()


def setup(app):
    app.parallel = max(app.parallel, _jobs())
    # just before Sphinx asks whether it may read in parallel, when every extension,
    # including those that other extensions load late, is set up
    app.connect("env-before-read-docs", _before_read)
    app.connect("build-finished", _report_worker_failure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
