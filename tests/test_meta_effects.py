"""Per-study effect sizes: zero-cell rules (docs/meta-analysis.md), back-transformations, study intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from recurrence import DataError
from recurrence.meta.effects import (
    back_transform,
    check_counts,
    exact_interval,
    peto_effects,
    proportion_effects,
    study_intervals,
    two_arm_effects,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("counts", "odds_ratio", "risk_ratio"),
    [
        # the published evidence on closure (Wald intervals, 0.5 added to all
        # cells of a table with a zero cell); the table prints three decimals
        ((24, 272, 45, 278), (0.501, 0.296, 0.848), (0.545, 0.342, 0.869)),
        ((4, 276, 18, 278), (0.212, 0.071, 0.636), (0.224, 0.077, 0.653)),
        ((1, 30, 6, 30), (0.138, 0.016, 1.226), (0.167, 0.021, 1.302)),
        ((0, 30, 3, 46), (0.204, 0.010, 4.089), (0.217, 0.012, 4.049)),
        ((1, 12, 6, 41), (0.530, 0.057, 4.896), (0.569, 0.076, 4.280)),
        ((0, 40, 3, 42), (0.139, 0.007, 2.786), (0.150, 0.008, 2.812)),
    ],
)
def test_two_by_two_effects_reproduce_the_evidence_table(counts, odds_ratio, risk_ratio):
    for measure, expected in (("OR", odds_ratio), ("RR", risk_ratio)):
        eff = two_arm_effects(*([c] for c in counts), measure=measure)
        lo, hi = study_intervals(eff.yi, eff.vi)
        got = np.exp([eff.yi[0], lo[0], hi[0]])
        np.testing.assert_allclose(got, expected, atol=0.0015, err_msg=f"{measure} {counts}")
        assert eff.corrected[0] == (0 in counts)


def test_zero_cells_get_half_in_every_cell_and_double_zeros_leave_rr_and_or():
    a, n1, c, n2 = [0, 0, 5, 3], [20, 30, 5, 10], [0, 4, 5, 3], [25, 30, 5, 10]
    rr = two_arm_effects(a, n1, c, n2, "RR")
    assert rr.included.tolist() == [False, True, False, True]  # no events / only events
    assert rr.corrected.tolist() == [False, True, False, False]
    assert np.isnan(rr.yi[0]) and np.isnan(rr.vi[2])
    # study 2 corrected: log((0.5/31) / (4.5/31))
    assert rr.yi[1] == pytest.approx(np.log(0.5 / 31) - np.log(4.5 / 31))
    rd = two_arm_effects(a, n1, c, n2, "RD")
    assert rd.included.all()
    # RD keeps the double-zero study, with 0.5 in every cell
    assert rd.yi[0] == pytest.approx(0.5 / 21 - 0.5 / 26)
    assert rd.vi[0] == pytest.approx((0.5 / 21) * (20.5 / 21) / 21 + (0.5 / 26) * (25.5 / 26) / 26)


def test_peto_needs_no_correction_and_drops_only_zero_variance_studies():
    eff = peto_effects([0, 0, 2], [20, 30, 10], [3, 0, 4], [25, 30, 10])
    assert eff.included.tolist() == [True, False, True]
    n, xt, n1 = 45, 3, 20
    expected = (0 - xt * n1 / n) / (xt * (n - xt) * (n1 / n) * (25 / n) / (n - 1))
    assert eff.yi[0] == pytest.approx(expected)


@pytest.mark.parametrize("transform", ["logit", "raw"])
def test_logit_and_raw_add_half_to_arms_with_no_or_only_events(transform):
    eff = proportion_effects([0, 5, 10], [10, 10, 10], transform)
    assert eff.corrected.tolist() == [True, False, True]
    p0 = 0.5 / 11
    expected = np.log(p0 / (1 - p0)) if transform == "logit" else p0
    assert eff.yi[0] == pytest.approx(expected)


@pytest.mark.parametrize("transform", ["ft", "arcsine"])
def test_freeman_tukey_and_arcsine_need_no_correction(transform):
    eff = proportion_effects([0, 10], [10, 10], transform)
    assert not eff.corrected.any()
    if transform == "arcsine":
        assert eff.yi.tolist() == [0.0, pytest.approx(np.pi / 2)]
        assert eff.vi.tolist() == [pytest.approx(1 / 40)] * 2
    else:
        assert eff.vi[0] == pytest.approx(1 / 42)


@pytest.mark.parametrize("x", [0, 1, 7, 20, 33])
def test_miller_inversion_recovers_each_proportion_at_its_own_size(x):
    n = 33
    eff = proportion_effects([x], [n], "ft")
    assert back_transform(eff.yi, "ft", [n])[0] == pytest.approx(x / n, abs=1e-12)


def test_freeman_tukey_pooled_back_transform_uses_the_harmonic_mean():
    n = np.array([10.0, 40.0, 100.0])
    hm = 1 / np.mean(1 / n)
    y = 0.3
    s = np.sin(2 * y)
    expected = 0.5 * (1 - np.sign(np.cos(2 * y)) * np.sqrt(1 - (s + (s - 1 / s) / hm) ** 2))
    assert float(back_transform(y, "ft", n)) == pytest.approx(expected)


def test_back_transform_scales():
    assert float(back_transform(0.0, "logit")) == 0.5
    assert float(back_transform(np.log(2), "RR")) == pytest.approx(2)
    assert float(back_transform(-0.1, "RD")) == -0.1
    assert float(back_transform(np.pi / 4, "arcsine")) == pytest.approx(0.5)
    with pytest.raises(DataError, match="needs the study sizes"):
        back_transform(0.2, "ft")


def test_exact_and_wilson_intervals_match_scipy():
    x, n = np.array([0, 1, 6, 30]), np.array([30, 30, 171, 30])
    lo, hi = exact_interval(x, n)
    wlo, whi = wilson_interval(x, n)
    for i in range(len(x)):
        ref = stats.binomtest(int(x[i]), int(n[i])).proportion_ci(method="exact")
        assert (lo[i], hi[i]) == pytest.approx((ref.low, ref.high), abs=1e-12)
        ref = stats.binomtest(int(x[i]), int(n[i])).proportion_ci(method="wilson")
        assert (wlo[i], whi[i]) == pytest.approx((ref.low, ref.high), abs=1e-12)


@pytest.mark.parametrize(
    ("events", "totals", "message"),
    [
        ([1, 2], [10], "has 2 values but totals has 1"),
        ([1.5], [10], "is not a whole number"),
        ([-1], [10], "is negative"),
        ([3], [0], "is 0"),
        ([11], [10], "is larger than totals"),
        ([np.nan], [10], "is missing"),
        ([], [], "no studies were given"),
    ],
)
def test_bad_counts_are_named(events, totals, message):
    with pytest.raises(DataError, match=message):
        check_counts(events, totals)


def test_unknown_transform_and_measure_say_what_exists():
    with pytest.raises(DataError, match="use one of logit, ft, arcsine, raw"):
        proportion_effects([1], [10], "probit")
    with pytest.raises(DataError, match="use one of RR, OR, RD"):
        two_arm_effects([1], [10], [1], [10], "HR")
