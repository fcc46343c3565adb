"""Shared pytest configuration. Keep this file minimal.

The only thing done here: kernels started by nbval (``--nbval``) inherit this process's
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
