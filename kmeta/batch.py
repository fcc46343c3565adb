"""Many meta-analyses at once: :func:`meta_batch`.

Simulation studies pool thousands of simulated meta-analyses. :func:`meta_batch`
takes arrays of shape ``(replicates, k)`` and fits every row with fully vectorised
numpy code: no Python loop over replicates. Rows may have different numbers of
studies: pad the missing cells with NaN (in both ``yi`` and ``vi``).

It runs the very same code as :func:`kmeta.meta` (which is this function applied to a
single row), so the two agree to rounding on every row; the test-suite checks 1e-10.
Memory use is a few arrays of the input's size.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from ._result import Result
from ._validate import check_choice, check_level
from .meta import _canonical_test, _pool_arrays
from .tau2 import _ITERATIVE, ALGORITHMS, METHODS

__all__ = ["meta_batch", "BatchResult"]

#: Rows per block. Blocks keep the temporaries in cache (several times faster than one
#: pass over a million rows). The closed-form estimators (FE, DL, HE, SJ) run fastest
#: with blocks whose (rows, k) temporaries fit the 2 MB L2 cache; the iterative ones
#: (PM, EB, ML, REML) with larger blocks, which spread the fixed cost of each
#: iteration's numpy calls over more rows. For k = 6 on the 2-core machine measured
#: (bench/), 16384 rows were best for DL (65536: 1.2x slower) and 65536 for REML and
#: ML (1.25x the rate with 16384; PM within the noise).
CHUNK = 16384
CHUNK_ITERATIVE = 65536


@dataclasses.dataclass(frozen=True, repr=False)
class BatchResult(Result):
    """Results of :func:`meta_batch`: the fields of :class:`kmeta.MetaResult` as arrays.

    Every field except ``method``, ``test`` and ``level`` has shape ``(replicates,)``.
    ``weights`` (percent, shape ``(replicates, k)``, NaN for padding) is computed from
    ``vi`` and ``tau2`` when first asked for, so simulations that don't need it don't
    pay for it. ``algorithm`` holds integer codes; :data:`kmeta.tau2.ALGORITHMS` maps
    them to text.

    When the rows take more than one block (``CHUNK`` or ``CHUNK_ITERATIVE`` rows),
    the fields of one dtype are rows of one 2-d array (see ``_allocate``): to keep a
    single field of a large result and free the rest, keep a copy
    (``res.estimate.copy()``), not the field itself.
    """

    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    df: np.ndarray
    tau2: np.ndarray
    tau: np.ndarray
    i2: np.ndarray
    h2: np.ndarray
    q: np.ndarray
    q_df: np.ndarray
    q_pval: np.ndarray
    pi_low: np.ndarray
    pi_high: np.ndarray
    converged: np.ndarray
    algorithm: np.ndarray
    iterations: np.ndarray
    vt: np.ndarray
    method: str
    test: str
    level: float
    vi: np.ndarray = dataclasses.field(default=None, repr=False)

    @functools.cached_property
    def weights(self) -> np.ndarray:
        """Study weights in percent, ``(replicates, k)``; NaN for padded cells."""
        w = 1.0 / (self.vi + self.tau2[:, None])  # NaN where vi is NaN padding
        return 100.0 * w / np.nansum(w, axis=1, keepdims=True)

    @property
    def replicates(self) -> int:
        return int(self.estimate.shape[0])

    def covers(self, value) -> np.ndarray:
        """Boolean array: does each row's confidence interval contain ``value``?"""
        return (self.ci_low <= value) & (value <= self.ci_high)

    def summary(self) -> str:
        n = self.replicates
        if n == 0:
            return f"0 meta-analyses (method {self.method}, test {self.test}, level {self.level:g})"
        fallback = int((self.algorithm == 3).sum())
        algos = ", ".join(
            f"{ALGORITHMS[c]}: {int((self.algorithm == c).sum())}" for c in np.unique(self.algorithm)
        )
        return (
            f"{n} meta-analyses (method {self.method}, test {self.test}, level {self.level:g}); "
            f"k from {int(self.k.min())} to {int(self.k.max())}\n"
            f"mean estimate {np.mean(self.estimate):.4f}, mean tau^2 {np.mean(self.tau2):.4f}\n"
            f"tau^2 algorithms -- {algos}"
            + (f"\n{fallback} rows needed the bracketed root search" if fallback else "")
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per meta-analysis (weights left out)."""
        cols = [f.name for f in dataclasses.fields(self) if f.name not in ("vi", "method", "test", "level")]
        df = pd.DataFrame({c: getattr(self, c) for c in cols})
        df["method"] = self.method
        df["test"] = self.test
        return df


def _allocate(part, R):
    """Output arrays of ``R`` rows for the fields of ``part`` (one block's results).

    The fields of each dtype are rows of one 2-d block rather than separate arrays:
    one large allocation, which numpy asks the kernel to back with huge pages, where
    twenty separate arrays of a few megabytes each take hundreds of page faults apiece
    when first written (for a million rows, about 12,000 faults, a fifth of
    the DerSimonian-Laird run time). Each field is a contiguous row of its block.
    """
    groups = {}
    for key, val in part.items():
        groups.setdefault((val.dtype, val.shape[1:]), []).append(key)
    out = {}
    for (dtype, tail), keys in groups.items():
        block = np.empty((len(keys), R) + tail, dtype=dtype)
        out.update(zip(keys, block))
    return out


def _as_float(x, field):
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{field}: cannot be read as numbers ({exc})") from None


def _check_padded(y, v, offset):
    """Errors for a block with NaN padding or other non-finite cells."""
    ny, nv = np.isnan(y), np.isnan(v)
    if (ny != nv).any():
        r, i = np.argwhere(ny != nv)[0]
        field = "yi" if ny[r, i] else "vi"
        raise ValueError(f"{field}: row {offset + r}, study {i} is NaN but the other array is not; pad both with NaN")
    empty = nv.all(axis=1)
    if empty.any():
        r = int(np.flatnonzero(empty)[0])
        raise ValueError(f"k = 0: row {offset + r} has no studies; meta_batch needs at least 1 per row")
    _raise_bad_input(y, v, offset)


def _raise_bad_input(y, v, offset):
    """Raise for infinite values or non-positive variances (NaN padding allowed)."""
    if np.isinf(y).any() or np.isinf(v).any():
        r, i = np.argwhere(np.isinf(y) | np.isinf(v))[0]
        field = "yi" if np.isinf(y[r, i]) else "vi"
        raise ValueError(f"{field}: row {offset + r}, study {i} is infinite; values must be finite")
    bad = ~np.isnan(v) & ~(v > 0)
    if bad.any():
        r, i = np.argwhere(bad)[0]
        raise ValueError(f"vi: row {offset + r}, study {i} is {v[r, i]:g}; sampling variances must be > 0")


def meta_batch(yi, vi, *, method="REML", test="z", level=0.95) -> BatchResult:
    """Fit one meta-analysis per row of ``(replicates, k)`` arrays.

    Parameters
    ----------
    yi, vi : array_like, shape (replicates, k)
        Effect sizes and sampling variances. Rows with fewer studies are padded with NaN
        (the same cells in ``yi`` and ``vi``). A 1-d input is treated as one replicate.
    method, test, level
        As for :func:`kmeta.meta`.

    Returns
    -------
    BatchResult

    Raises
    ------
    ValueError
        Shapes differ; values that are not numbers; NaN in ``yi`` but not ``vi`` (or vice
        versa); a non-positive or infinite variance; a row without any study (or no
        columns at all). The message names the row and study.

    Notes
    -----
    Zero rows (shape ``(0, k)``) are legal: every field of the result is empty.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> v = rng.uniform(0.05, 0.5, size=(1000, 6))
    >>> y = rng.normal(0.0, np.sqrt(v + 0.1))
    >>> res = meta_batch(y, v, method="DL")
    >>> res.estimate.shape
    (1000,)
    """
    method = check_choice(method, "method", METHODS)
    test = _canonical_test(test)
    level = check_level(level)
    Y, V = _as_float(yi, "yi"), _as_float(vi, "vi")
    if Y.ndim == 1:
        Y = Y[None, :]
    if V.ndim == 1:
        V = V[None, :]
    if Y.ndim != 2 or Y.shape != V.shape:
        raise ValueError(f"yi, vi: expected two arrays of the same shape (replicates, k); got {np.shape(yi)} and {np.shape(vi)}")
    R = Y.shape[0]
    if Y.shape[1] == 0:
        raise ValueError(f"k = 0: yi and vi have shape {Y.shape}, no study in any row; "
                         "meta_batch needs at least 1 per row")
    chunk = CHUNK_ITERATIVE if method in _ITERATIVE else CHUNK
    # no rows (replicates = 0): every field empty, computed by the same code
    out = _pool_arrays(Y, V, method, test, level, weights=False) if R == 0 else None
    for start in range(0, R, chunk):
        y, v = Y[start:start + chunk], V[start:start + chunk]
        present = np.isfinite(y) & np.isfinite(v)
        if present.all():
            if not (v > 0).all():
                _raise_bad_input(y, v, start)
            present = None
        else:
            _check_padded(y, v, start)
        part = _pool_arrays(y, v, method, test, level, M=present, weights=False)
        if R <= chunk:
            out = part
            break
        if out is None:
            out = _allocate(part, R)
        for key, val in part.items():
            out[key][start:start + chunk] = val
    return BatchResult(method=method, test=test, level=level, vi=V, **out)
