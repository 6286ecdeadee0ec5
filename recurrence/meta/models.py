"""The two questions researchers ask of published studies, as docs/meta-analysis.md describes them:

* :func:`proportions`: how often does it happen (one arm's reherniation rate)?
* :func:`compare`: how much does closure change it (RR, OR, RD)?

Both validate the counts, compute per-study effects (:mod:`.effects`), pool them
(:mod:`.pooling`, :mod:`.mh`, :mod:`.glmm`) and return a :class:`~.results.MetaResult`
on the natural scale whose ``remarks`` carry every caveat; the weak-basis caveats are
also raised as :class:`~recurrence.errors.StatisticalWarning` (or
:class:`~recurrence.errors.ConvergenceWarning`).

A result remembers how it was made (``result.spec``), so sensitivity analyses refit
the same model on subsets (:func:`refit`). The fitting itself is in :mod:`._fit`.
"""

from __future__ import annotations

import pandas as pd

from .._validate import check_level
from ..errors import DataError, Problem, warn
from ._fit import fit, refit
from ._fit import from_effects as from_effects
from ._fit import iv_method as iv_method
from ._model_spec import Spec
from .bayes import DEFAULT_PRIOR, parse_prior
from .effects import MEASURES, TRANSFORMS, check_counts
from .pooling import check_hksj
from .results import MetaResult
from .tau2 import METHODS

__all__ = ["Spec", "compare", "fit", "proportions", "refit"]

STUDY_CIS = ("exact", "wilson", "wald")


def _labels(labels, k):
    if labels is None:
        return tuple(f"Study {i}" for i in range(1, k + 1))
    labels = [str(x) for x in (labels.tolist() if hasattr(labels, "tolist") else labels)]
    if len(labels) != k:
        raise DataError(
            Problem(f"{len(labels)} labels for {k} studies", fix="give one label per study")
        )
    return tuple(labels)


def proportions(
    events,
    totals,
    *,
    transform: str = "logit",
    method: str = "REML",
    hksj: bool | str = False,
    level: float = 0.95,
    labels=None,
    study_ci: str = "exact",
    data: pd.DataFrame | None = None,
    tau_prior: str = DEFAULT_PRIOR,
) -> MetaResult:
    """Pool one arm's proportions across studies (e.g. the reherniation rate).

    Parameters
    ----------
    events, totals
        Counts per study (reherniations, patients).
    transform
        ``"logit"``, ``"ft"`` (Freeman-Tukey double arcsine, back-transformed by
        Miller's formula at the harmonic mean of the study sizes), ``"arcsine"``,
        ``"raw"``, or ``"glmm"`` (binomial-normal random-effects model by maximum
        likelihood, as ``metafor::rma.glmm(measure="PLO")``; ``method`` is ignored).
    method
        ``"FE"`` (common effect, inverse variance), the τ² estimator of the
        random-effects model: ``"DL"``, ``"REML"``, ``"PM"``, ``"ML"``, ``"EB"``,
        ``"HE"``, ``"SJ"``; or ``"bayes"`` (the normal-normal model on the transform
        scale with a flat prior on the mean and ``tau_prior`` on τ, solved by numerical
        integration: posterior median and quantile intervals; see
        :mod:`recurrence.meta.bayes`).
    hksj
        Hartung-Knapp-Sidik-Jonkman interval of the mean (t on k − 1 df, untruncated);
        ``"adhoc"``: its modification by Röver et al. (2015), never narrower than the
        usual interval (metafor ``test="adhoc"``).
    level
        Confidence level of every interval.
    labels
        Study labels (default ``Study 1``, ``Study 2``, …).
    study_ci
        Per-study intervals in ``table``: ``"exact"`` (Clopper-Pearson), ``"wilson"``
        or ``"wald"`` (on the transform scale, back-transformed).
    data
        Study-table rows aligned with the counts (kept for subgroups, meta-regression
        and cumulative analyses by year).
    tau_prior
        Prior on τ for ``method="bayes"``: ``"halfnormal(s)"``, ``"halfcauchy(s)"`` or
        ``"uniform(a, b)"`` (default ``"halfnormal(0.5)"``).

    Returns
    -------
    MetaResult
        ``estimate``/intervals as proportions; ``table`` with ``study``, ``events``,
        ``total``, each study's proportion, interval and weight.

    Notes
    -----
    Conventions (docs/meta-analysis.md): logit and raw add 0.5 to events and non-events of
    a study with no or only events; Freeman-Tukey and arcsine need no correction. Q is
    Cochran's Q with common-effect weights and I² = (Q − df)/Q floored at 0, whatever
    the τ² estimator; for ``"glmm"`` they are those of the logit inverse-variance
    analysis. The prediction interval is estimate ± t(k − 2)·√(τ² + SE²) with the usual
    SE (``None`` for ``method="FE"`` and k < 3). ``pvalue`` tests the transformed value
    against 0 (logit: p = 0.5; Freeman-Tukey, arcsine, raw: p = 0), as metafor does.

    Examples
    --------
    >>> res = proportions([33, 1, 0, 1], [272, 30, 30, 12], method="DL")
    >>> round(res.estimate, 4), round(res.ci_low, 4), round(res.ci_high, 4), res.k
    (0.0845, 0.0395, 0.1717, 4)
    >>> row = res.table.loc[2]
    >>> row["study"], int(row["events"]), bool(row["corrected"])
    ('Study 3', 0, True)
    >>> res.remarks[0]
    '1 study with no events or only events: 0.5 added to its events and non-events (Study 3)'
    """
    check_level(level)
    if transform not in (*TRANSFORMS, "glmm"):
        raise DataError(
            Problem(
                f"transform={transform!r} is not known",
                fix=f"use one of {', '.join((*TRANSFORMS, 'glmm'))}",
            )
        )
    if method not in (*METHODS, "bayes"):
        extra = " (Mantel-Haenszel and Peto are for compare())" if method in ("MH", "PETO") else ""
        raise DataError(
            Problem(
                f"method={method!r} is not known for proportions{extra}",
                fix=f"use one of {', '.join(METHODS)}, bayes (or transform='glmm')",
            )
        )
    hksj = check_hksj(hksj)
    prior = str(parse_prior(tau_prior))
    if study_ci not in STUDY_CIS:
        raise DataError(
            Problem(f"study_ci={study_ci!r} is not known", fix=f"use one of {', '.join(STUDY_CIS)}")
        )
    x, n = check_counts(events, totals, labels=labels)
    spec = Spec(
        "proportion",
        (x, n),
        _labels(labels, x.size),
        transform,
        "GLMM" if transform == "glmm" else method,
        hksj,
        float(level),
        study_ci,
        _aligned(data, x.size),
        tau_prior=prior,
    )
    result, alerts = fit(spec)
    _emit(alerts)
    return result


def compare(
    events_closure,
    totals_closure,
    events_control,
    totals_control,
    *,
    measure: str = "RR",
    method: str = "REML",
    hksj: bool | str = False,
    level: float = 0.95,
    labels=None,
    data: pd.DataFrame | None = None,
    tau_prior: str = DEFAULT_PRIOR,
) -> MetaResult:
    """Pool the effect of closure (group 1) against no closure (group 2).

    Parameters
    ----------
    events_closure, totals_closure, events_control, totals_control
        Counts per study.
    measure
        ``"RR"`` (risk ratio), ``"OR"`` (odds ratio) or ``"RD"`` (risk difference,
        closure minus control).
    method
        ``"FE"``, a τ² estimator (``"DL"``, ``"REML"``, ``"PM"``, ``"ML"``, ``"EB"``,
        ``"HE"``, ``"SJ"``), ``"MH"`` (Mantel-Haenszel), ``"PETO"`` (OR only),
        ``"GLMM"`` (OR only: the binomial-normal model with fixed study intercepts,
        ``metafor::rma.glmm(measure="OR", model="UM.FS")``) or ``"bayes"`` (as in
        :func:`proportions`, on the log RR, log OR or RD scale).
    hksj, level, labels, data, tau_prior
        As in :func:`proportions`. HKSJ applies to inverse-variance models only.

    Returns
    -------
    MetaResult
        ``estimate``, ``ci_low``, ``ci_high`` on the natural scale (RR, OR or the risk
        difference as a proportion), ``tau2``, ``i2`` (percent), ``pi_low``/``pi_high``,
        ``pvalue``, ``k``, and ``table`` with one row per study (its estimate, interval and
        weight in percent).

    Notes
    -----
    Zero cells: 0.5 is added to every cell of a study with a zero cell. Studies with
    no events in either arm (or only events in both) are left out of RR and OR
    (inverse variance and Mantel-Haenszel; Peto leaves out studies whose variance is 0)
    and kept for RD. Remarks name the studies concerned.

    Examples
    --------
    >>> res = compare([1, 0, 1, 0], [30, 30, 12, 40], [6, 3, 6, 3], [30, 46, 41, 42],
    ...               measure="RR", method="MH", labels=["Cho", "Parker", "Swiss", "Front"])
    >>> round(res.estimate, 3), res.pi_low is None, res.k
    (0.182, True, 4)
    >>> res.remarks[0]
    '2 studies with a zero cell: 0.5 added to all their cells (Parker, Front)'
    """
    check_level(level)
    if measure not in MEASURES:
        raise DataError(
            Problem(f"measure={measure!r} is not known", fix=f"use one of {', '.join(MEASURES)}")
        )
    if method not in (*METHODS, "MH", "PETO", "GLMM", "bayes"):
        raise DataError(
            Problem(
                f"method={method!r} is not known",
                fix=f"use one of {', '.join((*METHODS, 'MH', 'PETO', 'GLMM', 'bayes'))}",
            )
        )
    if method in ("PETO", "GLMM") and measure != "OR":
        what = "Peto's method" if method == "PETO" else "The GLMM (model UM.FS)"
        raise DataError(
            Problem(
                f"{what} estimates odds ratios, not {measure}",
                fix=f"use measure='OR' with method={method!r}, or another method",
            )
        )
    hksj = check_hksj(hksj)
    prior = str(parse_prior(tau_prior))
    a, n1 = check_counts(
        events_closure,
        totals_closure,
        events_name="events_closure",
        totals_name="totals_closure",
        labels=labels,
    )
    c, n2 = check_counts(
        events_control,
        totals_control,
        events_name="events_control",
        totals_name="totals_control",
        labels=labels,
    )
    if a.size != c.size:
        raise DataError(
            Problem(
                f"the closure arm has {a.size} studies, the control arm {c.size}",
                fix="give both arms of every study",
            )
        )
    spec = Spec(
        "compare",
        (a, n1, c, n2),
        _labels(labels, a.size),
        measure,
        method,
        hksj,
        float(level),
        "wald",
        _aligned(data, a.size),
        tau_prior=prior,
    )
    result, alerts = fit(spec)
    _emit(alerts)
    return result


def _aligned(data, k):
    if data is None:
        return None
    if not isinstance(data, pd.DataFrame) or len(data) != k:
        raise DataError(
            Problem(
                f"data must be a DataFrame with one row per study ({k})",
                fix="pass the study-table rows in the order of the counts",
            )
        )
    return data.reset_index(drop=True)


def _emit(alerts):
    for message, category in alerts:
        warn(message, category)
