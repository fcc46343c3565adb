"""Shared pytest configuration. Keep this file minimal.

Two things are done here.

Hypothesis (the property tests) draws the same examples in every run, so that the
test command, and CI, pass or fail reproducibly. To search new examples -- worth doing
after any change to the statistics -- run with ``KMETA_HYPOTHESIS=explore`` (new random
examples each run; each test keeps its own number of them), a few times. A failure
it finds becomes an ordinary test.

Kernels started by nbval (``--nbval``) inherit this process's
environment, so the settings that make notebook outputs deterministic are applied here,
the same ones scripts/execute_notebooks.py uses when it stores those outputs
(PYTHONHASHSEED=0 and the pinned scripts/matplotlibrc). This module is imported while
pytest collects tests/, before any notebook kernel starts; run notebooks together with
tests/ (as the README's test command does) to get these settings.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "execute_notebooks.py"
_spec = importlib.util.spec_from_file_location("_kmeta_execute_notebooks", _SCRIPT)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
os.environ.update(_module.DETERMINISTIC_ENV)

from hypothesis import settings  # noqa: E402  (after the environment is set)

settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
_profile = os.environ.get("KMETA_HYPOTHESIS", "reproducible")
if _profile not in ("reproducible", "explore"):
    raise ValueError(f"KMETA_HYPOTHESIS: expected 'reproducible' or 'explore', got {_profile!r}")
settings.load_profile(_profile)
