"""Sample size by formula: two proportions at a horizon, and time-to-event trials.

* Two proportions: the normal approximation with the pooled variance under the null
  and unpooled under the alternative (Fleiss, Levin & Paik 2003, eq. 4.14), computed by
  statsmodels (``samplesize_proportions_2indep_onetail``), with the Fleiss–Tytun–Ury
  (1980) continuity correction on top.
* Time-to-event: the number of events for a hazard ratio by Schoenfeld (1983),
  ``d = (z_a + z_b)² / (p(1 − p) ln(HR)²)``, or Freedman (1982),
  ``d = (z_a + z_b)² (1 + r·HR)² / (r (1 − HR)²)``, turned into patients with the
  probability of observing the event under uniform accrual, exponential event, competing
  and loss hazards (Lachin & Foulkes 1986, simplified to constant hazards). These
  formulas are a few lines; no maintained Python library implements them for this design.

Reherniation hazards fall steeply after surgery, so constant hazards are an
approximation: :func:`recurrence.design.simulate_power` checks the answer by simulating
the planned analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._dist import norm
from .._validate import Rule, between, check, one_of
from ..errors import DataError, Problem
from ..results import ResultMixin

__all__ = [
    "SampleSize",
    "events_for_hazard_ratio",
    "sample_size_proportions",
    "sample_size_survival",
]


#: Argument rules of the design formulas (:mod:`recurrence._validate`).
PROPORTION = between(0, 1)
HR = Rule(lambda v: between(0)(v) and v != 1, "> 0 and not 1", "hr=0.5")
RATIO = between(0, words="> 0 (closure : control allocation)", example="ratio=1")
MONTHS = between(0, words="> 0 months")
RATE = between(0, low_closed=True, words="a monthly hazard ≥ 0")
METHOD = one_of(("schoenfeld", "freedman"))
_DESIGN = {
    "control_incidence": PROPORTION,
    "horizon": MONTHS,
    "followup": MONTHS,
    "accrual": between(0, low_closed=True, words="≥ 0 months"),
    "loss_rate": RATE,
    "competing_rate": RATE,
}


def _z(alpha: float, power: float, sides: int) -> tuple[float, float]:
    check("alpha", alpha, PROPORTION)
    check("power", power, PROPORTION)
    check("sides", sides, one_of((1, 2)))
    return float(norm.isf(alpha / sides)), float(norm.ppf(power))


def _check_ratio(ratio: float) -> None:
    check("ratio", ratio, RATIO)


def check_design(**values) -> None:
    """The trial's incidence, times and hazards follow their rules (:data:`_DESIGN`)."""
    for name, value in values.items():
        check(name, value, _DESIGN[name])


@dataclass(frozen=True, repr=False)
class SampleSize(ResultMixin):
    """A sample-size answer.

    Attributes
    ----------
    n_closure, n_control, n_total
        Patients per arm and in all (rounded up).
    events
        Events needed (time-to-event designs; ``None`` for proportions).
    table
        The inputs and the answer, one row.
    curve
        ``(x, n_total)`` over a range of the effect, for :meth:`plot`.
    """

    method: str
    n_closure: int
    n_control: int
    n_total: int
    events: int | None
    table: pd.DataFrame
    curve: pd.DataFrame = field(repr=False)
    remarks: tuple[str, ...] = ()

    title = "Sample size"

    def summary_lines(self) -> list[str]:
        line = (
            f"{self.method}: {self.n_total:,} patients ({self.n_closure:,} closure, "
            f"{self.n_control:,} no closure)"
        )
        if self.events is not None:
            line += f", {self.events:,} reherniations"
        return [line]

    def plot(self, ax=None):
        """The sample-size curve: patients needed against the effect
        (:func:`recurrence.plotting.design.plot_sample_size`)."""
        from ..plotting.design import plot_sample_size

        return plot_sample_size(self, ax=ax)


def sample_size_proportions(
    p_control: float,
    p_closure: float | None = None,
    *,
    rr: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sides: int = 2,
    continuity: bool = False,
) -> SampleSize:
    """Patients to compare reherniation proportions at a fixed horizon.

    Parameters
    ----------
    p_control
        Reherniation proportion without closure at the horizon (e.g. 0.25).
    p_closure, rr
        The proportion with closure, or the risk ratio (``p_closure = rr·p_control``).
    alpha, power, sides
        Type I error, power, one- or two-sided test.
    ratio
        Allocation closure : control (2 means twice as many with closure).
    continuity
        Apply the Fleiss–Tytun–Ury continuity correction.

    Returns
    -------
    SampleSize
        Patients per arm (``n_closure``, ``n_control``, rounded up) and in total, with
        the inputs that produced them.

    Examples
    --------
    >>> sample_size_proportions(0.25, 0.125).n_control   # Fleiss: 151.9 per arm
    152
    >>> sample_size_proportions(0.25, 0.125, continuity=True).n_control
    168
    """
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    if (p_closure is None) == (rr is None):
        raise DataError(Problem("give p_closure or rr, not both or neither"))
    if p_closure is None:
        assert rr is not None  # exactly one of the two is given (checked above)
        p_closure = p_control * rr
    for name, p in (("p_control", p_control), ("p_closure", p_closure)):
        check(name, p, PROPORTION)
    if p_closure == p_control:
        raise DataError(Problem("p_closure equals p_control: no difference to detect"))
    _check_ratio(ratio)
    _z(alpha, power, sides)

    def per_control(pc: float) -> float:
        # statsmodels' nobs1 is the arm of prop2 + diff; we make that the control arm,
        # so its ratio is n_closure / n_control.
        n = samplesize_proportions_2indep_onetail(
            diff=p_control - pc,
            prop2=pc,
            power=power,
            ratio=ratio,
            alpha=alpha,
            alternative="two-sided" if sides == 2 else "larger",
        )
        if continuity:
            d = abs(p_control - pc)
            n = n / 4 * (1 + math.sqrt(1 + 2 * (ratio + 1) / (n * ratio * d))) ** 2
        return float(n)

    n_control = math.ceil(per_control(p_closure) - 1e-9)
    n_closure = math.ceil(ratio * per_control(p_closure) - 1e-9)
    grid = np.linspace(max(p_control * 0.2, 1e-3), p_control * 0.9, 40)
    curve = pd.DataFrame(
        {"p_closure": grid, "n_total": [math.ceil(per_control(g) * (1 + ratio)) for g in grid]}
    )
    method = "two proportions" + (", continuity corrected" if continuity else "")
    table = pd.DataFrame(
        [
            {
                "p_control": p_control,
                "p_closure": p_closure,
                "alpha": alpha,
                "power": power,
                "sides": sides,
                "ratio": ratio,
                "continuity": continuity,
                "n_control": n_control,
                "n_closure": n_closure,
                "n_total": n_control + n_closure,
            }
        ]
    )
    return SampleSize(
        method=method,
        n_closure=n_closure,
        n_control=n_control,
        n_total=n_closure + n_control,
        events=None,
        table=table,
        curve=curve,
    )


def events_for_hazard_ratio(
    hr: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sides: int = 2,
    method: str = "schoenfeld",
) -> float:
    """Events needed to detect a hazard ratio (not rounded).

    Parameters
    ----------
    hr
        Hazard ratio of closure to detect.
    alpha, power, sides
        Type I error, power, one- or two-sided test.
    ratio
        Allocation closure : control.
    method
        ``"schoenfeld"`` (4(z₁₋α/₂ + z₁₋β)²/ln(HR)² with equal arms) or ``"freedman"``.

    Returns
    -------
    float
        Reherniations to observe over both arms (round up to plan).

    Examples
    --------
    >>> math.ceil(events_for_hazard_ratio(0.5))        # Schoenfeld: 4(z + z)²/ln(HR)²
    66
    >>> math.ceil(events_for_hazard_ratio(0.5, method="freedman"))
    71
    """
    check("hr", hr, HR)
    check("method", method, METHOD)
    _check_ratio(ratio)
    za, zb = _z(alpha, power, sides)
    if method == "schoenfeld":
        p = ratio / (1 + ratio)
        return (za + zb) ** 2 / (p * (1 - p) * math.log(hr) ** 2)
    return (za + zb) ** 2 * (1 + ratio * hr) ** 2 / (ratio * (1 - hr) ** 2)  # freedman


def _p_event(rate: float, other: float, accrual: float, followup: float) -> float:
    """P(event of interest observed) with uniform entry over ``accrual`` months, analysis
    ``followup`` months after the last entry, constant event and other-exit hazards."""
    theta = rate + other
    if accrual <= 0:
        return rate / theta * (1 - math.exp(-theta * followup))
    tail = (math.exp(-theta * followup) - math.exp(-theta * (accrual + followup))) / (
        theta * accrual
    )
    return rate / theta * (1 - tail)


def sample_size_survival(
    hr: float,
    *,
    control_incidence: float,
    horizon: float = 24.0,
    accrual: float = 24.0,
    followup: float = 24.0,
    loss_rate: float = 0.0,
    competing_rate: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sides: int = 2,
    method: str = "schoenfeld",
) -> SampleSize:
    """Patients for a time-to-event trial of closure (log-rank / Cox).

    Parameters
    ----------
    hr
        Hazard ratio of closure to detect.
    control_incidence, horizon
        Reherniation without closure by ``horizon`` months (e.g. 0.25 at 24), which
        sets a constant control hazard ``-ln(1 - control_incidence)/horizon``.
    accrual, followup
        Months of uniform recruitment, and of follow-up after the last patient.
    loss_rate, competing_rate
        Monthly hazards of loss to follow-up and of a competing event.
    alpha, power, sides
        Type I error, power, one- or two-sided test.
    ratio
        Allocation closure : control.
    method
        ``"schoenfeld"`` or ``"freedman"`` events formula.

    Returns
    -------
    SampleSize
        The events needed (``events``) and the patients to recruit per arm and in total
        (``n_total``) so that that many reherniations are observed.

    Examples
    --------
    >>> s = sample_size_survival(0.5, control_incidence=0.25, accrual=24, followup=24)
    >>> s.events, s.n_total
    (66, 242)
    """
    check_design(
        control_incidence=control_incidence,
        horizon=horizon,
        followup=followup,
        accrual=accrual,
        loss_rate=loss_rate,
        competing_rate=competing_rate,
    )
    lam_c = -math.log(1 - control_incidence) / horizon
    other = loss_rate + competing_rate

    def patients(h: float) -> tuple[float, float]:
        d = events_for_hazard_ratio(
            h, alpha=alpha, power=power, ratio=ratio, sides=sides, method=method
        )
        pc = _p_event(lam_c, other, accrual, followup)
        pt = _p_event(h * lam_c, other, accrual, followup)
        share = (pc + ratio * pt) / (1 + ratio)
        return d, d / share

    d, n = patients(hr)
    events = math.ceil(d - 1e-9)
    n_control = math.ceil(n / (1 + ratio) - 1e-9)
    n_closure = math.ceil(ratio * n / (1 + ratio) - 1e-9)
    lo, hi = (min(hr, 0.95) * 0.6, 0.95) if hr < 1 else (1.05, max(hr, 1.05) * 1.6)
    grid = np.linspace(lo, hi, 40)
    curve = pd.DataFrame({"hr": grid, "n_total": [math.ceil(patients(g)[1]) for g in grid]})
    table = pd.DataFrame(
        [
            {
                "hr": hr,
                "method": method,
                "control_incidence": control_incidence,
                "horizon": horizon,
                "accrual": accrual,
                "followup": followup,
                "loss_rate": loss_rate,
                "competing_rate": competing_rate,
                "alpha": alpha,
                "power": power,
                "sides": sides,
                "ratio": ratio,
                "events": events,
                "n_control": n_control,
                "n_closure": n_closure,
                "n_total": n_control + n_closure,
            }
        ]
    )
    remarks = (
        "constant hazards assumed; reherniation hazards fall after surgery, so check by "
        "simulation (simulate_power)",
    )
    return SampleSize(
        method=f"time to event ({method.capitalize()})",
        n_closure=n_closure,
        n_control=n_control,
        n_total=n_closure + n_control,
        events=events,
        table=table,
        curve=curve,
        remarks=remarks,
    )
