"""The scorecard of Orhurhu et al. 2019: every published claim, re-derived or explained.

:func:`scorecard` puts every claim of ``published()``
(the number as printed, where it is printed) beside our re-derivation: the re-derived
value, one of four statuses (:data:`STATUSES`), the reason in words and the analysis
that produced it. The rows come from four modules, each owning a share of the claims:

``checks_primary``
    the primary outcome, its subgroups, the meta-regressions, the heterogeneity
    paragraph, the Begg and Egger tests, Table 2's footnote b;
``checks_secondary``
    the time course, responders and adverse effects (and Table 1's adverse-effect
    column);
``checks_certainty``
    Table 2 (GRADE) and the sample-size calculation;
``checks_design``
    everything else: search and study flow, methods statements, participants,
    regimens, Table 1, risk of bias, the Introduction and Discussion.

:func:`owner` says which module owns a claim id -- a fixed rule, so that a test can
prove every claim is covered exactly once. The modules are imported only when
:func:`scorecard` runs; a missing one is an error that names it.
"""
from __future__ import annotations

import importlib
import re

import pandas as pd

from ._checkrows import COLUMNS, OTHER_SHARE, published_claims
from ._checkrows import STATUSES as _STATUSES

#: The four statuses a claim can have, from best to worst.
STATUSES: tuple[str, ...] = _STATUSES

__all__ = ["STATUSES", "MODULES", "owner", "owners", "scorecard", "status_counts"]

#: The checks modules, in the order their rows are listed.
MODULES: tuple[str, ...] = ("checks_design", "checks_primary", "checks_secondary", "checks_certainty")

# First match wins; checks_design takes whatever is left.
_RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("checks_primary", OTHER_SHARE),
    ("checks_certainty", re.compile(r"^table2\.|^methods\.(samplesize|p_threshold)(\.|$)")),
    ("checks_secondary", re.compile(
        r"^(ae|responders|time|keypoints)\."
        r"|^(abstract|results|summary)\.responders(\.|$)"
        r"|^table1\.ae\."
        r"|^discussion\.(highdose_duration|timecourse)(\.|$)"
    )),
    ("checks_design", re.compile(r".")),
)


def owner(claim_id: str) -> str:
    """The checks module (e.g. ``"checks_primary"``) that owns ``claim_id``."""
    if not isinstance(claim_id, str) or not claim_id:
        raise ValueError(f"claim_id: expected a claim id such as 'primary.md', got {claim_id!r}")
    for module, pattern in _RULES:
        if pattern.search(claim_id):
            return module
    raise AssertionError("unreachable: the last rule matches every id")  # pragma: no cover


def owners() -> pd.DataFrame:
    """Every claim of ``published()`` with the module that owns it (``claim_id``, ``module``)."""
    ids = published_claims()["claim_id"].tolist()
    return pd.DataFrame({"claim_id": ids, "module": [owner(c) for c in ids]})


def _load(module: str):
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(module):
            raise ModuleNotFoundError(
                f"scorecard: the checks module kmeta.reviews.orhurhu2019.{module} is missing; it owns "
                f"{int((owners()['module'] == module).sum())} claims (see scorecard.owner)",
                name=exc.name,
            ) from None
        raise


def scorecard() -> pd.DataFrame:
    """One row per published claim: as printed, as re-derived, status and reason.

    Columns: ``claim_id``, ``section``, ``location``, ``quantity``, ``printed`` (the
    published fragment), ``rederived``, ``rederived_value``, ``status`` (one of
    :data:`~kmeta.reviews.orhurhu2019.scorecard.STATUSES`), ``reason``, ``check``,
    ``module``; in the order of
    ``published()``.

    Raises
    ------
    ModuleNotFoundError
        A checks module is missing (the message names it).
    ValueError
        A module covers a claim it does not own, a claim twice, or leaves one out.
    """
    parts = []
    for module in MODULES:
        rows = _load(module).checks()
        if tuple(rows.columns) != COLUMNS:
            raise ValueError(f"{module}.checks(): columns {tuple(rows.columns)}, expected {COLUMNS}")
        foreign = [c for c in rows["claim_id"] if owner(c) != module]
        if foreign:
            raise ValueError(f"{module}.checks(): covers claims it does not own: {foreign[:5]}")
        parts.append(rows.assign(module=module))
    rows = pd.concat(parts, ignore_index=True)
    dup = rows["claim_id"][rows["claim_id"].duplicated()]
    if len(dup):
        raise ValueError(f"scorecard: claim {dup.iloc[0]!r} is covered twice")
    bad = set(rows["status"]) - set(STATUSES)
    if bad:
        raise ValueError(f"scorecard: unknown status {sorted(bad)}")
    pub = published_claims().reset_index(drop=True)
    missing = sorted(set(pub["claim_id"]) - set(rows["claim_id"]))
    if missing:
        raise ValueError(f"scorecard: {len(missing)} claims have no row, e.g. {missing[:5]}")
    unknown = sorted(set(rows["claim_id"]) - set(pub["claim_id"]))
    if unknown:
        raise ValueError(f"scorecard: rows for claims not in published(): {unknown[:5]}")
    card = pub[["claim_id", "section", "location", "quantity", "printed"]].merge(rows, on="claim_id", how="left")
    return card[["claim_id", "section", "location", "quantity", "printed", "rederived", "rederived_value",
                 "status", "reason", "check", "module"]]


def status_counts(card: pd.DataFrame | None = None, by: str | None = None) -> pd.DataFrame:
    """How many claims have each status (optionally by ``section`` or ``module``).

    Returns a DataFrame with one row per status (in the order of :data:`STATUSES`) and
    a ``claims`` column, or one column per value of ``by``; every status appears,
    with 0 where none has it.
    """
    card = scorecard() if card is None else card
    if by is None:
        counts = card["status"].value_counts().reindex(list(STATUSES), fill_value=0)
        return counts.rename("claims").rename_axis("status").reset_index()
    if by not in card.columns:
        raise ValueError(f"by: {by!r} is not a column of the scorecard")
    table = pd.crosstab(card["status"], card[by]).reindex(list(STATUSES), fill_value=0)
    return table.rename_axis("status").rename_axis(None, axis=1).reset_index()
