"""Trial sequential analysis: boundaries, required information size and diversity.

References (``validation/r/meta_tsa.R`` → ``tests/data/r/meta_tsa.json``): gsDesign and
ldbounds are not in Debian, so the R script integrates the group-sequential recursion
itself (Simpson's rule, 4,000 intervals) and checks its boundaries with the exit
probabilities of ``mvtnorm::pmvnorm`` (Miwa's algorithm), which agree with the spent
α to 1e-11. Published: the one-sided table of the SeqBounds.jl README
(``bounds([0.25, 0.5, 0.75, 1.0], 0.05)``: 3.74955, 2.53993, 2.01604, 1.72014), computed
there on a grid with step factor 0.05, hence ``PUBLISHED = 5e-5``.

Tolerances: boundaries ``BOUNDS = 1e-7`` relative (two quadratures of the same smooth
integrals; observed ~1e-9); information sizes and D² ``CLOSED = 1e-6`` (closed forms
given τ², REML to its solution).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, r_reference

import recurrence
from recurrence import DataError, meta
from recurrence.meta.datasets import bcg
from recurrence.meta.tsa import obf_boundaries, obf_spending, required_information

BOUNDS = 1e-7
CLOSED = 1e-6
PUBLISHED = 5e-5
CASES = r_reference("meta_tsa")


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "case", [c for c in CASES if c["kind"] == "boundaries"], ids=lambda c: str(c["t"])
)
def test_boundaries_match_recursive_integration_in_r(case):
    ours = obf_boundaries(case["t"], case["alpha"], sides=case["sides"])
    np.testing.assert_allclose(ours, case["boundaries"], rtol=BOUNDS, err_msg=case["call"])
    spent = case["sides"] * np.diff(
        np.r_[0.0, obf_spending(case["t"], case["alpha"], case["sides"])]
    )
    np.testing.assert_allclose(spent, case["spent"], rtol=1e-12)
    if "published" in case:
        np.testing.assert_allclose(ours, case["published"], rtol=PUBLISHED)


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "case", [c for c in CASES if c["kind"] == "information"], ids=lambda c: c["dataset"]
)
def test_information_size_and_diversity_match_r(case):
    """D² from rma() fits; studies read from the CSV through load_studies."""
    studies = recurrence.load_studies(ROOT / "tests" / "data" / f"meta_{case['dataset']}.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = meta.compare_studies(studies, case["measure"], method=case["method"])
        tsa = meta.sequential(res)
    np.testing.assert_allclose(tsa.control_risk, case["control_risk"], rtol=1e-12)
    np.testing.assert_allclose(tsa.ris_fixed, case["ris_fixed"], rtol=CLOSED, err_msg=case["call"])
    np.testing.assert_allclose(tsa.d2, case["d2"], rtol=CLOSED, atol=1e-9, err_msg=case["call"])
    np.testing.assert_allclose(tsa.ris, case["ris"], rtol=CLOSED, err_msg=case["call"])


def test_classic_two_look_boundary():
    # the textbook O'Brien-Fleming-type interim at half the information: z = 2.963
    assert obf_boundaries([0.5, 1.0]).round(3).tolist() == [2.963, 1.969]


def test_sequential_table_follows_the_cumulative_analysis():
    b = bcg()
    res = meta.compare(
        b.events_closure, b.total_closure, b.events_control, b.total_control, labels=b.study, data=b
    )
    tsa = meta.sequential(res, rrr=0.3)
    cum = meta.cumulative(res)
    assert tsa.table["study"].tolist() == cum["study"].tolist()  # by year
    sizes = (b.total_closure + b.total_control).to_numpy()
    order = [b.study.tolist().index(s) for s in cum["study"]]
    np.testing.assert_allclose(tsa.table["participants"], np.cumsum(sizes[order]))
    # z of the last step is the full analysis' estimate over its SE
    assert tsa.table["z"].iloc[-1] == pytest.approx(np.log(res.estimate) / res.se, rel=1e-9)
    assert tsa.remaining == pytest.approx(max(0.0, tsa.ris - tsa.accrued))
    assert tsa.accrued == tsa.table["participants"].iloc[-1]
    assert tsa.crossed == bool((tsa.table["z"].abs() >= tsa.table["boundary"]).any())


def test_sequential_on_the_packaged_studies_links_to_design():
    studies = recurrence.load_studies()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rr = meta.compare_studies(studies, "RR")
    tsa = meta.sequential(rr)
    assert tsa.d2 == 0.0  # τ² = 0 on these studies
    assert tsa.ris == pytest.approx(required_information(tsa.control_risk, 0.2))
    trial = tsa.next_trial()
    assert trial.n_total > 0 and "required information" in tsa.summary()


def test_sequential_needs_a_comparison():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prop = meta.proportions([1, 2, 3], [30, 40, 50])
    with pytest.raises(DataError, match="comparison"):
        meta.sequential(prop)
    with pytest.raises(DataError, match="increase"):
        obf_boundaries([0.5, 0.4])
    with pytest.raises(DataError, match="rrr"):
        required_information(0.2, 1.5)


def test_sequential_plot_draws_curve_and_boundaries():
    import matplotlib.pyplot as plt

    b = bcg()
    res = meta.compare(
        b.events_closure, b.total_closure, b.events_control, b.total_control, data=b, labels=b.study
    )
    tsa = meta.sequential(res, rrr=0.3)
    ax = tsa.plot()
    gids = {a.get_gid() for a in ax.get_children()}
    assert {"tsa:z", "tsa:boundary_upper", "tsa:boundary_lower", "tsa:ris"} <= gids
    line = next(a for a in ax.get_lines() if a.get_gid() == "tsa:z")
    np.testing.assert_allclose(line.get_ydata()[1:], tsa.table["z"])
    plt.close("all")


def test_sequential_table_is_a_dataframe():
    assert isinstance(meta.sequential, object)
    b = bcg()
    res = meta.compare(b.events_closure, b.total_closure, b.events_control, b.total_control)
    tab = meta.sequential(res).table
    assert isinstance(tab, pd.DataFrame)
    assert list(tab.columns[:6]) == [
        "study",
        "participants",
        "information",
        "z",
        "boundary",
        "crossed",
    ]
