"""Study-level effect sizes and their sampling variances (metafor's ``escalc``).

:func:`effect_sizes` computes, for each study, an observed effect ``yi`` and its
sampling variance ``vi`` from summary data, following the definitions of metafor's
``escalc`` (Viechtbauer, 2010) so that the values agree with metafor to machine
precision.  The result is a :class:`pandas.DataFrame` ready for pooling with
:func:`kmeta.meta`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ._validate import (
    as_array,
    check_choice,
    check_integer,
    check_nonnegative,
    check_not_greater,
    study_labels,
    where,
)

__all__ = ["effect_sizes", "MEASURES"]

_MEANS = ("m1", "sd1", "n1", "m2", "sd2", "n2")
_TWO_ARM = ("e1", "n1", "e2", "n2")
_ONE_ARM = ("events", "n")

#: Measures understood by :func:`effect_sizes` and the data each one needs.
MEASURES: dict[str, tuple[str, ...]] = {
    "MD": _MEANS,
    "SMD": _MEANS,
    "RR": _TWO_ARM,
    "OR": _TWO_ARM,
    "RD": _TWO_ARM,
    "PETO": _TWO_ARM,
    "PR": _ONE_ARM,
    "PLO": _ONE_ARM,
    "PFT": _ONE_ARM,
}

_VTYPES = {
    "MD": ("LS", "UB", "HO"),
    "SMD": ("LS", "UB", "LS2", "AV"),
    "RR": ("LS",),
    "OR": ("LS",),
    "RD": ("LS", "UB", "AV"),
    "PETO": ("LS",),
    "PR": ("LS", "UB", "AV"),
    "PLO": ("LS", "AV"),
    "PFT": ("LS",),
}

_RATIO = ("RR", "OR", "PETO")
_TO = ("all", "only0", "if0all", "none")


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean over entries where both x and w are defined (metafor .wmean)."""
    ok = ~(np.isnan(x) | np.isnan(w))
    if not ok.any():
        return np.nan
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))


def _add_note(notes: list[list[str]], i: int, text: str) -> None:
    if text not in notes[i]:
        notes[i].append(text)


def _hedges_j(m: np.ndarray) -> np.ndarray:
    """Exact small-sample correction J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)); NaN for m ≤ 1."""
    out = np.full(m.shape, np.nan)
    ok = m > 1
    mm = m[ok]
    out[ok] = np.exp(special.gammaln(mm / 2) - np.log(np.sqrt(mm / 2)) - special.gammaln((mm - 1) / 2))
    return out


def effect_sizes(
    measure: str,
    *,
    labels=None,
    add: float | None = None,
    to: str = "only0",
    drop00: bool | None = None,
    vtype: str = "LS",
    **data,
) -> pd.DataFrame:
    r"""Compute observed effect sizes ``yi`` and sampling variances ``vi`` per study.

    The definitions are those of metafor's ``escalc`` (version 3.8), so that
    ``effect_sizes("RR", e1=..., n1=..., e2=..., n2=...)`` equals
    ``escalc("RR", ai=e1, n1i=n1, ci=e2, n2i=n2, drop00=TRUE)`` to machine precision.

    Parameters
    ----------
    measure : str
        The outcome measure (case-insensitive):

        ``"MD"``
            Raw mean difference :math:`y = \bar x_1 - \bar x_2` with
            :math:`v = s_1^2/n_1 + s_2^2/n_2` (``vtype="LS"``, the default, or
            ``"UB"``, the same) or, assuming equal variances (``vtype="HO"``),
            :math:`v = s_p^2 (1/n_1 + 1/n_2)`.
        ``"SMD"``
            Standardised mean difference with the exact small-sample bias correction
            (Hedges' *g*; Hedges, 1981): :math:`d = (\bar x_1 - \bar x_2)/s_p` with
            :math:`s_p^2 = \{(n_1-1)s_1^2 + (n_2-1)s_2^2\}/m`, :math:`m = n_1+n_2-2`,
            :math:`y = J(m)\,d` with :math:`J(m) = \Gamma(m/2) / \{\sqrt{m/2}\,
            \Gamma((m-1)/2)\}`. Variances: ``"LS"`` (default, large-sample, Hedges
            1982 eq. 8) :math:`v = 1/n_1 + 1/n_2 + y^2/\{2(n_1+n_2)\}`; ``"UB"``
            (unbiased, Hedges 1983) :math:`v = 1/n_1 + 1/n_2 + \{1 - (m-2)/(m J^2)\}
            y^2`; ``"LS2"`` (Borenstein 2009 eq. 12.17) :math:`v = J^2 \{1/n_1 +
            1/n_2 + d^2/(2(n_1+n_2))\}`; ``"AV"``: as ``"LS"`` with the
            sample-size-weighted mean of the *g* values in place of :math:`y`.
            :math:`J` is undefined (NaN) when :math:`m \le 1`.
        ``"RR"``
            Log risk ratio :math:`y = \log(a/n_1) - \log(c/n_2)`,
            :math:`v = 1/a - 1/n_1 + 1/c - 1/n_2`.
        ``"OR"``
            Log odds ratio :math:`y = \log\{ad/(bc)\}`, :math:`v = 1/a + 1/b + 1/c + 1/d`.
        ``"RD"``
            Risk difference :math:`y = p_1 - p_2` with :math:`v = p_1(1-p_1)/n_1 +
            p_2(1-p_2)/n_2` (``"LS"``), denominators :math:`n_j - 1` (``"UB"``), or
            the sample-size-weighted mean risks of each arm across studies (``"AV"``).
        ``"PETO"``
            Peto's one-step log odds ratio :math:`y = (a - E)/V`, :math:`v = 1/V`,
            with :math:`E = n_1 (a+c)/N` and
            :math:`V = (a+c)(b+d) n_1 n_2 / \{N^2 (N-1)\}` (Yusuf et al., 1985).
        ``"PR"``
            Raw proportion :math:`y = x/n`, :math:`v = y(1-y)/n` (``"LS"``),
            :math:`y(1-y)/(n-1)` (``"UB"``) or with the weighted mean proportion
            (``"AV"``).
        ``"PLO"``
            Logit :math:`y = \log\{x/(n-x)\}`, :math:`v = 1/x + 1/(n-x)` (``"LS"``) or
            :math:`1/(\bar p n) + 1/((1-\bar p) n)` (``"AV"``).
        ``"PFT"``
            Freeman–Tukey double arcsine (Freeman & Tukey, 1950) in metafor's form
            :math:`y = \tfrac12\{\arcsin\sqrt{x/(n+1)} + \arcsin\sqrt{(x+1)/(n+1)}\}`,
            :math:`v = 1/(4n+2)`. Back-transform pooled values with
            :func:`kmeta.transforms.transf_ipft_hm`.

        Here :math:`a, c` are the events ``e1, e2``; :math:`b = n_1 - a`,
        :math:`d = n_2 - c`; :math:`N = n_1 + n_2`; :math:`x` the ``events`` of a single
        arm of size :math:`n`.
    labels : sequence of str, optional
        Study names; returned in a ``study`` column and used in error messages.
    add : float, optional
        Amount added to the cells of 2x2 tables (to ``events`` and ``n - events`` for
        single proportions) when ``to`` says so. Default ``0.5``, except ``0`` for
        ``"PFT"`` (as metafor, which needs no correction for that measure). Ignored for
        ``"MD"`` and ``"SMD"``.
    to : {"only0", "all", "if0all", "none"}
        When to add ``add``: ``"only0"`` (default) to the studies with at least one
        zero cell; ``"all"`` to every study; ``"if0all"`` to every study provided at
        least one study has a zero cell; ``"none"`` never (same as ``add=0``).
        Studies removed by ``drop00`` do not count when deciding ``"if0all"``.
    drop00 : bool, optional
        Whether to exclude studies with no events in both arms (``e1 = e2 = 0``) or
        with events in every participant of both arms (``e1 = n1`` and ``e2 = n2``).
        Such studies carry no information on a ratio. Default: ``True`` for ``"RR"``,
        ``"OR"`` and ``"PETO"``, ``False`` for ``"RD"`` (a risk difference of zero is
        informative; metafor's ``escalc`` keeps them by default for every measure, and
        computes the RD of a double-zero study after adding ``add`` to its cells).
        Excluded studies keep their row, with ``yi`` and ``vi`` NaN and a ``note``.
    vtype : str
        Type of sampling variance, see ``measure``; ``"LS"`` (default) everywhere.
    **data : array_like
        The summary data, one value per study: ``m1, sd1, n1, m2, sd2, n2`` for
        ``"MD"``/``"SMD"``; ``e1, n1, e2, n2`` for ``"RR"``, ``"OR"``, ``"RD"``,
        ``"PETO"``; ``events, n`` for ``"PR"``, ``"PLO"``, ``"PFT"``. Counts (events
        and group sizes of event data) must be whole numbers; the group sizes of
        means may be fractional (e.g. effective sample sizes) but at least 1.
        ``drop00`` does not apply to the single-arm measures.

    Returns
    -------
    pandas.DataFrame
        One row per study (input order, index ``0..k-1``) with columns ``study`` (only
        when ``labels`` are given), ``yi``, ``vi`` and ``note`` (empty string when there
        is nothing to report; otherwise why ``yi``/``vi`` are missing or how they were
        obtained, e.g. ``"zero cell: 0.5 added to each cell"``). ``DataFrame.attrs``
        holds ``measure``, ``add``, ``to``, ``drop00``, ``vtype``, ``notes`` (a list of
        ``"<study>: <note>"`` strings) and ``excluded`` (the studies whose ``yi`` is
        NaN). Pass ``df.dropna(subset=["yi", "vi"])`` to pooling.

    Raises
    ------
    ValueError
        Unknown measure or ``vtype``; an argument the measure does not use or a
        required one missing; vectors of different lengths; negative SDs; group sizes
        below 1; negative, non-integer, or too many events (``events > n``); each
        message names the field and the study.

    Notes
    -----
    Values that cannot be computed (division by zero, e.g. a zero cell with
    ``to="none"``) are set to NaN with a note, as metafor recodes them to ``NA``.
    A variance of exactly 0 (e.g. a proportion of 0 with no correction) is kept, with
    a note, since it cannot be given a finite inverse-variance weight.

    References
    ----------
    Borenstein, M. (2009). Effect sizes for continuous data. In H. Cooper, L. V.
    Hedges, & J. C. Valentine (Eds.), *The handbook of research synthesis and
    meta-analysis* (2nd ed., pp. 221–235). Russell Sage Foundation.

    Freeman, M. F., & Tukey, J. W. (1950). Transformations related to the angular and
    the square root. *Annals of Mathematical Statistics*, 21(4), 607–611.

    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. *Journal of Educational Statistics*, 6(2), 107–128.

    Hedges, L. V. (1982). Estimation of effect size from a series of independent
    experiments. *Psychological Bulletin*, 92(2), 490–499.

    Hedges, L. V. (1983). A random effects model for effect sizes. *Psychological
    Bulletin*, 93(2), 388–395.

    Higgins, J. P. T., et al. (Eds.) (2019). *Cochrane Handbook for Systematic Reviews
    of Interventions* (2nd ed.), section 10.4.4 (studies with no events).

    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    *Journal of Statistical Software*, 36(3), 1–48.

    Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade
    during and after myocardial infarction. *Progress in Cardiovascular Diseases*,
    27(5), 335–371.

    Examples
    --------
    Mean differences on a 0–10 pain scale:

    >>> es = effect_sizes("MD", m1=[3.1, 4.0], sd1=[2.0, 1.5], n1=[20, 15],
    ...                   m2=[5.0, 4.5], sd2=[2.2, 1.8], n2=[20, 15],
    ...                   labels=["A", "B"])
    >>> es[["study", "yi"]].round(2).values.tolist()
    [['A', -1.9], ['B', -0.5]]

    A double-zero study is kept as a row but excluded from the log risk ratio:

    >>> es = effect_sizes("RR", e1=[5, 0], n1=[20, 10], e2=[2, 0], n2=[20, 10])
    >>> es["note"].tolist()
    ['', 'double-zero study (no events in either arm): excluded from RR']
    >>> len(es.dropna(subset=["yi", "vi"]))
    1
    """
    measure = check_choice(measure, "measure", MEASURES)
    required = MEASURES[measure]
    unknown = sorted(set(data) - set(required))
    if unknown:
        raise ValueError(
            f"{unknown[0]}: not an argument of measure {measure!r}; it needs {', '.join(required)}"
        )
    missing = [f for f in required if f not in data or data[f] is None]
    if missing:
        raise ValueError(f"{missing[0]}: required for measure {measure!r} (needs {', '.join(required)})")
    vtype = check_choice(vtype, "vtype", _VTYPES[measure])
    to = check_choice(to, "to", _TO)
    if add is None:
        add = 0.0 if measure == "PFT" else 0.5
    try:
        add = float(add)
    except (TypeError, ValueError):
        raise ValueError(f"add: expected a number >= 0, got {add!r}") from None
    if not np.isfinite(add) or add < 0:
        raise ValueError(f"add: expected a number >= 0, got {add!r}")
    if drop00 is None:
        drop00 = measure in _RATIO
    drop00 = bool(drop00)

    # length and labels: first find k from the first field, then check all lengths
    first = np.asarray(data[required[0]], dtype=object)
    k = 1 if first.ndim == 0 else len(first)
    lab = study_labels(labels, k)
    arrs = {f: as_array(data[f], f, lab, k=k) for f in required}

    notes: list[list[str]] = [[] for _ in range(k)]
    excluded = np.zeros(k, dtype=bool)

    if measure in ("MD", "SMD"):
        yi, vi = _means(measure, vtype, arrs, lab, notes)
    elif measure in ("RR", "OR", "RD", "PETO"):
        yi, vi = _two_arm(measure, vtype, arrs, lab, add, to, drop00, notes, excluded)
    else:
        yi, vi = _one_arm(measure, vtype, arrs, lab, add, to, notes)

    # as metafor: infinite or NaN values become missing; negative variances too
    bad = ~excluded & (~np.isfinite(yi) | ~np.isfinite(vi))
    for i in np.flatnonzero(bad):
        _add_note(notes, i, "not computable (division by zero or undefined value)")
    yi = np.where(bad | excluded, np.nan, yi)
    vi = np.where(bad | excluded, np.nan, vi)
    neg = vi < 0
    if neg.any():  # pragma: no cover - cannot happen for the measures implemented
        vi = np.where(neg, np.nan, vi)
    zero_v = vi == 0
    for i in np.flatnonzero(zero_v):
        _add_note(notes, i, "sampling variance is 0: cannot be weighted by its inverse")

    out = pd.DataFrame({"yi": yi, "vi": vi, "note": ["; ".join(n) for n in notes]})
    if lab is not None:
        out.insert(0, "study", lab)
    names = lab if lab is not None else [str(i) for i in range(k)]
    out.attrs["measure"] = measure
    out.attrs["add"] = add
    out.attrs["to"] = to
    out.attrs["drop00"] = drop00
    out.attrs["vtype"] = vtype
    out.attrs["notes"] = [f"{names[i]}: {'; '.join(n)}" for i, n in enumerate(notes) if n]
    out.attrs["excluded"] = [names[i] for i in range(k) if np.isnan(yi[i])]
    return out


def _means(measure, vtype, a, lab, notes):
    m1, sd1, n1, m2, sd2, n2 = (a[f] for f in _MEANS)
    for sd, f in ((sd1, "sd1"), (sd2, "sd2")):
        check_nonnegative(sd, f, lab, "standard deviations must be >= 0")
    for n, f in ((n1, "n1"), (n2, "n2")):
        bad = n < 1
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{f}: {where(i, lab)} is {n[i]:g}; group sizes must be >= 1")
    m = n1 + n2 - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sdp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / m)
        if measure == "MD":
            yi = m1 - m2
            if vtype == "HO":
                vi = sdp**2 * (1 / n1 + 1 / n2)
            else:
                vi = sd1**2 / n1 + sd2**2 / n2
            return yi, vi
        j = _hedges_j(m)
        for i in np.flatnonzero(~(m > 1)):
            _add_note(notes, i, "SMD: n1 + n2 - 2 <= 1, bias correction undefined")
        d = (m1 - m2) / sdp
        yi = j * d
        ntot = n1 + n2
        if vtype == "LS":
            vi = 1 / n1 + 1 / n2 + yi**2 / (2 * ntot)
        elif vtype == "UB":
            vi = 1 / n1 + 1 / n2 + (1 - (m - 2) / (m * j**2)) * yi**2
        elif vtype == "LS2":
            vi = j**2 * (1 / n1 + 1 / n2 + d**2 / (2 * ntot))
        else:  # AV
            ok = np.isfinite(yi)
            ybar = _wmean(np.where(ok, yi, np.nan), ntot.astype(float))
            vi = 1 / n1 + 1 / n2 + ybar**2 / (2 * ntot)
    return yi, vi


def _check_counts(events, n, fe, fn, lab):
    check_integer(events, fe, lab)
    check_integer(n, fn, lab)
    check_nonnegative(events, fe, lab, "event counts must be >= 0")
    bad = n < 1
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{fn}: {where(i, lab)} is {n[i]:g}; group sizes must be >= 1")
    check_not_greater(events, n, fe, fn, lab)


def _apply_add(cells, id0, add, to, active):
    """Add ``add`` to every cell per metafor's ``to`` rule; returns (cells, added mask)."""
    k = cells[0].shape[0]
    if to == "all":
        mask = active.copy()
    elif to == "only0":
        mask = id0 & active
    elif to == "if0all":
        mask = active.copy() if (id0 & active).any() else np.zeros(k, dtype=bool)
    else:
        mask = np.zeros(k, dtype=bool)
    if add == 0:
        mask = np.zeros(k, dtype=bool)
    return [c + np.where(mask, add, 0.0) for c in cells], mask


def _two_arm(measure, vtype, arr, lab, add, to, drop00, notes, excluded):
    e1, n1, e2, n2 = (arr[f] for f in _TWO_ARM)
    _check_counts(e1, n1, "e1", "n1", lab)
    _check_counts(e2, n2, "e2", "n2", lab)
    a, b, c, d = e1, n1 - e1, e2, n2 - e2
    none00 = (a == 0) & (c == 0)
    all11 = (b == 0) & (d == 0)
    name = {"RR": "RR", "OR": "OR", "PETO": "Peto OR", "RD": "RD"}[measure]
    if drop00:
        excluded |= none00 | all11
        for i in np.flatnonzero(none00):
            _add_note(notes, i, f"double-zero study (no events in either arm): excluded from {name}")
        for i in np.flatnonzero(all11 & ~none00):
            _add_note(notes, i, f"every participant had the event in both arms: excluded from {name}")
    else:
        for i in np.flatnonzero(none00):
            _add_note(notes, i, f"double-zero study (no events in either arm): kept for {name} (drop00=False)")
        for i in np.flatnonzero(all11 & ~none00):
            _add_note(notes, i, f"every participant had the event in both arms: kept for {name} (drop00=False)")
    active = ~excluded
    id0 = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    (a, b, c, d), added = _apply_add([a, b, c, d], id0, add, to, active)
    for i in np.flatnonzero(added & id0):
        _add_note(notes, i, f"zero cell: {add:g} added to each cell")
    if to in ("all", "if0all") and added.any():
        for i in np.flatnonzero(added & ~id0):
            _add_note(notes, i, f"{add:g} added to each cell (to={to!r})")
    n1a, n2a = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a / n1a, c / n2a
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1a + 1 / c - 1 / n2a
        elif measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "PETO":
            nt = n1a + n2a
            xt, yt = a + c, b + d
            e = xt * n1a / nt
            v = xt * yt * (n1a / nt) * (n2a / nt) / (nt - 1)
            yi = (a - e) / v
            vi = 1 / v
        else:  # RD
            yi = p1 - p2
            if vtype == "LS":
                vi = p1 * (1 - p1) / n1a + p2 * (1 - p2) / n2a
            elif vtype == "UB":
                vi = p1 * (1 - p1) / (n1a - 1) + p2 * (1 - p2) / (n2a - 1)
            else:  # AV
                keep = active
                pb1 = _wmean(np.where(keep, p1, np.nan), n1a)
                pb2 = _wmean(np.where(keep, p2, np.nan), n2a)
                vi = pb1 * (1 - pb1) / n1a + pb2 * (1 - pb2) / n2a
    return yi, vi


def _one_arm(measure, vtype, arr, lab, add, to, notes):
    x, n = arr["events"], arr["n"]
    _check_counts(x, n, "events", "n", lab)
    m = n - x
    id0 = (x == 0) | (m == 0)
    active = np.ones(x.shape[0], dtype=bool)
    (x, m), added = _apply_add([x, m], id0, add, to, active)
    for i in np.flatnonzero(added & id0):
        _add_note(notes, i, f"zero count: {add:g} added to events and non-events")
    if to in ("all", "if0all") and added.any():
        for i in np.flatnonzero(added & ~id0):
            _add_note(notes, i, f"{add:g} added to events and non-events (to={to!r})")
    na = x + m
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / na
        if measure == "PR":
            yi = p
            if vtype == "LS":
                vi = p * (1 - p) / na
            elif vtype == "UB":
                vi = p * (1 - p) / (na - 1)
            else:
                pb = _wmean(p, na)
                vi = pb * (1 - pb) / na
        elif measure == "PLO":
            yi = np.log(p / (1 - p))
            if vtype == "LS":
                vi = 1 / x + 1 / m
            else:
                pb = _wmean(p, na)
                vi = 1 / (pb * na) + 1 / ((1 - pb) * na)
        else:  # PFT
            yi = 0.5 * (np.arcsin(np.sqrt(x / (na + 1))) + np.arcsin(np.sqrt((x + 1) / (na + 1))))
            vi = 1 / (4 * na + 2)
    return yi, vi
