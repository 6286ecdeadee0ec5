"""Sample-size formulas against textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from recurrence import DataError
from recurrence.design import events_for_hazard_ratio, sample_size_proportions, sample_size_survival
from recurrence.design.analytic import _p_event


def test_schoenfeld_textbook_value():
    # 4 (z_0.975 + z_0.8)^2 / ln(0.5)^2 = 4 * 2.8016^2 / 0.4805 = 65.3 -> 66 events.
    d = events_for_hazard_ratio(0.5)
    assert d == pytest.approx(4 * (1.959964 + 0.841621) ** 2 / math.log(0.5) ** 2, rel=1e-6)
    assert math.ceil(d) == 66


def test_freedman_and_allocation():
    # Freedman 1:1: (z+z)^2 (1+HR)^2 / (1-HR)^2 = 7.849 * 2.25 / 0.25 = 70.6 -> 71.
    assert math.ceil(events_for_hazard_ratio(0.5, method="freedman")) == 71
    # Schoenfeld with 2:1 allocation needs 9/8 of the 1:1 events (p(1-p) = 2/9 vs 1/4).
    assert events_for_hazard_ratio(0.5, ratio=2) == pytest.approx(
        events_for_hazard_ratio(0.5) * 9 / 8
    )
    # One-sided alpha 0.05 uses z_0.95 = 1.645.
    assert events_for_hazard_ratio(0.5, sides=1) == pytest.approx(
        4 * (1.644854 + 0.841621) ** 2 / math.log(0.5) ** 2, rel=1e-6
    )


def test_two_proportions_fleiss():
    # Fleiss, Levin & Paik eq. 4.14 by hand for 25% vs 12.5%:
    # [1.96 sqrt(2 * .1875 * .8125) + .8416 sqrt(.125 * .875 + .25 * .75)]^2 / .125^2 = 151.9
    n = (
        1.959964 * math.sqrt(2 * 0.1875 * 0.8125)
        + 0.841621 * math.sqrt(0.125 * 0.875 + 0.25 * 0.75)
    ) ** 2 / 0.125**2
    result = sample_size_proportions(0.25, 0.125)
    assert result.n_control == math.ceil(n) == 152 and result.n_total == 304
    # Continuity correction (Fleiss, Tytun & Ury 1980): n/4 (1 + sqrt(1 + 4/(n d)))^2.
    cc = n / 4 * (1 + math.sqrt(1 + 4 / (n * 0.125))) ** 2
    assert sample_size_proportions(0.25, rr=0.5, continuity=True).n_control == math.ceil(cc) == 168


def test_probability_of_observing_the_event_by_integration():
    lam, other, a, f = 0.012, 0.004, 24.0, 12.0
    # Entry uniform on [0, a]; follow-up to a + f, so time at risk is uniform on [f, a + f].
    p = (
        integrate.quad(lambda t: lam / (lam + other) * (1 - np.exp(-(lam + other) * t)), f, a + f)[
            0
        ]
        / a
    )
    assert _p_event(lam, other, a, f) == pytest.approx(p, rel=1e-10)


def test_survival_design_and_curve():
    s = sample_size_survival(0.5, control_incidence=0.25, accrual=24, followup=24)
    assert s.events == 66
    assert s.n_total == pytest.approx(66 / 0.2709, abs=2)  # mean P(event) 0.2709 by hand
    assert s.curve["n_total"].is_monotonic_increasing  # weaker effects need more patients
    ax = s.plot()
    assert ax.get_ylabel() == "Patients needed (both arms)"
    assert ax.lines[1].get_xydata().tolist() == [[0.5, s.n_total]]
    loss = sample_size_survival(0.5, control_incidence=0.25, loss_rate=0.01)
    assert loss.n_total > s.n_total


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: events_for_hazard_ratio(1.0), "hr must be > 0 and not 1"),
        (lambda: events_for_hazard_ratio(0.5, alpha=1.5), r"alpha must be in \(0, 1\) \(got 1.5\)"),
        (lambda: sample_size_proportions(0.2), "give p_closure or rr"),
        (lambda: sample_size_proportions(0.2, 0.2), "no difference"),
        (lambda: sample_size_survival(0.5, control_incidence=1.2), "control_incidence"),
        (lambda: events_for_hazard_ratio(0.5, method="lachin"), "schoenfeld"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(DataError, match=message):
        call()
