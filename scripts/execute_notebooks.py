#!/usr/bin/env python3
"""Re-execute the chapter notebooks in place, so the outputs stored in git are current.

Usage (from the repository root)::

    python scripts/execute_notebooks.py                  # every notebook in notebooks/
    python scripts/execute_notebooks.py notebooks/x.ipynb notebooks/y.ipynb
    python scripts/execute_notebooks.py --jobs 2         # two notebooks at a time

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working directory is
the notebook's own folder, as in JupyterLab and in the book build. The run is made
deterministic where Python allows it: a fixed hash seed (``PYTHONHASHSEED=0``) and a
pinned matplotlib configuration (``scripts/matplotlibrc``, which takes precedence over
any personal matplotlibrc). Figures use the inline backend, as in JupyterLab.

Volatile metadata is removed before writing (per-cell execution timestamps), so that
``git diff`` shows only changes in code and outputs. A notebook whose execution fails is
not written; the script prints the failing cell's error and exits with status 1 after
trying the others. Exit status 2 means a bad argument (e.g. a path that does not exist).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "notebooks"
MATPLOTLIBRC = Path(__file__).resolve().parent / "matplotlibrc"
KERNEL = "python3"

# Environment of every kernel this script starts (and of the nbval kernels: see
# tests/conftest.py, which applies the same settings).
DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",
    "MATPLOTLIBRC": str(MATPLOTLIBRC),
    # Keep progress bars and colour codes out of stored outputs.
    "TQDM_DISABLE": "1",
    "NO_COLOR": "1",
}

# Cell-level metadata keys that only record when or how long a cell ran.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime")


def find_notebooks(paths: list[str]) -> list[Path]:
    """The notebooks named on the command line, or every notebook under notebooks/."""
    if not paths:
        found = sorted(DEFAULT_DIR.rglob("*.ipynb"))
        return [p for p in found if ".ipynb_checkpoints" not in p.parts]
    notebooks = []
    for name in paths:
        path = Path(name).resolve()
        if path.is_dir():
            notebooks.extend(
                p for p in sorted(path.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            )
        elif path.suffix == ".ipynb" and path.is_file():
            notebooks.append(path)
        else:
            raise SystemExit(f"execute_notebooks: not a notebook or folder: {name}")
    return notebooks


def strip_volatile(nb) -> None:
    """Remove timing metadata in place (cells and notebook)."""
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    nb.metadata.pop("papermill", None)


def execute_one(path: Path, timeout: int) -> tuple[Path, float, str | None]:
    """Execute one notebook in place; return (path, seconds, error message or None)."""
    import tempfile

    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    os.environ.update(DETERMINISTIC_ENV)  # inherited by the kernel process
    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from a clean slate: no stale outputs survive
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    # The kernel talks over local IPC sockets rather than TCP ports: no port races when
    # several notebooks run at once, and no "running over TCP without encryption" notice.
    with tempfile.TemporaryDirectory(prefix="kmeta-kernel-") as sockets:
        km = KernelManager(kernel_name=KERNEL, transport="ipc", ip=os.path.join(sockets, "k"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            allow_errors=False,
            record_timing=False,
            resources={"metadata": {"path": str(path.parent)}},
        )
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError) as err:
            return path, time.perf_counter() - start, str(err)
        finally:
            # nbclient shuts down only kernels it started itself; this one is ours.
            # Left running, every kernel would idle until the script exits (and then
            # complain that its parent has gone).
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    strip_volatile(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path, time.perf_counter() - start, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: notebooks/)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="notebooks run in parallel")
    args = parser.parse_args(argv)

    try:
        notebooks = find_notebooks(args.paths)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    if not notebooks:
        print("execute_notebooks: no notebooks found", file=sys.stderr)
        return 0

    failures = 0
    total = time.perf_counter()
    if args.jobs <= 1:
        results = (execute_one(nb, args.timeout) for nb in notebooks)
        pool = None
    else:
        import multiprocessing

        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")
        )
        futures = [pool.submit(execute_one, nb, args.timeout) for nb in notebooks]
        results = (f.result() for f in concurrent.futures.as_completed(futures))
    try:
        for path, seconds, error in results:
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            if error is None:
                print(f"ok    {seconds:6.1f} s  {name}", flush=True)
            else:
                failures += 1
                print(f"FAIL  {seconds:6.1f} s  {name} (not written)\n{error}", file=sys.stderr)
    finally:
        if pool is not None:
            pool.shutdown()
    print(f"{len(notebooks) - failures} of {len(notebooks)} notebooks executed "
          f"in {time.perf_counter() - total:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
