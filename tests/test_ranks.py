"""recurrence._ranks against scipy.stats, which it stands in for (so that Begg's test and
trim and fill need not import scipy.stats: docs/report.md). The same computation in the
same order, so the tolerance is a few ulps, not a statistical one."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from recurrence._ranks import MAX_PAIRWISE, kendall_tau, rank

RNG = np.random.default_rng(20261203)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 13, 30, 60, 180, 400])
def test_kendall_without_ties_is_scipys_exact_test(n):
    for _ in range(5):
        x, y = RNG.normal(size=n), RNG.normal(size=n)
        y = x * RNG.uniform(-1, 1) + y  # correlations of either sign
        tau, p, ties = kendall_tau(x, y)
        if n < 2:
            assert np.isnan(tau) and np.isnan(p)
            continue
        ref = stats.kendalltau(x, y, method="exact")
        assert not ties
        assert tau == pytest.approx(ref.statistic, rel=1e-12, abs=1e-15)
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_kendall_exact_at_the_ends_of_the_distribution():
    x = np.arange(9.0)
    for y in (x, -x, np.r_[1.0, 0.0, x[2:]], np.r_[x[:-2], 8.0, 7.0][::-1]):
        tau, p, _ = kendall_tau(x, y)
        ref = stats.kendalltau(x, y, method="exact")
        assert (tau, p) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)


@pytest.mark.parametrize("n", [3, 5, 12, 40])
def test_kendall_with_ties_is_scipys_normal_approximation(n):
    for _ in range(5):
        x = RNG.integers(0, 4, size=n).astype(float)
        y = x + RNG.integers(-2, 3, size=n)
        tau, p, ties = kendall_tau(x, y)
        ref = stats.kendalltau(x, y, method="asymptotic")
        assert ties
        if np.isnan(ref.statistic):
            assert np.isnan(tau) and np.isnan(p)
            continue
        assert tau == pytest.approx(ref.statistic, rel=1e-12, abs=1e-15)
        assert p == pytest.approx(ref.pvalue, rel=1e-12)


def test_kendall_of_a_constant_is_nan():
    tau, p, ties = kendall_tau([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    assert np.isnan(tau) and np.isnan(p) and ties


@pytest.mark.parametrize("tied", [False, True])
def test_kendall_of_many_observations_hands_over_to_scipy(monkeypatch, tied):
    """Above MAX_PAIRWISE the count is scipy's own, exact without ties, normal with them
    (the threshold lowered to 40 here: scipy's exact test at 2,001 takes 25 s)."""
    import recurrence._ranks as ranks

    monkeypatch.setattr(ranks, "MAX_PAIRWISE", 40)
    calls = []
    real = stats.kendalltau
    monkeypatch.setattr(stats, "kendalltau", lambda *a, **k: calls.append(k) or real(*a, **k))
    x, y = RNG.normal(size=41), RNG.normal(size=41)
    if tied:
        x = np.round(x)
    ref = stats.kendalltau(x, y, method="asymptotic" if tied else "exact")
    assert ranks.kendall_tau(x, y) == pytest.approx((ref.statistic, ref.pvalue, tied), rel=1e-12)
    assert calls == [{"method": "asymptotic" if tied else "exact"}] * 2  # ref's and ours
    assert ranks.kendall_tau(x[:40], y[:40])[0] == pytest.approx(real(x[:40], y[:40]).statistic)
    assert len(calls) == 2  # at the threshold: counted here
    assert MAX_PAIRWISE == 2_000  # the module's own threshold, untouched


@pytest.mark.parametrize("method", ["ordinal", "average"])
def test_rank_is_rankdata(method):
    for a in (RNG.normal(size=50), RNG.integers(0, 6, size=50).astype(float), np.array([2.0])):
        np.testing.assert_array_equal(rank(a, method), stats.rankdata(a, method=method))
    with pytest.raises(ValueError, match="ordinal"):
        rank([1.0], "dense")


def test_begg_and_trim_and_fill_do_not_import_scipy_stats():
    code = (
        "import sys\n"
        "from recurrence import meta, load_studies\n"
        "res = meta.compare_studies(load_studies(), measure='RR')\n"
        "meta.begg_test(res); meta.trim_and_fill(res)\n"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
