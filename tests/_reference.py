"""Load the metafor reference fixtures written by tests/reference/*.R."""
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).parent / "reference"


@lru_cache(maxsize=None)
def load(topic: str) -> dict:
    with open(REFERENCE / f"{topic}.json") as fh:
        return json.load(fh)


def num(x):
    """JSON null -> NaN, lists -> arrays."""
    if x is None:
        return np.nan
    if isinstance(x, list):
        return np.array([np.nan if v is None else v for v in x], dtype=float)
    return float(x)
