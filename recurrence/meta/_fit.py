"""The meta-analysis engine: :func:`fit` computes the per-study effects of a
:class:`~recurrence.meta._model_spec.Spec`, pools them and assembles the
:class:`~recurrence.meta.results.MetaResult`.

:func:`refit` fits the same model to a subset of the studies (sensitivity analyses,
subgroups); :func:`from_effects` pools per-study effects with a result's model, and
:func:`iv_method` names the inverse-variance model that stands in for it (trim and
fill, influence). The public entry points, :func:`~recurrence.meta.models.proportions`
and :func:`~recurrence.meta.models.compare`, check their arguments and build the
:class:`~recurrence.meta._model_spec.Spec`; every name here is also imported from
:mod:`recurrence.meta.models`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, Problem, StatisticalWarning
from ._model_spec import Spec
from .effects import (
    ADD,
    back_transform,
    exact_interval,
    peto_effects,
    proportion_effects,
    study_intervals,
    two_arm_effects,
    wilson_interval,
)
from .pooling import Pooled, pool
from .results import MetaResult
from .tau2 import METHODS

__all__ = ["fit", "from_effects", "iv_method", "refit"]


def _pool(spec: Spec, yi, vi) -> Pooled:
    """Inverse-variance pooling by ``spec.method``, or the Bayesian model."""
    if spec.method == "bayes":
        from ._bayes_pooled import bayes_pooled

        return bayes_pooled(yi, vi, tau_prior=spec.tau_prior, level=spec.level)
    return pool(yi, vi, method=spec.method, hksj=spec.hksj, level=spec.level)


def _shrunk_columns(pooled: Pooled, included, back) -> dict:
    """Per-study shrinkage estimates of a Bayesian fit (natural scale), NaN elsewhere."""
    if pooled.bayes is None:
        return {}
    out = {}
    q = pooled.bayes.shrinkage
    for j, name in enumerate(("shrunk_low", "shrunk", "shrunk_high")):
        col = np.full(included.size, np.nan)
        col[included] = back(q[:, j], included)
        out[name] = col
    return {k: out[k] for k in ("shrunk", "shrunk_low", "shrunk_high")}


def _names(labels, mask, limit=5):
    names = [str(s) for s in np.asarray(labels, dtype=object)[mask]]
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def refit(result: MetaResult, mask) -> tuple[MetaResult, tuple]:
    """Fit ``result``'s model to the studies where ``mask`` (over the input studies,
    i.e. the rows of ``result.table``) is True; returns the result and its alerts."""
    return fit(result.spec.subset(mask))


def fit(spec: Spec) -> tuple[MetaResult, tuple]:
    """Fit a :class:`Spec`; the alerts are returned, not raised (callers decide)."""
    if spec.kind == "proportion":
        return _fit_proportions(spec)
    if spec.kind == "effects":
        return _fit_effects(spec)
    return _fit_compare(spec)


def _fit_proportions(spec: Spec):
    x, n = spec.counts
    labels = np.asarray(spec.labels, dtype=object)
    remarks, alerts = [], []
    if spec.scale == "glmm":
        from .glmm import glmm_proportions

        pooled = glmm_proportions(x, n, level=spec.level)
        eff = proportion_effects(x, n, "logit")
        scale = "logit"
        if spec.hksj:
            alerts.append(
                (
                    "HKSJ is not available for the binomial-normal GLMM: its interval is "
                    "the Wald z interval (as metafor's rma.glmm)",
                    StatisticalWarning,
                )
            )
    else:
        eff = proportion_effects(x, n, spec.scale)
        scale = spec.scale
        if eff.corrected.any():
            m = int(eff.corrected.sum())
            remarks.append(
                f"{m} stud{'y' if m == 1 else 'ies'} with no events or only events: "
                f"{ADD} added to {'its' if m == 1 else 'their'} events and non-events "
                f"({_names(labels, eff.corrected)})"
            )
            if eff.corrected.all():
                alerts.append(
                    (
                        f"every study has no events (or only events): each got {ADD} "
                        f"added, so the pooled {spec.scale} proportion reflects that "
                        "correction more than the data (transform='ft' or 'glmm' needs "
                        "none)",
                        StatisticalWarning,
                    )
                )
        pooled = _pool(spec, eff.yi, eff.vi)
        if spec.hksj and spec.method == "bayes":
            alerts.append(
                ("HKSJ applies to inverse-variance models; ignored for bayes", StatisticalWarning)
            )
    nh = n if spec.scale == "ft" else None

    def back(v):
        return None if v is None else float(back_transform(v, spec.scale, nh))

    if spec.study_ci == "exact":
        lo, hi = exact_interval(x, n, spec.level)
    elif spec.study_ci == "wilson":
        lo, hi = wilson_interval(x, n, spec.level)
    else:
        lo, hi = study_intervals(eff.yi, eff.vi, spec.level)
        per = n if spec.scale == "ft" else None
        lo, hi = back_transform(lo, scale, per), back_transform(hi, scale, per)
    table = pd.DataFrame(
        {
            "study": list(spec.labels),
            "events": x.astype(int),
            "total": n.astype(int),
            "estimate": x / n,
            "ci_low": lo,
            "ci_high": hi,
            "weight": pooled.weights,
            "weight_common": pooled.fe["weights"],
            "yi": eff.yi,
            "vi": eff.vi,
            "included": True,
            "corrected": eff.corrected,
            **_shrunk_columns(
                pooled,
                np.ones(x.size, bool),
                lambda v, inc: back_transform(v, scale, n[inc] if scale == "ft" else None),
            ),
        }
    )
    return _assemble(spec, pooled, table, eff.yi, eff.vi, back, remarks, alerts)


def _fit_compare(spec: Spec):
    a, n1, c, n2 = spec.counts
    labels = np.asarray(spec.labels, dtype=object)
    measure, method = spec.scale, spec.method
    remarks, alerts = [], []
    eff = peto_effects(a, n1, c, n2) if method == "PETO" else two_arm_effects(a, n1, c, n2, measure)
    corr = two_arm_effects(a, n1, c, n2, measure) if method == "PETO" else eff
    if not eff.included.any():
        raise DataError(
            Problem(
                f"no study has events in either arm (or every study has only "
                f"events in both): the {measure} cannot be estimated",
                fix="use measure='RD', which keeps such studies",
            )
        )
    if method != "PETO" and corr.corrected.any():
        m = int(corr.corrected.sum())
        remarks.append(
            f"{m} stud{'y' if m == 1 else 'ies'} with a zero cell: {ADD} added to all "
            f"{'its' if m == 1 else 'their'} cells ({_names(labels, corr.corrected)})"
        )
    if eff.double_zero.any() and measure in ("RR", "OR"):
        m = int(eff.double_zero.sum())
        what = "no events (or only events) in both arms" if method == "PETO" else "double-zero"
        remarks.append(
            f"{what} stud{'y' if m == 1 else 'ies'} {_names(labels, eff.double_zero)} "
            f"left out of {measure}"
        )
    inc = eff.included
    for arm, ev in (("closure", a), ("control", c)):
        if (ev[inc] == 0).all() and method != "PETO":
            alerts.append(
                (
                    f"no events in the {arm} arm of any study: every study's {measure} "
                    f"rests on the {ADD} continuity correction",
                    StatisticalWarning,
                )
            )
    yi, vi = eff.yi[inc], eff.vi[inc]
    if method == "MH":
        from .mh import mantel_haenszel

        pooled = mantel_haenszel(a, n1, c, n2, measure, spec.level)
    elif method == "PETO":
        from .mh import peto

        pooled = peto(a, n1, c, n2, spec.level)
    elif method == "GLMM":
        from .glmm_or import glmm_odds_ratio

        pooled = glmm_odds_ratio(a[inc], n1[inc], c[inc], n2[inc], yi, vi, level=spec.level)
    else:
        pooled = _pool(spec, yi, vi)
    if spec.hksj and method in ("MH", "PETO", "GLMM", "bayes"):
        alerts.append(
            (
                f"HKSJ applies to inverse-variance models; ignored for {method}",
                StatisticalWarning,
            )
        )

    def back(v):
        return None if v is None else float(back_transform(v, measure))

    lo, hi = study_intervals(eff.yi, eff.vi, spec.level)
    weight = np.zeros(a.size)
    weight[inc] = pooled.weights
    weight_common = np.zeros(a.size)
    weight_common[inc] = pooled.fe["weights"]
    table = pd.DataFrame(
        {
            "study": list(spec.labels),
            "events_closure": a.astype(int),
            "total_closure": n1.astype(int),
            "events_control": c.astype(int),
            "total_control": n2.astype(int),
            "estimate": back_transform(eff.yi, measure),
            "ci_low": back_transform(lo, measure),
            "ci_high": back_transform(hi, measure),
            "weight": weight,
            "weight_common": weight_common,
            "yi": eff.yi,
            "vi": eff.vi,
            "included": inc,
            "corrected": corr.corrected,
            **_shrunk_columns(pooled, inc, lambda v, _: back_transform(v, measure)),
        }
    )
    return _assemble(spec, pooled, table, yi, vi, back, remarks, alerts)


def iv_method(result: MetaResult) -> tuple[str, str | None]:
    """The inverse-variance model that stands in for ``result``'s when a method needs
    one (trim and fill, influence): the same model for inverse-variance fits, the
    common-effect model for MH and Peto, ML τ² on the logit scale for the GLMM."""
    method = result.spec.method
    if method in METHODS:
        return method, None
    if method == "bayes":
        return "REML", (
            "the Bayesian model has no closed-form refit for this method: the "
            "inverse-variance REML model of the same per-study effects was used"
        )
    if method in ("MH", "PETO", "GLMM") and result.kind == "compare":
        return "FE" if method != "GLMM" else "ML", (
            f"{ {'MH': 'Mantel-Haenszel', 'PETO': 'Peto', 'GLMM': 'the GLMM'}[method] } "
            "cannot take studies without counts: the inverse-variance "
            f"{'ML' if method == 'GLMM' else 'common-effect'} model of the same "
            "per-study effects was used"
        )
    return "ML", (
        "the binomial-normal GLMM cannot take studies without counts: the "
        "inverse-variance logit model with ML τ² was used"
    )


def from_effects(
    base: MetaResult,
    yi,
    vi,
    labels,
    *,
    n=None,
    method: str | None = None,
    extra_columns: dict | None = None,
):
    """Pool model-scale effects ``yi``/``vi`` with ``base``'s scale, HKSJ and level
    (and ``method``, default :func:`iv_method`); the per-study table is built from
    ``yi``/``vi`` alone (Wald intervals). Returns the result and its alerts; the
    result refits (:func:`refit`) from the effects."""
    spec = base.spec
    if method is None:
        method = iv_method(base)[0]
    yi = np.asarray(yi, float)
    counts = (yi, np.asarray(vi, float)) + (() if n is None else (np.asarray(n, float),))
    extra = {
        k: np.asarray(v, dtype=object if pd.api.types.is_extension_array_dtype(v) else None)
        for k, v in (extra_columns or {}).items()
    }
    new = Spec(
        "effects",
        counts + tuple(extra.values()),
        tuple(labels),
        "logit" if spec.scale == "glmm" else spec.scale,
        method,
        spec.hksj if method in METHODS else False,
        spec.level,
        "wald",
        None,
        measure=base.measure,
        extra_names=tuple(extra),
        tau_prior=spec.tau_prior,
    )
    return fit(new)


def _fit_effects(spec: Spec):
    yi, vi = spec.counts[0], spec.counts[1]
    scale = spec.scale
    has_n = scale == "ft"
    nh = spec.counts[2] if has_n else None
    extra = dict(zip(spec.extra_names, spec.counts[2 + has_n :], strict=True))
    pooled = _pool(spec, yi, vi)

    def back(v):
        return None if v is None else float(back_transform(v, scale, nh))

    lo, hi = study_intervals(yi, vi, spec.level)
    counts = {
        k: pd.array(list(v), dtype="Int64")
        for k, v in extra.items()
        if k.startswith(("events", "total"))
    }
    flags = {
        k: np.asarray(v, object if np.asarray(v).dtype == object else bool)
        for k, v in extra.items()
        if k not in counts
    }
    table = pd.DataFrame(
        {
            "study": list(spec.labels),
            **counts,
            "estimate": back_transform(yi, scale, nh),
            "ci_low": back_transform(lo, scale, nh),
            "ci_high": back_transform(hi, scale, nh),
            "weight": pooled.weights,
            "weight_common": pooled.fe["weights"],
            "yi": yi,
            "vi": vi,
            "included": True,
            "corrected": False,
            **flags,
            **_shrunk_columns(
                pooled,
                np.ones(yi.size, bool),
                lambda v, inc: back_transform(v, scale, nh[inc] if nh is not None else None),
            ),
        }
    )
    return _assemble(spec, pooled, table, yi, vi, back, [], [])


def _assemble(spec: Spec, pooled: Pooled, table, yi, vi, back, remarks, alerts):
    alerts = list(alerts) + list(pooled.alerts)
    remarks = list(remarks) + [m for m, _ in alerts] + list(pooled.notes)
    tau2_ci = pooled.tau2_ci or (None, None)
    fe = pooled.fe
    common = {
        "method": "FE" if spec.method not in ("MH", "PETO") else spec.method,
        "estimate": back(fe["estimate"]),
        "ci_low": back(fe["ci_low"]),
        "ci_high": back(fe["ci_high"]),
        "pvalue": fe["pvalue"],
    }
    if spec.kind == "proportion" or (spec.kind == "effects" and spec.measure == "proportion"):
        kind, measure = "proportion", "proportion"
    else:
        kind, measure = "compare", spec.measure or spec.scale
    res = MetaResult(
        kind=kind,
        measure=measure,
        scale=spec.scale,
        method=pooled.method if spec.scale == "glmm" else spec.method,
        hksj=(spec.hksj if spec.hksj == "adhoc" else True) if pooled.df is not None else False,
        level=spec.level,
        estimate=back(pooled.estimate),
        ci_low=back(pooled.ci_low),
        ci_high=back(pooled.ci_high),
        pi_low=back(pooled.pi_low),
        pi_high=back(pooled.pi_high),
        tau2=pooled.tau2,
        tau2_ci_low=tau2_ci[0],
        tau2_ci_high=tau2_ci[1],
        i2=pooled.i2,
        h2=pooled.h2,
        q=pooled.q,
        q_df=pooled.q_df,
        q_pvalue=pooled.q_pvalue,
        pvalue=pooled.pvalue,
        statistic=pooled.statistic,
        df=pooled.df,
        se=pooled.se,
        k=pooled.k,
        table=table,
        common=common,
        remarks=tuple(dict.fromkeys(remarks)),
        converged=pooled.converged,
        yi=np.asarray(yi),
        vi=np.asarray(vi),
        spec=spec,
        estimate_model=pooled.estimate,
        se_usual=pooled.se_usual,
        ci_model=(pooled.ci_low, pooled.ci_high),
        pi_model=(pooled.pi_low, pooled.pi_high),
        fe_model=fe,
        glmm=pooled.glmm,
        bayes=pooled.bayes,
    )
    return res, tuple(alerts)
