"""Effect sizes of single proportions and of two-arm comparisons, with the zero-cell
rules of docs/meta-analysis.md ("Conventions"), their back-transformations, and per-study
intervals.

Model scales, as in ``metafor::escalc``:

========== ================================================ =========================
transform  yi                                               vi
========== ================================================ =========================
logit      log(x / (n - x))                                 1/x + 1/(n - x)
ft         ½[asin √(x/(n+1)) + asin √((x+1)/(n+1))]         1/(4n + 2)
arcsine    asin √(x/n)                                      1/(4n)
raw        x/n                                              p(1 - p)/n
========== ================================================ =========================

``ft`` is metafor's ``PFT`` (half the Freeman-Tukey sum of the ``meta`` package: same
pooled proportion, τ² a quarter of it). Logit and raw add 0.5 to events and non-events
of an arm with no or only events (so n becomes n + 1); Freeman-Tukey and arcsine need
no correction. Back-transformation of Freeman-Tukey is Miller's (1978) inversion at
the harmonic mean of the study sizes (``metafor::transf.ipft.hm``).

Two arms (closure = group 1, control = group 2): log RR, log OR, RD with 0.5 added
to every cell of a study with a zero cell; studies with no events in either arm (or
only events in both) are left out of RR and OR and kept for RD; Peto's log OR needs
no correction and leaves out only studies whose variance is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._dist import beta_dist, norm
from ..errors import DataError, Problem

__all__ = [
    "MEASURES",
    "TRANSFORMS",
    "ArmEffects",
    "TwoArmEffects",
    "back_transform",
    "check_counts",
    "exact_interval",
    "peto_effects",
    "proportion_effects",
    "study_intervals",
    "two_arm_effects",
    "wilson_interval",
]

TRANSFORMS = ("logit", "ft", "arcsine", "raw")
MEASURES = ("RR", "OR", "RD")
#: What 0.5 is added to (docs/meta-analysis.md, "Conventions").
ADD = 0.5


def _as_array(values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(
            Problem(f"{name} must be numbers ({exc})", column=name, fix="pass counts as integers")
        ) from None
    return arr


def check_counts(
    events, totals, *, events_name: str = "events", totals_name: str = "totals", labels=None
) -> tuple[np.ndarray, np.ndarray]:
    """Validate one arm's counts: same length, whole numbers, 0 ≤ events ≤ totals, totals > 0.

    Returns float arrays (counts stay exact as floats). Raises :class:`DataError`
    naming the studies (by label when given, else 1-based position) and the fix.

    Examples
    --------
    >>> check_counts([1, 0], [30, 40])
    (array([1., 0.]), array([30., 40.]))
    >>> check_counts([5], [3])
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: counts: 1 problem:
      - column 'events', row 1: is larger than totals (found 5). Fix: events cannot ...
    """
    x = _as_array(events, events_name)
    n = _as_array(totals, totals_name)
    if x.shape != n.shape:
        raise DataError(
            Problem(
                f"{events_name} has {x.size} values but {totals_name} has {n.size}",
                fix="give one count per study in each",
            )
        )
    if x.size == 0:
        raise DataError(Problem("no studies were given", fix="pass at least one study"))
    problems = []

    def shown(arr, mask):
        return tuple(int(v) if float(v).is_integer() else float(v) for v in arr[mask])

    def flag(mask, message, column, fix, values=()):
        if mask.any():
            rows = tuple(int(i) + 1 for i in np.flatnonzero(mask))
            problems.append(Problem(message, column=column, rows=rows, values=values, fix=fix))

    def labelled(mask):
        return tuple(labels[i] for i in np.flatnonzero(mask)) if labels is not None else ()

    for arr, name in ((x, events_name), (n, totals_name)):
        ok = np.isfinite(arr)
        flag(~ok, "is missing", name, "fill in the count or leave the study out", labelled(~ok))
        frac = ok & (np.abs(arr - np.round(arr)) > 1e-9)
        flag(
            frac, "is not a whole number", name, "counts are numbers of patients", shown(arr, frac)
        )
        neg = ok & (arr < 0)
        flag(neg, "is negative", name, "counts are >= 0", shown(arr, neg))
    both = np.isfinite(x) & np.isfinite(n)
    zero_n = both & (n <= 0)
    flag(zero_n, "is 0", totals_name, "an arm needs at least one patient", labelled(zero_n))
    over = both & (x > n)
    flag(
        over,
        f"is larger than {totals_name}",
        events_name,
        f"events cannot exceed the number of patients ({totals_name})",
        shown(x, over),
    )
    if problems:
        raise DataError(problems, source="counts", loading=False)
    return x, n


@dataclass(frozen=True)
class ArmEffects:
    """Transformed proportions of one arm: ``yi``, ``vi`` and which studies got 0.5."""

    transform: str
    yi: np.ndarray
    vi: np.ndarray
    events: np.ndarray
    totals: np.ndarray
    corrected: np.ndarray = field(repr=False)


def proportion_effects(events, totals, transform: str = "logit") -> ArmEffects:
    """``yi``, ``vi`` of single proportions on the ``transform`` scale (metafor's
    ``PLO``, ``PFT``, ``PAS``, ``PR``), with the zero-cell rule of docs/meta-analysis.md.

    Examples
    --------
    >>> eff = proportion_effects([0, 3], [40, 42], "logit")
    >>> eff.yi.round(4).tolist(), eff.corrected.tolist()
    ([-4.3944, -2.5649], [True, False])
    """
    x, n = check_counts(events, totals)
    if transform not in TRANSFORMS:
        raise DataError(
            Problem(
                f"transform={transform!r} is not known",
                fix=f"use one of {', '.join(TRANSFORMS)} or 'glmm'",
            )
        )
    corrected = np.zeros(x.shape, bool)
    if transform in ("logit", "raw"):
        corrected = (x == 0) | (x == n)
        xc = np.where(corrected, x + ADD, x)
        nc = np.where(corrected, n + 2 * ADD, n)
        p = xc / nc
        if transform == "logit":
            yi = np.log(xc / (nc - xc))
            vi = 1 / xc + 1 / (nc - xc)
        else:
            yi = p
            vi = p * (1 - p) / nc
    elif transform == "ft":
        yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
        vi = 1 / (4 * n + 2)
    else:  # arcsine
        yi = np.arcsin(np.sqrt(x / n))
        vi = 1 / (4 * n)
    return ArmEffects(transform, yi, vi, x, n, corrected)


def _miller(y, n):
    """Miller's inversion of metafor's (halved) Freeman-Tukey transform at size ``n``."""
    y = np.asarray(y, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sin(2 * y)
        p = 0.5 * (1 - np.sign(np.cos(2 * y)) * np.sqrt(1 - (s + (s - 1 / s) / n) ** 2))
    low = 0.5 * (np.arcsin(0.0) + np.arcsin(np.sqrt(1 / (n + 1))))
    high = 0.5 * (np.arcsin(np.sqrt(n / (n + 1))) + np.arcsin(1.0))
    p = np.where(y < low, 0.0, np.where(y > high, 1.0, p))
    return np.where(np.isnan(p) & np.isfinite(y), np.where(y < np.pi / 4, 0.0, 1.0), p)


def back_transform(values, scale: str, n=None):
    """From the model scale to the natural scale.

    ``scale``: a transform (``logit``, ``ft``, ``arcsine``, ``raw``, ``glmm``) or a
    measure (``RR``, ``OR``, ``HR``: exp; ``RD``, ``MD``: identity). ``n``: the study
    sizes for ``ft`` (their harmonic mean is used, as ``metafor::transf.ipft.hm``), or
    one size per value.

    Examples
    --------
    >>> float(back_transform(0.0, "logit")), float(back_transform(np.log(0.5), "RR"))
    (0.5, 0.5)
    >>> ft = proportion_effects([10], [100], "ft").yi
    >>> round(float(back_transform(ft, "ft", [100])[0]), 6)
    0.1
    """
    v = np.asarray(values, float)
    if scale in ("logit", "glmm"):
        out = 1 / (1 + np.exp(-v))
    elif scale in ("RR", "OR", "HR"):
        out = np.exp(v)
    elif scale in ("RD", "MD", "raw"):
        out = v
    elif scale == "arcsine":
        out = np.sin(np.clip(v, 0, np.pi / 2)) ** 2
    elif scale == "ft":
        if n is None:
            raise DataError(
                Problem(
                    "the Freeman-Tukey back-transformation needs the study sizes", fix="pass n="
                )
            )
        n = np.asarray(n, float)
        nh = n if n.shape == v.shape else 1 / np.mean(1 / n)
        out = _miller(v, nh)
    else:
        raise DataError(Problem(f"unknown scale {scale!r}"))
    return out if out.ndim else out[()]


@dataclass(frozen=True)
class TwoArmEffects:
    """Per-study effects of closure (group 1) against control (group 2).

    ``included`` marks the studies that enter the analysis (double-zero studies are
    left out of RR and OR); ``yi``/``vi`` are ``nan`` for those left out.
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    corrected: np.ndarray
    included: np.ndarray
    double_zero: np.ndarray


def _two_arm_checked(a, n1, c, n2, labels=None):
    a, n1 = check_counts(
        a, n1, events_name="events_closure", totals_name="total_closure", labels=labels
    )
    c, n2 = check_counts(
        c, n2, events_name="events_control", totals_name="total_control", labels=labels
    )
    if a.size != c.size:
        raise DataError(
            Problem(
                f"the closure arm has {a.size} studies, the control arm {c.size}",
                fix="give both arms of every study",
            )
        )
    return a, n1, c, n2


def two_arm_effects(a, n1, c, n2, measure: str = "RR", *, labels=None) -> TwoArmEffects:
    """Log RR, log OR or RD per study, with the zero-cell rules of docs/meta-analysis.md.

    Examples
    --------
    >>> eff = two_arm_effects([0, 1], [30, 30], [3, 6], [46, 30], "RR")
    >>> np.exp(eff.yi).round(3).tolist(), eff.corrected.tolist()
    ([0.217, 0.167], [True, False])
    """
    if measure not in MEASURES:
        raise DataError(
            Problem(f"measure={measure!r} is not known", fix=f"use one of {', '.join(MEASURES)}")
        )
    a, n1, c, n2 = _two_arm_checked(a, n1, c, n2, labels)
    b, d = n1 - a, n2 - c
    double_zero = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    corrected = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(corrected, ADD, 0.0)
    a_, b_, c_, d_ = a + add, b + add, c + add, d + add
    m1, m2 = a_ + b_, c_ + d_
    p1, p2 = a_ / m1, c_ / m2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a_ - 1 / m1 + 1 / c_ - 1 / m2
        elif measure == "OR":
            yi = np.log(a_ / b_) - np.log(c_ / d_)
            vi = 1 / a_ + 1 / b_ + 1 / c_ + 1 / d_
        else:
            yi = p1 - p2
            vi = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
    included = ~double_zero if measure in ("RR", "OR") else np.ones(a.shape, bool)
    yi = np.where(included, yi, np.nan)
    vi = np.where(included, vi, np.nan)
    return TwoArmEffects(measure, yi, vi, corrected & included, included, double_zero)


def peto_effects(a, n1, c, n2, *, labels=None) -> TwoArmEffects:
    """Peto's one-step log OR per study, (O − E)/V with variance 1/V; no correction.

    Studies with V = 0 (no events or only events in both arms) are left out.
    """
    a, n1, c, n2 = _two_arm_checked(a, n1, c, n2, labels)
    N = n1 + n2
    xt = a + c
    e = xt * n1 / N
    with np.errstate(divide="ignore", invalid="ignore"):
        v = xt * (N - xt) * (n1 / N) * (n2 / N) / (N - 1)
        included = v > 0
        yi = np.where(included, (a - e) / v, np.nan)
        vi = np.where(included, 1 / v, np.nan)
    double_zero = ~included
    return TwoArmEffects("OR", yi, vi, np.zeros(a.shape, bool), included, double_zero)


def exact_interval(x, n, level: float = 0.95):
    """Clopper-Pearson interval of x/n (``binom.test`` in R).

    Examples
    --------
    >>> lo, hi = exact_interval([0, 1], [40, 30])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0008], [0.0881, 0.1722])
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, beta_dist.ppf(alpha / 2, x, n - x + 1), 0.0)
        hi = np.where(x < n, beta_dist.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    return lo, hi


def wilson_interval(x, n, level: float = 0.95):
    """Wilson score interval of x/n (``prop.test(correct=FALSE)`` in R).

    Examples
    --------
    >>> lo, hi = wilson_interval([0], [40])
    >>> float(lo[0]), round(float(hi[0]), 4)
    (0.0, 0.0876)
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    z = norm.ppf(0.5 + level / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def study_intervals(yi, vi, level: float = 0.95):
    """Wald interval ``yi ± z·√vi`` on the model scale."""
    z = norm.ppf(0.5 + level / 2)
    se = np.sqrt(np.asarray(vi, float))
    return np.asarray(yi, float) - z * se, np.asarray(yi, float) + z * se
