"""E-values (VanderWeele & Ding, Ann Intern Med 2017;167:268-274).

The EValue R package is not installed here; validation/r/cohort_analyses.R writes the
paper's formulas out in R (``ev_rr``, ``to_rr``, ``ev_ci``) and stores the results in
tests/data/r/cohort_analyses.json ("evalue"). Closed-form arithmetic: 1e-12 relative.
"""

from __future__ import annotations

import math

import pytest
from helpers import r_reference

from recurrence import DataError, evalue, load_cohort, load_studies, meta
from recurrence.confounding import evalue_rr, to_risk_ratio
from recurrence.survival import cox

REL = 1e-12


@pytest.mark.r_reference
@pytest.mark.parametrize("case", r_reference("cohort_analyses")["evalue"], ids=lambda c: str(c))
def test_against_the_formulas_written_in_r(case):
    ev = evalue(case["est"], case["lo"], case["hi"], measure=case["measure"], rare=case["rare"])
    assert ev.rr == pytest.approx(case["rr"], rel=REL)
    assert ev.evalue == pytest.approx(case["evalue"], rel=REL)
    assert ev.evalue_ci == pytest.approx(case["evalue_ci"], rel=REL)


def test_the_papers_worked_example():
    # VanderWeele & Ding 2017: Victora et al., formula feeding and infant respiratory
    # death, RR 3.9 (95% CI 1.8 to 8.7): "E-value of 7.2" for the estimate and 3.0 for
    # the lower limit; the exact values are 3.9 + √(3.9 · 2.9) and 1.8 + √(1.8 · 0.8).
    ev = evalue(3.9, 1.8, 8.7, measure="RR")
    assert ev.evalue == pytest.approx(3.9 + math.sqrt(3.9 * 2.9), rel=REL)
    assert ev.evalue == pytest.approx(7.26, abs=0.005)  # the paper truncates to 7.2
    assert ev.evalue_ci == pytest.approx(3.0, rel=REL)


def test_protective_effects_use_the_inverse_and_the_upper_limit():
    ev = evalue(1 / 3.9, 1 / 8.7, 1 / 1.8, measure="RR")
    assert ev.evalue == pytest.approx(evalue_rr(3.9), rel=REL)
    assert ev.evalue_ci == pytest.approx(3.0, rel=REL)


def test_an_interval_including_one_gives_one_and_no_interval_gives_none():
    assert evalue(0.8, 0.6, 1.1, measure="RR").evalue_ci == 1.0
    assert evalue(1.3, 0.9, 1.9, measure="RR").evalue_ci == 1.0
    assert evalue(2.0, measure="RR").evalue_ci is None
    assert evalue(1.0, 0.8, 1.2, measure="RR").evalue == 1.0


def test_common_outcome_conversions():
    # VanderWeele 2020 (Biometrics): HR → (1 − 0.5^√HR)/(1 − 0.5^√(1/HR)), OR → √OR
    hr = 0.5
    expected = (1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr))
    assert to_risk_ratio(hr, "HR", rare=False) == pytest.approx(expected, rel=REL)
    assert to_risk_ratio(hr, "HR", rare=True) == hr
    assert to_risk_ratio(2.25, "OR", rare=False) == pytest.approx(1.5, rel=REL)
    # converting towards 1 always gives the smaller, more cautious E-value
    assert evalue(0.5, measure="HR").evalue < evalue(0.5, measure="HR", rare=True).evalue


def test_reads_the_closure_row_of_a_cox_model():
    fit = cox(load_cohort(), ["closure", "smoker"])
    row = fit.table.loc["closure"]
    ev = evalue(fit)
    same = evalue(row["hr"], row["ci_low"], row["ci_high"], measure="HR")
    assert (ev.evalue, ev.evalue_ci) == (same.evalue, same.evalue_ci)
    assert ev.table.index[0] == "closure" and ev.measure == "HR"
    assert evalue(fit, term="smoker").estimate == fit.table.loc["smoker", "hr"]
    with pytest.raises(DataError, match="no term 'age'"):
        evalue(fit, term="age")


def test_reads_a_meta_analysis_result():
    st = load_studies().dropna(subset=["total_closure", "total_control"])
    res = meta.compare(
        st.events_closure, st.total_closure, st.events_control, st.total_control, method="FE"
    )
    ev = evalue(res)
    assert ev.measure == "RR" and ev.estimate == pytest.approx(res.estimate)
    assert ev.ci_high == pytest.approx(res.ci_high)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0.5,), {"measure": "RD"}, "measure must be one of"),
        ((-0.2,), {}, "finite ratio > 0"),
        ((0.5, 0.6, 0.9), {}, "does not contain the estimate"),
        (("big",), {}, "cannot read a ratio"),
    ],
)
def test_bad_input_is_a_data_error(args, kwargs, message):
    with pytest.raises(DataError, match=message):
        evalue(*args, **kwargs)


def test_the_sentence_names_both_values():
    ev = evalue(0.5, 0.35, 0.7, measure="HR")
    assert f"{ev.evalue:.2f}" in ev.sentence and f"{ev.evalue_ci:.2f}" in ev.sentence
    assert "E-value" in ev._repr_html_() and ev.summary().startswith("E-value")
