"""Shipped example datasets: provenance on every row, values as metafor has them."""
import numpy as np

import kmeta
from kmeta import datasets
from _reference import load


def test_bcg_has_provenance_on_every_row():
    df = datasets.bcg()
    assert len(df) == 13
    for col in ("source", "location", "kind"):
        assert df[col].notna().all() and (df[col].astype(str).str.len() > 0).all()
    assert set(df.kind) == {"reported"}


def test_bcg_log_risk_ratios_equal_metafors():
    """The 2x2 tables give the log risk ratios metafor's escalc computed (core.R)."""
    df = datasets.bcg()
    es = kmeta.effect_sizes("RR", e1=df.tpos, n1=df.n1, e2=df.cpos, n2=df.n2, labels=df.study)
    ref = load("core")["datasets"]["bcg"]
    np.testing.assert_allclose(es.yi, ref["yi"], rtol=1e-12)
    np.testing.assert_allclose(es.vi, ref["vi"], rtol=1e-12)
