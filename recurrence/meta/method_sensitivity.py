"""Sensitivity of the pooled effect to the method: one table, one row per method.

With few small studies the answer depends on how τ² and the interval are estimated
(DerSimonian-Laird and REML misjudge τ² when k < 10; plain HKSJ can be narrower than
the common-effect interval). :func:`sensitivity` fits the same studies with

* FE (common effect, inverse variance), MH (Mantel-Haenszel, comparisons), Peto (OR);
* DL, REML, REML + HKSJ, REML + adhoc (modified HKSJ, never narrower), PM;
* GLMM: for OR the binomial-normal model with fixed study intercepts
  (``rma.glmm(measure="OR", model="UM.FS")``), for proportions the binomial-normal
  model of the counts (``rma.glmm(measure="PLO")``); none for RR and RD;
* bayes with τ ~ halfnormal(0.5) and halfnormal(1.0) (flat prior on the mean;
  posterior medians and 95% credible intervals);
* REML without the studies at high risk of bias, when the study table has a ``rob``
  column naming any (see :mod:`recurrence.meta.rob`).

The caveats of each fit (τ² at 0, zero cells) go to the remarks, prefixed with the
method, rather than a warning per fit; non-convergence is still warned about, once.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from .._format import fmt
from ..errors import ConvergenceWarning, DataError, Problem, warn
from ..results import ResultMixin
from .models import compare, proportions
from .results import MetaResult

__all__ = ["SensitivityResult", "sensitivity"]

#: The priors of the Bayesian rows.
PRIORS = ("halfnormal(0.5)", "halfnormal(1.0)")
COLUMNS = ["method", "estimate", "ci_low", "ci_high", "tau2", "k", "pi_low", "pi_high", "interval"]


@dataclass(frozen=True, repr=False)
class SensitivityResult(ResultMixin):
    """The pooled effect by method.

    ``table``: one row per method with ``method``, ``estimate``, ``ci_low``,
    ``ci_high``, ``tau2`` (natural scale; τ² on the model scale: the posterior median
    for the Bayesian rows), ``k``, ``pi_low``, ``pi_high`` and ``interval`` (``CI`` or
    ``CrI``, credible interval); ``results``: the fits by method; ``measure``.
    """

    title: ClassVar[str] = "Sensitivity to the method"

    table: pd.DataFrame
    results: dict = field(repr=False)
    measure: str = "RR"
    level: float = 0.95
    remarks: tuple[str, ...] = ()

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("RR", "OR", "HR")

    def summary_lines(self) -> list[str]:
        lo, hi = self.table["estimate"].min(), self.table["estimate"].max()
        return [
            f"{self.measure} by {len(self.table)} methods: estimates from {fmt(lo)} to {fmt(hi)}"
        ]

    def plot(self, ax=None, **kwargs):
        """One row per method: estimate and interval (see
        :func:`recurrence.plotting.plot_sensitivity`)."""
        from ..plotting.sensitivity import plot_sensitivity

        return plot_sensitivity(self, ax=ax, **kwargs)


def _inputs(studies, measure, arm):
    """Counts, labels and study-table rows from a study table or a result."""
    if isinstance(studies, MetaResult):
        spec = studies.spec
        if spec is None or spec.kind not in ("compare", "proportion"):
            raise DataError(
                Problem(
                    "sensitivity() needs counts: a study table, or a result of compare() "
                    "or proportions()",
                    fix="pass the study table",
                )
            )
        kind = "proportion" if spec.kind == "proportion" else "compare"
        measure = "proportion" if kind == "proportion" else spec.scale
        return kind, measure, tuple(spec.counts), list(spec.labels), spec.data
    if not isinstance(studies, pd.DataFrame):
        raise DataError(
            Problem(
                f"expected a study table (DataFrame) or a result, got {type(studies).__name__}",
                fix="load it with recurrence.load_studies()",
            )
        )
    if measure == "proportion":
        cols = [f"events_{arm}", f"total_{arm}"]
    else:
        cols = ["events_closure", "total_closure", "events_control", "total_control"]
    missing = [c for c in ["study", *cols] if c not in studies]
    if missing:
        raise DataError(
            Problem(
                f"the study table has no column(s) {missing}",
                fix="load it with recurrence.load_studies()",
            )
        )
    rows = studies.loc[studies[cols].notna().all(axis=1)]
    if rows.empty:
        raise DataError(Problem("no study has the counts this analysis needs", fix="check them"))
    counts = tuple(rows[c].to_numpy(float) for c in cols)
    kind = "proportion" if measure == "proportion" else "compare"
    return kind, measure, counts, rows["study"].astype(str).tolist(), rows.reset_index(drop=True)


def _plan(kind, measure):
    plan = [("FE", {"method": "FE"})]
    if kind == "compare":
        plan.append(("MH", {"method": "MH"}))
        if measure == "OR":
            plan.append(("Peto", {"method": "PETO"}))
    plan += [
        ("DL", {"method": "DL"}),
        ("REML", {"method": "REML"}),
        ("REML + HKSJ", {"method": "REML", "hksj": True}),
        ("REML + adhoc", {"method": "REML", "hksj": "adhoc"}),
        ("PM", {"method": "PM"}),
    ]
    if kind == "proportion":
        plan.append(("GLMM", {"transform": "glmm"}))
    elif measure == "OR":
        plan.append(("GLMM", {"method": "GLMM"}))
    plan += [(f"bayes {p}", {"method": "bayes", "tau_prior": p}) for p in PRIORS]
    return plan


def sensitivity(
    studies,
    *,
    measure: str = "RR",
    arm: str = "control",
    transform: str = "logit",
    level: float = 0.95,
) -> SensitivityResult:
    """Pool the same studies by every method of the few-studies toolbox.

    Parameters
    ----------
    studies
        A study table (``recurrence.load_studies()``; the studies with the counts the
        analysis needs) or a result of :func:`compare` / :func:`proportions` (its
        studies, measure or arm).
    measure
        ``"RR"``, ``"OR"``, ``"RD"``, or ``"proportion"`` (one arm's rate: ``arm``,
        on the ``transform`` scale).
    arm
        ``"control"`` (without closure) or ``"closure"``: the arm pooled when
        ``measure="proportion"``.
    transform
        Scale of a pooled proportion: ``"logit"`` (default), ``"ft"`` (Freeman-Tukey
        double arcsine), ``"arcsine"`` or ``"raw"``, as in :func:`proportions`.
    level
        Level of every interval.

    Returns
    -------
    SensitivityResult
        ``table`` with ``method``, ``estimate``, ``ci_low``, ``ci_high``, ``tau2`` and
        more; ``plot()``.

    Examples
    --------
    >>> from recurrence.meta.datasets import bcg
    >>> sens = sensitivity(bcg(), measure="OR")
    >>> sens.table["method"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['FE', 'MH', 'Peto', 'DL', 'REML', 'REML + HKSJ', 'REML + adhoc', 'PM', 'GLMM',
     'bayes halfnormal(0.5)', 'bayes halfnormal(1.0)']
    >>> round(float(sens.table.set_index("method").loc["REML", "estimate"]), 3)
    0.475
    """
    if measure not in ("RR", "OR", "RD", "proportion"):
        raise DataError(
            Problem(f"measure={measure!r} is not known", fix="use RR, OR, RD or proportion")
        )
    kind, measure, counts, labels, data = _inputs(studies, measure, arm)
    fits, rows, remarks, stuck = {}, [], [], []
    for name, options in _plan(kind, measure):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if kind == "proportion":
                opts = {"transform": transform, **options}
                res = proportions(*counts, level=level, labels=labels, data=data, **opts)
            else:
                res = compare(
                    *counts, measure=measure, level=level, labels=labels, data=data, **options
                )
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                stuck.append(name)
            remarks.append(f"{name}: {w.message}")
        fits[name] = res
        rows.append(_row(name, res))
    without = _without_high_risk(fits["REML"], level)
    if without is not None:
        res, message = without
        fits["REML without high risk of bias"] = res
        rows.append(_row("REML without high risk of bias", res))
        remarks.append(message)
    if stuck:
        warn(f"τ² did not converge for {', '.join(stuck)}; see the remarks", ConvergenceWarning)
    table = pd.DataFrame(rows, columns=COLUMNS)
    return SensitivityResult(
        table=table,
        results=fits,
        measure=measure,
        level=level,
        remarks=tuple(dict.fromkeys(remarks)),
    )


def _row(name, res):
    return {
        "method": name,
        "estimate": res.estimate,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "tau2": res.tau2,
        "k": res.k,
        "pi_low": res.pi_low,
        "pi_high": res.pi_high,
        "interval": "CrI" if res.method == "bayes" else "CI",
    }


def _without_high_risk(result, level):
    """REML without the high-risk studies, when the study table names any (and leaves
    at least one study)."""
    from .rob import high_risk, without_high_risk

    data = result.spec.data
    if data is None or "rob" not in data:
        return None
    high = high_risk(data["rob"])
    if not high.any() or high.all():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = without_high_risk(result)
    return res, f"REML without high risk of bias: {int(high.sum())} of {high.size} studies left out"
