"""Trial sequential analysis (Wetterslev et al. 2008, J Clin Epidemiol 61:64; 2009, BMC Med
Res Methodol 9:86): is the evidence of a cumulative meta-analysis conclusive, or is more
needed?

* **Required information size** (participants) to detect a relative risk reduction
  ``rrr`` at the control risk p_c with two-sided ``alpha`` and ``power``:
  IS = 4 (z_{1−α/2} + z_{1−β})² p̄(1 − p̄) / δ², p̄ = (p_c + p_e)/2, δ = p_c − p_e,
  p_e = p_c (1 − rrr).
* **Diversity** D² = (V_R − V_F)/V_R, the share of the variance of the random-effects
  estimate due to heterogeneity (V_F, V_R: variances of the common-effect and the
  random-effects pooled estimate, the latter with the result's τ²); the
  heterogeneity-adjusted (diversity-adjusted) required information size is
  DARIS = IS / (1 − D²).
* **Boundaries**: Lan-DeMets α-spending with the O'Brien-Fleming-type function, each
  of the two boundaries spending α/2: α_s(t) = 2 − 2Φ(z_{1−α/4}/√t) (the convention of
  ldbounds and of gsDesign's ``sfLDOF``), at the information fractions
  t_j = n_j / DARIS of the cumulative analyses; the boundaries ±c_j solve
  P(|Z_1| < c_1, …, |Z_{j−1}| < c_{j−1}, |Z_j| ≥ c_j) = 2(α_s(t_j) − α_s(t_{j−1})) under
  the null, by exact recursive numerical integration of the density of the score process
  (Armitage, McPherson and Rowe 1969; Jennison and Turnbull 2000, ch. 19), as gsDesign
  and ldbounds compute them. The analysis where the accrued information first reaches
  DARIS spends what remains of α; later ones keep that boundary.
* **z-curve**: the cumulative meta-analysis (studies by ``year`` when the study table
  has it) with the result's model, z_j = estimate/SE on the model scale (log ratio or
  RD) with the usual standard error (not HKSJ's, which is unstable with two or three
  studies; the posterior median over the posterior SD for ``method="bayes"``):
  negative values favour closure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import optimize, special

from .._dist import norm
from .._format import fmt
from ..errors import DataError, Problem
from ..results import ResultMixin
from .results import MetaResult

__all__ = [
    "SequentialResult",
    "diversity",
    "obf_boundaries",
    "obf_spending",
    "required_information",
    "sequential",
]


def obf_spending(t, alpha: float = 0.05, sides: int = 2):
    """Lan-DeMets O'Brien-Fleming-type α spent by information fraction ``t`` (capped at
    1), per side: α_s(t) = 2 − 2Φ(z_{1−α_s/2}/√t) with α_s = α/2 for a two-sided test
    (each boundary spends half; the convention of ldbounds, gsDesign's
    ``sfLDOF``) and α_s = α one-sided. α_s(1) = α_s.

    Examples
    --------
    >>> obf_spending([0.5, 1.0]).round(6).tolist()
    [0.001525, 0.025]
    """
    t = np.minimum(np.asarray(t, float), 1.0)
    side_alpha = alpha / sides
    with np.errstate(divide="ignore"):
        return 2 * norm.sf(norm.isf(side_alpha / 2) / np.sqrt(t))


def _panel_nodes(lo, hi, width, per=12):
    """Composite Gauss-Legendre nodes and weights on [lo, hi], panels at most ``width``."""
    n = max(int(np.ceil((hi - lo) / width)), 4)
    x, w = np.polynomial.legendre.leggauss(per)
    edges = np.linspace(lo, hi, n + 1)
    half = (edges[1:] - edges[:-1]) / 2
    mid = (edges[1:] + edges[:-1]) / 2
    nodes = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return nodes, weights


def obf_boundaries(t, alpha: float = 0.05, sides: int = 2) -> np.ndarray:
    """z-boundaries of a group-sequential test at information fractions ``t``
    (increasing, in (0, 1]) with Lan-DeMets O'Brien-Fleming spending of ``alpha``.

    ``sides=2``: symmetric two-sided boundaries ±c_j, total two-sided ``alpha``;
    ``sides=1``: an upper boundary only, total one-sided ``alpha``. Exact recursive
    integration of the score process S_j ~ N(0, t_j), independent increments.

    Examples
    --------
    >>> obf_boundaries([0.2, 0.4, 0.6, 0.8, 1.0]).round(4).tolist()
    [4.8769, 3.357, 2.6803, 2.2898, 2.031]
    """
    t = np.asarray(t, float)
    if t.ndim != 1 or t.size == 0 or np.any(t <= 0) or np.any(np.diff(t) <= 0) or t[-1] > 1:
        raise DataError(
            Problem(
                "information fractions must increase strictly within (0, 1]",
                fix="pass the fractions of the looks in order",
            )
        )
    if sides not in (1, 2):
        raise DataError(Problem(f"sides must be 1 or 2, not {sides}"))
    inc = sides * np.diff(np.r_[0.0, obf_spending(t, alpha, sides)])  # both tails
    steps = np.sqrt(np.diff(np.r_[0.0, t]))  # sd of each increment of the score
    c = np.empty(t.size)
    # the density of S_j on its continuation region (nodes, weights × density): set at
    # the end of look j, used from look j + 1
    mass: np.ndarray | None = None
    nodes: np.ndarray | None = None
    cross: Callable[[float], float]  # the probability of crossing ±bj at look j
    for j in range(t.size):
        reach = 12 * np.sqrt(t[j])  # beyond ±12 SD there is < 1e-32 of the mass
        if j == 0:

            def cross_first(bj):
                return sides * float(norm.sf(bj / steps[0]))

            cross = cross_first
        else:

            def cross_later(bj, mass=mass, nodes=nodes, sd=steps[j]):
                up = special.ndtr((nodes - bj) / sd)
                down = special.ndtr((-bj - nodes) / sd) if sides == 2 else 0.0
                return float(np.sum(mass * (up + down)))

            cross = cross_later

        if inc[j] <= 1e-300 or cross(reach) >= inc[j]:
            c[j] = np.inf if inc[j] <= 1e-300 else norm.isf(inc[j] / sides)
            bj = reach
            if j > 0 and inc[j] > 1e-300:  # the rare crossing beyond ±12 SD
                c[j] = optimize.brentq(
                    lambda x, tj=t[j], aj=inc[j], f=cross: f(x * np.sqrt(tj)) - aj,
                    reach / np.sqrt(t[j]),
                    60.0,
                )
        else:
            bj = optimize.brentq(
                lambda x, aj=inc[j], f=cross: f(x) - aj,
                1e-9,
                reach,
                xtol=1e-14,
                rtol=1e-14,
                maxiter=500,
            )
            c[j] = bj / np.sqrt(t[j])
        if j == t.size - 1:
            break
        # the density of S_j on its continuation region, on panels that resolve both
        # its own smoothness (increment j) and the next convolution (increment j + 1):
        # 12 Gauss-Legendre nodes on a panel one SD of the narrower kernel wide give the
        # boundaries of panels a quarter as wide to the last digit (tests/data/r: within
        # 1.4e-12 of the R values either way) at 1/25 of the time (0.035 s against 0.94
        # s for the report's seven looks: the kernel matrix is nodes × nodes)
        lo = -bj if sides == 2 else -reach
        width = min(steps[j], steps[j + 1])
        width = max(width, (bj - lo) / 200)  # at most 200 panels of 12 nodes
        new, wn = _panel_nodes(lo, bj, width)
        if j == 0:
            g = _phi(new / steps[0]) / steps[0]
        else:
            assert mass is not None and nodes is not None  # set at the end of look j - 1
            kernel = _phi((new[:, None] - nodes[None, :]) / steps[j])
            g = (mass[None, :] * kernel).sum(axis=1) / steps[j]
        nodes, mass = new, wn * g
    return c


def _phi(x):
    """The standard normal density (scipy's ``norm.pdf`` checks its arguments on every
    call: 80% of the boundaries' time)."""
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def required_information(
    control_risk: float, rrr: float, alpha: float = 0.05, power: float = 0.9
) -> float:
    """Participants (both arms) a single trial needs: 4 (z_{1−α/2} + z_{1−β})² p̄(1 − p̄)/δ².

    Examples
    --------
    >>> round(required_information(0.2, 0.2), 1)
    3877.2
    """
    if not 0 < control_risk < 1:
        raise DataError(Problem(f"control_risk must lie in (0, 1), got {control_risk}"))
    if not 0 < rrr < 1:
        raise DataError(Problem(f"rrr must lie in (0, 1), got {rrr}", fix="e.g. rrr=0.2"))
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise DataError(Problem(f"alpha and power must lie in (0, 1), got {alpha}, {power}"))
    pe = control_risk * (1 - rrr)
    pbar = (control_risk + pe) / 2
    z = norm.isf(alpha / 2) + norm.ppf(power)
    return float(4 * z * z * pbar * (1 - pbar) / (control_risk - pe) ** 2)


def diversity(vi, tau2: float) -> float:
    """D² = (V_R − V_F)/V_R = 1 − Σ(1/v_i)^-1 / Σ(1/(v_i + τ²))^-1 (Wetterslev 2009).

    Examples
    --------
    >>> round(diversity([0.1, 0.2, 0.05], 0.0), 6), round(diversity([0.1, 0.2, 0.05], 0.1), 4)
    (0.0, 0.5714)
    """
    v = np.asarray(vi, float)
    vf = 1 / np.sum(1 / v)
    vr = 1 / np.sum(1 / (v + tau2))
    return float(max(0.0, (vr - vf) / vr))


@dataclass(frozen=True, repr=False)
class SequentialResult(ResultMixin):
    """A trial sequential analysis.

    Attributes
    ----------
    ris
        Diversity-adjusted required information size (participants).
    ris_fixed
        Required information size before the adjustment (D² = 0).
    d2
        Diversity D² of the meta-analysis.
    accrued
        Participants in the studies so far.
    table
        One row per study, in order: ``study``, ``participants`` (cumulative),
        ``information`` (fraction of ``ris``), ``z`` (cumulative z, model scale),
        ``boundary`` (the upper boundary; the lower is its negative), ``crossed``,
        ``estimate``, ``ci_low``, ``ci_high`` (the cumulative pooled effect).
    """

    title: ClassVar[str] = "Trial sequential analysis"

    ris: float
    ris_fixed: float
    d2: float
    accrued: float
    control_risk: float
    rrr: float
    alpha: float
    power: float
    measure: str
    table: pd.DataFrame
    remarks: tuple[str, ...] = ()
    result: MetaResult | None = field(default=None, repr=False)

    @property
    def crossed(self) -> bool:
        """Whether the z-curve crossed a monitoring boundary."""
        return bool(self.table["crossed"].any())

    @property
    def remaining(self) -> float:
        """Participants still needed to reach the required information size (0 when
        it has been reached)."""
        return float(max(0.0, self.ris - self.accrued))

    def next_trial(self, **kwargs):
        """The sample size of one trial powered for the same effect at the same
        control risk (:func:`recurrence.design.sample_size_proportions`)."""
        from ..design.analytic import sample_size_proportions

        return sample_size_proportions(
            self.control_risk, rr=1 - self.rrr, alpha=self.alpha, power=self.power, **kwargs
        )

    def summary_lines(self) -> list[str]:
        reached = self.accrued >= self.ris
        verdict = (
            "a monitoring boundary was crossed"
            if self.crossed
            else "no monitoring boundary was crossed"
        )
        return [
            f"required information {self.ris:,.0f} participants (D² = {100 * self.d2:.0f}%, "
            f"{self.ris_fixed:,.0f} unadjusted) for a {100 * self.rrr:g}% relative risk "
            f"reduction at control risk {fmt(100 * self.control_risk)}%, α = {self.alpha:g}, "
            f"power {100 * self.power:g}%",
            f"accrued {self.accrued:,.0f} ({100 * self.accrued / self.ris:.0f}%); {verdict}"
            + ("" if reached else f"; {self.remaining:,.0f} participants to go"),
        ]

    def plot(self, ax=None, **kwargs):
        """The cumulative z-curve with its boundaries (see
        :func:`recurrence.plotting.plot_sequential`)."""
        from ..plotting.sequential import plot_sequential

        return plot_sequential(self, ax=ax, **kwargs)


def _control_risk(result):
    t = result.table.loc[result.table["included"]]
    if "events_control" not in t:
        raise DataError(
            Problem(
                "the result has no control-arm counts to take the control risk from",
                fix="pass control_risk=",
            )
        )
    return float(t["events_control"].sum() / t["total_control"].sum())


def sequential(
    result: MetaResult,
    *,
    alpha: float = 0.05,
    power: float = 0.9,
    rrr: float = 0.2,
    control_risk: float | None = None,
    order=None,
) -> SequentialResult:
    """Trial sequential analysis of a comparison (:func:`~recurrence.meta.compare`).

    Parameters
    ----------
    result
        A two-arm meta-analysis (RR, OR or RD).
    alpha, power
        Two-sided type I error and power of the required information size.
    rrr
        Relative risk reduction to detect (0.2: the risk falls by a fifth).
    control_risk
        Risk without closure; default the pooled control-arm proportion of the studies
        (Σ events / Σ patients).
    order
        As :func:`~recurrence.meta.cumulative` (default: by ``year`` when known).

    Returns
    -------
    SequentialResult
        ``ris`` (diversity-adjusted required information size, participants), ``d2``,
        ``accrued`` (participants so far), ``crossed`` (a monitoring boundary was crossed)
        and ``table`` with the cumulative z-curve and boundaries per study.

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control)
    >>> tsa = sequential(res, rrr=0.3)
    >>> round(tsa.d2, 3), tsa.crossed, len(tsa.table)
    (0.949, True, 13)
    """
    import warnings

    from .leave_out import cumulative

    if not isinstance(result, MetaResult) or result.kind != "compare":
        raise DataError(
            Problem(
                "trial sequential analysis needs a comparison of two arms",
                fix="pass a result of compare() or compare_studies()",
            )
        )
    p_c = _control_risk(result) if control_risk is None else float(control_risk)
    ris_fixed = required_information(p_c, rrr, alpha, power)
    d2 = 0.0 if result.method in ("FE", "MH", "PETO") else diversity(result.vi, result.tau2)
    ris = ris_fixed / (1 - d2) if d2 < 1 else np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cum = cumulative(result, order=order)
    table = result.table.set_index("study")
    sizes = (table["total_closure"] + table["total_control"]).astype(float)
    participants = np.cumsum(sizes.loc[cum["study"]].to_numpy())
    from ._fit import refit

    inc = result.table["included"].to_numpy(bool)
    position = {str(s): i for i, s in enumerate(result.table["study"])}
    mask = np.zeros(inc.size, bool)
    zs: list[float] = []
    for name in cum["study"]:
        mask[position[str(name)]] = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            step = refit(result, mask & inc)[0]
        se = step.se_usual or step.se  # the usual SE, as TSA's z-curve
        zs.append(step.estimate_model / se if se > 0 else np.nan)
    z = np.asarray(zs)
    frac = participants / ris
    # looks up to the first that reaches the required information; later ones keep it
    capped = np.minimum(frac, 1.0)
    boundary = np.full(frac.size, np.nan)
    keep = np.r_[True, np.diff(capped) > 0]
    looks = np.flatnonzero(keep & (capped > 0))
    remarks = []
    if looks.size:
        bounds = obf_boundaries(capped[looks], alpha, sides=2)
        boundary[looks] = bounds
        boundary = pd.Series(boundary).ffill().to_numpy()
    crossed = np.abs(z) >= boundary
    out = pd.DataFrame(
        {
            "study": cum["study"].to_numpy(),
            "participants": participants,
            "information": frac,
            "z": z,
            "boundary": boundary,
            "crossed": crossed,
            "estimate": cum["estimate"].to_numpy(),
            "ci_low": cum["ci_low"].to_numpy(),
            "ci_high": cum["ci_high"].to_numpy(),
        }
    )
    if result.hksj:
        remarks.append("z: estimate over the usual (not HKSJ) standard error, as in TSA")
    if result.method == "bayes":
        remarks.append("z: posterior median over posterior standard deviation")
    remarks.append(
        f"control risk {100 * p_c:.1f}% "
        + ("(pooled control arms)" if control_risk is None else "(given)")
    )
    return SequentialResult(
        ris=float(ris),
        ris_fixed=ris_fixed,
        d2=d2,
        accrued=float(participants[-1]),
        control_risk=p_c,
        rrr=float(rrr),
        alpha=float(alpha),
        power=float(power),
        measure=result.measure,
        table=out,
        remarks=tuple(remarks) + tuple(cum.attrs.get("remarks", [])),
        result=result,
    )
