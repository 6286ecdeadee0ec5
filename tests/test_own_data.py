"""A researcher's own export, read as given: published data sets written the way a
registry exports them (validation/r/own_data.R: their own column names, labels instead
of codes, days, a title row, an Excel sheet), loaded with the loader's options, and the
results held against R on the same data (tests/data/r/own_data.json)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import ROOT, r_reference

import recurrence
from recurrence import DataError, meta, survival
from recurrence.cli import main
from recurrence.errors import DataWarning

OWN = ROOT / "tests" / "data" / "own"
R = r_reference("own_data")

LUNG = {
    "header_row": 3,
    "columns": {"Pat-ID": "patient_id", "Arm": "closure", "FU (days)": "time", "Outcome": "event"},
    "values": {
        "closure": {"Closure": True, "Standard": False},
        "event": {"recurrence": 1, "alive": 0},
    },
    "time_unit": "days",
}
COLON = {
    "header_row": 3,
    "columns": {
        "Patient": "patient_id",
        "Treatment": "closure",
        "Days to event": "time",
        "Status": "event",
        "Age (years)": "age",
    },
    "values": {
        "closure": {"Barricaid": True, "none": False},
        "event": {"recurrence": 1, "death": 2, "alive": 0, "9": 0},
    },
    "time_unit": "days",
}
BCG = {
    "Trial": "study",
    "TB vaccinated": "events_closure",
    "N vaccinated": "total_closure",
    "TB control": "events_control",
    "N control": "total_control",
    "Year": "year",
    "Latitude": "ablat",
    "Allocation": "design",
}


@pytest.fixture(scope="module")
def lung():
    with pytest.warns(DataWarning):
        return recurrence.load_cohort(OWN / "lung_registry.csv", **LUNG)


@pytest.fixture(scope="module")
def colon():
    with pytest.warns(DataWarning):
        return recurrence.load_cohort(OWN / "colon_registry.xlsx", **COLON)


# --------------------------------------------------------------------------- against R


@pytest.mark.r_reference
def test_lung_from_a_registry_csv_gives_coxph(lung):
    # R: coxph(Surv(time, status == 2) ~ female + age + ph.karno + wt.loss, data = lung),
    # Efron, eps 1e-10. The export's "Arm" is sex (Closure = female). Newton converged to
    # 1e-10 in the log-likelihood: coefficients agree to far better than 1e-6.
    ref = R["lung_cox"]
    fit = survival.cox(lung, ["closure", "age", "ph.karno", "wt.loss"])
    assert fit.table.index.tolist() == ["closure", "age", "ph.karno", "wt.loss"]
    np.testing.assert_allclose(fit.table["coef"], ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(fit.table["se"], ref["se"], rtol=1e-6)
    assert fit.n == ref["n"] and fit.events == ref["nevent"]
    # The numbers of the file are numbers: no column became one indicator per value.
    assert lung["ph.karno"].dtype == "Int64" and lung["wt.loss"].dtype == "Int64"
    assert round(float(fit.table.loc["closure", "hr"]), 3) == 0.598


@pytest.mark.r_reference
def test_colon_from_an_excel_sheet_gives_crr_and_coxph(colon):
    # R: crr(ftime, fstatus, cov1 = cbind(closure, age, nodes), failcode = 1, cencode = 0)
    # at the smallest gtol crr converges with (stored), and the cause-specific coxph.
    counts = R["colon_counts"]
    assert len(colon) == counts["n"]
    assert (colon["event"] == 1).sum() == counts["events"]
    assert (colon["event"] == 2).sum() == counts["competing"]
    assert (colon["event"] == 0).sum() == counts["censored"]  # "9" (unknown) is censored
    assert colon["time"].max() == pytest.approx(counts["months_max"], rel=1e-12)
    fg = survival.fine_gray(colon, ["closure", "age", "nodes"])
    ref = R["colon_fg"]
    # crr stops at its own gtol: its last Newton step is ~1e-7 of the coefficients.
    np.testing.assert_allclose(fg.table["coef"], ref["coef"], rtol=1e-5)
    np.testing.assert_allclose(fg.table["se"], ref["se"], rtol=1e-5)
    cx = survival.cox(colon, ["closure", "age", "nodes"])
    np.testing.assert_allclose(cx.table["coef"], R["colon_cox"]["coef"], rtol=1e-6)
    np.testing.assert_allclose(cx.table["se"], R["colon_cox"]["se"], rtol=1e-6)


@pytest.mark.r_reference
def test_bcg_export_gives_rma_glmm_for_the_odds_ratio():
    """The GLMM for odds ratios, alone and as the sensitivity panel's GLMM row, on the
    BCG export read through the loader. R (validation/r/own_data_glmm.R, on the same
    file): rma.glmm(measure="OR", ai, n1i, ci, n2i, model="UM.FS", control =
    list(glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12)))).
    Tolerance 2e-4 relative, as in tests/test_meta_few_studies_r.py: the same quadrature,
    optimisers stopping at different points of a likelihood flat in τ (measured on this
    file: β 1.3e-6, τ² 9.1e-6, SE 3.5e-5, CI bounds 1.3e-5)."""
    ref = r_reference("own_data_glmm")["glmm_or"]
    studies = recurrence.load_studies(OWN / "bcg_trials.csv", columns=BCG)
    res = meta.compare_studies(studies, measure="OR", method="GLMM")
    assert res.k == ref["k"]
    assert res.estimate_model == pytest.approx(ref["beta"], rel=2e-4)
    assert res.se == pytest.approx(ref["se"], rel=2e-4)
    assert res.tau2 == pytest.approx(ref["tau2"], rel=2e-4)
    for key in ("estimate", "ci_low", "ci_high"):
        assert getattr(res, key) == pytest.approx(ref[key], rel=2e-4), key
    panel = meta.sensitivity(studies, measure="OR").table.set_index("method")
    assert panel.loc["GLMM", "estimate"] == pytest.approx(ref["estimate"], rel=2e-4)
    assert panel.loc["GLMM", "tau2"] == pytest.approx(ref["tau2"], rel=2e-4)


@pytest.mark.r_reference
def test_bcg_export_gives_rma_glmm_for_one_arms_rate():
    """The pooled rate of one arm by the binomial-normal GLMM (``pool_arm(...,
    transform="glmm")``) on the BCG export read through the loader. R
    (validation/r/own_data_glmm.R, on the same file): rma.glmm(measure="PLO", xi = ai,
    ni = n1i, control = list(glmerCtrl = list(optimizer = "bobyqa", optCtrl =
    list(rhoend = 1e-12)))). Tolerances as tests/test_meta_reference.py's: the fit to
    1e-5 (measured: β 1.2e-8, τ² 1.3e-7), the SE and the interval to 2e-4 (lme4's SE from
    an unextrapolated finite-difference Hessian; measured 9.8e-5)."""
    ref = r_reference("own_data_glmm")["glmm_plo"]
    studies = recurrence.load_studies(OWN / "bcg_trials.csv", columns=BCG)
    res = meta.pool_arm(studies, arm="closure", transform="glmm")
    assert res.k == ref["k"]
    assert res.estimate_model == pytest.approx(ref["beta"], rel=1e-5)
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-5)
    assert res.tau2 == pytest.approx(ref["tau2"], rel=1e-5)
    assert res.se == pytest.approx(ref["se"], rel=2e-4)
    for key in ("ci_low", "ci_high"):
        assert getattr(res, key) == pytest.approx(ref[key], rel=2e-4), key


@pytest.mark.r_reference
def test_bcg_study_table_gives_metafor():
    studies = recurrence.load_studies(OWN / "bcg_trials.csv", columns=BCG)
    # Latitude is a number, not 13 categories
    assert studies["ablat"].dtype == "int64" and studies["year"].dtype == "Int64"
    pooled = meta.compare_studies(studies, measure="RR")
    ref = R["bcg_pooled"]
    assert pooled.estimate == pytest.approx(ref["estimate"], rel=1e-6)
    assert pooled.tau2 == pytest.approx(ref["tau2"], rel=1e-6)
    reg = meta.regression(pooled, ["ablat", "year"])
    ref = R["bcg_regression"]
    assert reg.table.index.tolist() == ["intercept", "ablat", "year"]
    # year is not centred (≈ 1950): the REML criterion is flat to 1e-9 over τ² in
    # [0.110784, 0.110788] (checked in R), and metafor and we stop at different points of
    # it (τ² 0.1107874 vs 0.1107847). Coefficients then agree to ~5e-5 relative.
    np.testing.assert_allclose(reg.table["coef"], ref["coef"], rtol=1e-4)
    np.testing.assert_allclose(reg.table["se"], ref["se"], rtol=1e-4)
    assert reg.tau2 == pytest.approx(ref["tau2"], rel=1e-4)
    assert reg.qm == pytest.approx(ref["qm"], rel=1e-4)


# --------------------------------------------------------------------------- the export's shape


def test_a_title_row_is_refused_with_the_option_to_use():
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(OWN / "lung_registry.csv")
    assert str(info.value) == (
        "lung_registry.csv: row 1 looks like a title ('NCCTG lung cancer registry: export "
        "of 2024-03-01'), not column names. Fix: say which row holds the column names: "
        "header_row=3 (--header-row 3)"
    )
    with pytest.raises(DataError, match=r"row 1 looks like a title .*header_row=3"):
        recurrence.load_cohort(OWN / "colon_registry.xlsx")


def test_header_row_out_of_range_empty_or_not_for_a_frame(tmp_path):
    with pytest.raises(DataError, match="header_row=2: that row is empty"):
        recurrence.load_cohort(OWN / "lung_registry.csv", header_row=2)
    with pytest.raises(DataError, match="header_row=900: that row is past the end"):
        recurrence.load_cohort(OWN / "lung_registry.csv", header_row=900)
    with pytest.raises(DataError, match="header_row must be a row number from 1"):
        recurrence.load_cohort(OWN / "lung_registry.csv", header_row=0)
    with pytest.raises(DataError, match="header_row applies to files"):
        recurrence.load_cohort(recurrence.simulate_cohort(20, seed=1), header_row=2)
    pq = tmp_path / "c.parquet"
    recurrence.simulate_cohort(20, seed=1).to_parquet(pq)
    with pytest.raises(DataError, match="header_row does not apply to a Parquet file"):
        recurrence.load_cohort(pq, header_row=2)


def test_values_recode_labels_whatever_their_case_and_numbers_however_written():
    raw = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "arm": [" closure", "STANDARD", "Closure", "standard"],
            "time": [3, 4, 5, 6],
            "status": [9, "1", 2.0, "0"],
        }
    )
    out = recurrence.load_cohort(
        raw,
        columns={"arm": "closure", "status": "event"},
        values={"arm": {"Closure": True, "Standard": False}, "event": {"9": 0}},
    )
    assert out["closure"].tolist() == [True, False, True, False]
    assert out["event"].tolist() == [0, 1, 2, 0]
    assert out.attrs["values"]["closure"] == {"Closure": True, "Standard": False}
    assert raw["arm"].tolist()[0] == " closure"  # the input is not modified


def test_values_naming_an_absent_column_or_not_a_mapping():
    c = recurrence.simulate_cohort(10, seed=1)
    with pytest.raises(DataError, match="values= recodes column 'arm', which is not in the table"):
        recurrence.load_cohort(c, values={"arm": {"x": True}})
    with pytest.raises(DataError, match="values= must map a column to"):
        recurrence.load_cohort(c, values={"closure": ["x"]})


def test_labels_a_mapping_does_not_name_are_still_checked():
    raw = pd.DataFrame(
        {"patient_id": ["a", "b"], "closure": ["Closure", "Standrad"], "time": [1, 2]}
    ).assign(event=[0, 1])
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(raw, values={"closure": {"Closure": True, "Standard": False}})
    assert "column 'closure', row 2: is not a yes/no value (found 'Standrad')" in str(info.value)


@pytest.mark.parametrize(
    ("unit", "months"), [("days", 365.25 / 30.4375), ("weeks", 52 * 7 / 30.4375), ("years", 12.0)]
)
def test_time_unit_converts_to_months(unit, months):
    value = {"days": 365.25, "weeks": 52, "years": 1}[unit]
    c = pd.DataFrame({"patient_id": ["a"], "closure": [1], "time": [value], "event": [1]})
    out = recurrence.load_cohort(c, time_unit=unit)
    assert out["time"].iloc[0] == pytest.approx(months, rel=1e-12)


def test_time_unit_refused_when_unknown_or_with_dates():
    c = recurrence.simulate_cohort(10, seed=1)
    with pytest.raises(DataError, match=r"time_unit must be one of \['days', 'weeks'"):
        recurrence.load_cohort(c, time_unit="fortnights")
    dates = pd.DataFrame(
        {
            "patient_id": ["a"],
            "closure": [1],
            "op": ["2020-01-01"],
            "last": ["2021-01-01"],
            "event": [0],
        }
    )
    with pytest.raises(DataError, match="time_unit='days' and time_from were both given"):
        recurrence.load_cohort(dates, time_from=("op", "last"), time_unit="days")


def test_days_given_as_months_warn_with_the_option_named():
    c = recurrence.simulate_cohort(200, seed=3)
    c["time"] = c["time"] * 10  # median over 20 years, none over 100
    with pytest.warns(DataWarning, match="pass time_unit='days'"):
        recurrence.load_cohort(c)


def test_r_style_event_codes_are_refused_unless_confirmed(tmp_path):
    path = tmp_path / "lung.csv"
    pd.DataFrame(
        {"patient_id": ["a", "b", "c"], "closure": [1, 0, 1], "time": [3, 4, 5], "event": [1, 2, 2]}
    ).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(path)
    assert (
        "has codes 1 and 2 only (nobody censored): R's Surv() codes "
        "1 = censored, 2 = event. Fix: if so, values={'event': {1: 0, 2: 1}}"
    ) in str(info.value)
    assert recurrence.load_cohort(path, values={"event": {1: 0, 2: 1}})["event"].tolist() == [
        0,
        1,
        1,
    ]
    assert recurrence.load_cohort(path, values={"event": {1: 1, 2: 2}})["event"].tolist() == [
        1,
        2,
        2,
    ]


# --------------------------------------------------------------------------- types


def test_types_are_the_same_from_csv_excel_and_a_frame(tmp_path):
    frame = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "closure": [True, False, True],
            "time": [12.5, 30.0, 6.0],
            "event": [1, 0, 2],
            "nodes": [3, 12, None],
            "ratio": [0.5, 1.25, 2.0],
            "grade": ["II", "III", "II"],
            "zip": ["0123", "4567", "0999"],
        }
    )
    frame["nodes"] = frame["nodes"].astype("Int64")
    csv, xlsx = tmp_path / "c.csv", tmp_path / "c.xlsx"
    frame.to_csv(csv, index=False)
    frame.to_excel(xlsx, index=False)
    with pytest.warns(DataWarning):
        loaded = [recurrence.load_cohort(s) for s in (frame, csv, xlsx)]
    for out in loaded:
        assert out["nodes"].dtype == "Int64" and out["nodes"].tolist()[:2] == [3, 12]
        assert out["ratio"].dtype == "float64"
        assert out["grade"].tolist() == ["II", "III", "II"]
        assert out["zip"].tolist() == ["0123", "4567", "0999"]  # codes keep their zeros


def test_numbers_stored_as_text_in_excel_are_numbers(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "closure", "time", "event", "nodes", "bmi"])
    ws.append(["a", 1, "12.5", 1, "3", "24.1"])  # text cells, as Excel's green triangle
    ws.append(["b", 0, 30, 0, 5, 27.0])
    wb.save(tmp_path / "c.xlsx")
    out = recurrence.load_cohort(tmp_path / "c.xlsx")
    assert out["time"].tolist() == [12.5, 30.0]
    assert out["nodes"].tolist() == [3, 5] and out["nodes"].dtype == "int64"
    assert out["bmi"].tolist() == [24.1, 27.0]


@pytest.mark.parametrize("odd", ["n/a", "unknown", "<5", "NaN", "inf", "?"])
def test_numbers_with_a_few_odd_cells_are_a_problem_never_text(odd, tmp_path):
    path = tmp_path / "c.csv"
    rows = [f"P{i},1,{i + 1},0,{i * 2}" for i in range(20)] + [f"P99,0,5,1,{odd}"]
    path.write_text("patient_id,closure,time,event,nodes\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(path)
    message = str(info.value)
    assert (
        f"column 'nodes', row 21: holds numbers and cells that are not numbers (found '{odd}')"
        in message
    )
    assert "Fix: leave those cells empty (a missing value), or recode them on loading" in message
    with pytest.warns(DataWarning, match=r"missing covariate values \(nodes 1 row\)"):
        out = recurrence.load_cohort(path, values={"nodes": {odd: None}})
    assert out["nodes"].dtype == "Int64" and out["nodes"].isna().sum() == 1


def test_a_number_column_with_a_category_cell_is_a_problem_unless_declared_text():
    c = recurrence.simulate_cohort(30, seed=2)
    c["stage"] = ["1", "2"] * 14 + ["3A", "2"]
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(c)
    assert "column 'stage', row 29: is a column of numbers with a few cells that are not" in str(
        info.value
    )
    assert "types={'stage': 'text'}" in str(info.value)
    out = recurrence.load_cohort(c, types={"stage": "text"})
    assert out["stage"].tolist()[-2:] == ["3A", "2"]
    c["stage"] = ["1", "2", "3A", "3B"] * 7 + ["1", "2"]  # mostly categories: text
    assert recurrence.load_cohort(c)["stage"].tolist()[:4] == ["1", "2", "3A", "3B"]


def test_infinite_covariates_are_problems():
    c = recurrence.simulate_cohort(10, seed=2)
    c.loc[3, "age"] = np.inf
    c["score"] = [1.5] * 9 + [-np.inf]
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(c)
    assert "column 'age', row 4: is not finite (infinite)" in str(info.value)
    assert "column 'score', row 10: is not finite (infinite)" in str(info.value)


def test_canonical_text_columns_are_text():
    c = recurrence.simulate_cohort(10, seed=2)
    c["level"] = [4, 5] * 5
    assert recurrence.load_cohort(c)["level"].tolist()[:2] == ["4", "5"]


def test_types_refuses_unknown_columns_and_types():
    c = recurrence.simulate_cohort(10, seed=2)
    with pytest.raises(DataError, match="types= names column 'nope'"):
        recurrence.load_cohort(c, types={"nope": "text"})
    with pytest.raises(DataError, match="types= gives 'age' the type 'date'"):
        recurrence.load_cohort(c, types={"age": "date"})


# --------------------------------------------------------------------------- Excel


def test_duplicated_header_in_excel_is_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "closure", "time", "event", "age", "age"])
    ws.append(["a", 1, 12, 1, 50, 51])
    wb.save(tmp_path / "c.xlsx")
    with pytest.raises(DataError, match=r"has duplicated column names: 'age' \(columns 5, 6\)"):
        recurrence.load_cohort(tmp_path / "c.xlsx")


def test_hidden_rows_in_excel_are_named(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "closure", "time", "event"])
    for i in range(6):
        ws.append([f"P{i}", i % 2, 10 + i, 0])
    ws.row_dimensions[3].hidden = True  # data rows 2 and 5
    ws.row_dimensions[6].hidden = True
    wb.save(tmp_path / "c.xlsx")
    with pytest.warns(DataWarning, match=r"rows 2, 5 \(counted below the header\) are hidden"):
        out = recurrence.load_cohort(tmp_path / "c.xlsx")
    assert len(out) == 6


# --------------------------------------------------------------------------- study tables


def test_a_yes_no_trial_column_is_refused():
    studies = recurrence.load_studies().head(5).drop(columns=["trial"])
    studies["trial"] = ["yes", "no", "yes", "yes", "no"]
    with pytest.raises(DataError) as info:
        recurrence.load_studies(studies)
    assert "column 'trial', rows 1, 2, 3, 4, 5: holds yes/no values, not trial labels" in str(
        info.value
    )
    assert "columns={'trial': 'randomized'}" in str(info.value)
    studies = studies.rename(columns={"trial": "randomized"})
    assert len(recurrence.load_studies(studies)) == 5


def test_reports_of_one_trial_are_dropped_with_a_named_warning():
    studies = pd.read_csv(OWN / "bcg_trials.csv").rename(columns=BCG)
    studies["trial"] = studies["study"]
    studies.loc[1, "trial"] = studies.loc[0, "trial"]
    with pytest.warns(DataWarning, match=r"1 report of a trial already in the table left out"):
        out = recurrence.load_studies(studies)
    assert len(out) == 12 and out.attrs["dropped"]


def test_moderators_keep_their_types(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "study,events_closure,total_closure,events_control,total_control,mean_age,site\n"
        "A,1,10,2,10,41.5,Bern\nB,2,20,5,20,38,Oslo\nC,0,15,3,15,44.2,Bern\n"
    )
    out = recurrence.load_studies(path)
    assert out["mean_age"].dtype == "float64" and out["site"].tolist()[0] == "Bern"


# --------------------------------------------------------------------------- messages


def test_did_you_mean_suggests_by_meaning_and_only_unmatched_columns():
    raw = pd.DataFrame(
        {"Pat-ID": ["a"], "Treatment": ["x"], "FU": [3], "Status": [1], "closure": [1]}
    )
    with pytest.raises(DataError) as info:
        recurrence.load_cohort(raw)
    message = str(info.value)
    assert "did you mean 'Pat-ID'? Pass columns={'Pat-ID': 'patient_id'}" in message
    assert "did you mean 'FU'? Pass columns={'FU': 'time'}" in message
    assert "did you mean 'Status'? Pass columns={'Status': 'event'}" in message
    assert "'Treatment'" not in message  # closure is there already: nothing to suggest


def test_the_command_line_reads_a_registry_export_with_a_data_dictionary(tmp_path):
    dictionary = tmp_path / "lung.toml"
    dictionary.write_text(
        'time_unit = "days"\nheader_row = 3\n[columns]\n"Pat-ID" = "patient_id"\n'
        'Arm = "closure"\n"FU (days)" = "time"\nOutcome = "event"\n'
        "[values.closure]\nClosure = true\nStandard = false\n"
        "[values.event]\nrecurrence = 1\nalive = 0\n"
    )
    result = CliRunner().invoke(
        main, ["describe", "--cohort", str(OWN / "lung_registry.csv"), "--columns", str(dictionary)]
    )
    assert result.exit_code == 0, result.output
    assert "lung_registry.csv: 228 patients" in result.output
    # the same with flags, and a values file in JSON
    values = tmp_path / "values.json"
    values.write_text(json.dumps(COLON["values"]))
    mapping = tmp_path / "columns.json"
    mapping.write_text(json.dumps(COLON["columns"]))
    result = CliRunner().invoke(
        main,
        [
            "describe",
            "--cohort",
            str(OWN / "colon_registry.xlsx"),
            "--columns",
            str(mapping),
            "--values",
            str(values),
            "--time-unit",
            "days",
            "--header-row",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "colon_registry.xlsx: 619 patients" in result.output


def test_the_command_line_prints_one_problem_per_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("patient_id,closure,time,event\na,maybe,-1,7\n")
    result = CliRunner().invoke(main, ["describe", "--cohort", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "recurrence: error: bad.csv: 3 problems, nothing was loaded:"
    assert all(line.startswith("  - ") for line in lines[1:]) and len(lines) == 4
    assert all(len(line) <= 200 for line in lines)


def test_time_left_from_two_dates_and_time_from_on_the_command_line(tmp_path):
    path = tmp_path / "imaging.csv"
    path.write_text(
        "id,closure,op,last,clean_mri,event\n"
        "a,1,2020-01-01,2021-01-01,2020-07-01,1\n"
        "b,0,2020-01-01,2022-01-01,,0\n"
    )
    out = recurrence.load_cohort(
        path,
        columns={"id": "patient_id"},
        time_from=("op", "last"),
        time_left_from=("op", "clean_mri"),
    )
    assert out["time"].tolist() == pytest.approx([366 / 30.4375, 731 / 30.4375])
    assert out["time_left"].iloc[0] == pytest.approx(182 / 30.4375)
    assert np.isnan(out["time_left"].iloc[1])
    mapping = tmp_path / "m.json"
    mapping.write_text('{"id": "patient_id"}')
    result = CliRunner().invoke(
        main,
        ["describe", "--cohort", str(path), "--columns", str(mapping), "--time-from", "op,last"],
    )
    assert result.exit_code == 0, result.output
    assert "imaging.csv: 2 patients" in result.output
    result = CliRunner().invoke(main, ["describe", "--cohort", str(path), "--time-from", "op"])
    assert result.exit_code == 2 and "--time-from takes two column names" in result.stderr


def test_a_study_table_with_a_title_row_reads_with_header_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "Table 2 of the review\n"
        "study,events_closure,total_closure,events_control,total_control\n"
        "A,1,10,2,10\nB,2,20,5,20\n"
    )
    out = recurrence.load_studies(path, header_row=2)
    assert out["study"].tolist() == ["A", "B"]


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "2", ""],
        ["1.5", " 2 ", None],
        ["12,5", "3"],
        ["007", "12"],
        ["a", "b", ""],
        ["n/a", "x", "NA"],
        ["1e3", "-4"],
        ["+5", "0"],
        ["", ""],
    ],
)
def test_wide_tables_are_typed_as_each_column_alone(cells):
    # typed_columns types the text columns of a CSV in one Arrow pass; the result must be
    # what typed_column gives for each column on its own.
    from recurrence._types import typed_column, typed_columns

    # A wide CSV file gives its cells as Python strings (one object block): the same.
    for dtype in ("string[pyarrow]", object):
        col = pd.Series(cells, dtype=dtype)
        batch = typed_columns(pd.DataFrame({"a": col, "b": col.copy()}), {}, {})[0]["a"]
        alone = typed_column(col, "a").column
        pd.testing.assert_series_equal(batch, alone, check_names=False)


def test_a_wide_export_loads_without_warnings(tmp_path):
    # 1,500 columns (a REDCap export): no pandas fragmentation warning (warnings are errors)
    rng = np.random.default_rng(3)
    frame = recurrence.simulate_cohort(30, seed=3)[["patient_id", "closure", "time", "event"]]
    extra = pd.DataFrame(rng.integers(0, 4, (30, 1500)), columns=[f"q{j}" for j in range(1500)])
    path = tmp_path / "redcap.csv"
    pd.concat([frame, extra], axis=1).to_csv(path, index=False)
    out = recurrence.load_cohort(path)
    assert out.shape == (30, 1504) and (out.dtypes.iloc[4:] == "int64").all()


@pytest.mark.r_reference
def test_egger_as_metafor_defaults_to_on_the_bcg_export():
    # R: regtest(rma(yi, vi, data = escalc("RR", ai = tpos, n1i = tpos + tneg, ci = cpos,
    #    n2i = cpos + cneg, data = dat.bcg), method = "REML"), model = "rma")
    # (validation/r/meta.R, fixture meta_bias.json); REML stops at 1e-10: 1e-6 relative.
    ref = next(
        c
        for c in r_reference("meta_bias")
        if c["test"] == "egger_rma"
        and c["dataset"] == "bcg"
        and c["measure"] == "RR"
        and c["method"] == "REML"
        and not c["hksj"]
    )
    studies = recurrence.load_studies(OWN / "bcg_trials.csv", columns=BCG)
    test = meta.egger_test(meta.compare_studies(studies, measure="RR"), model="rma")
    assert test.k == ref["values"]["k"] == 13
    assert test.statistic == pytest.approx(ref["values"]["statistic"], rel=1e-6)
    assert test.pvalue == pytest.approx(ref["values"]["pvalue"], rel=1e-6)
    assert test.df is None  # z test, as metafor without test = "knha"


PBC = {
    "header_row": 2,
    "columns": {
        "Patient": "patient_id",
        "Arm": "closure",
        "Days": "time",
        "Status": "event",
        "Age (years)": "age",
        "Sex": "sex",
        "Bilirubin": "bili",
        "Cholesterol": "chol",
        "Edema": "edema",
    },
    "values": {
        "closure": {"Drug": True, "Placebo": False},
        "event": {"censored": 0, "dead": 1, "transplant": 2},
    },
    "time_unit": "days",
}


def test_pbc_registry_with_a_competing_event_and_a_missing_covariate_gives_r(tmp_path):
    """survival::pbc as a registry exports it (validation/r/own_data_pbc.R): coxph and crr
    on the complete cases, cuminc by arm, from the API and from the report built with a
    plan that adjusts for cholesterol (28 missing), whose copy of the cohort is sorted by
    time. Tolerance 1e-9: R's fits converge to about 1e-10 (coxph eps 1e-10); measured
    1.1e-15 (Cox), 2.6e-16 (crr), 4.0e-16 (incidence), 2.6e-18 (its variance); cox.zph
    to the same tolerance."""
    ref = r_reference("own_data_pbc")
    with pytest.warns(DataWarning, match=r"chol 28 rows"):
        cohort = recurrence.load_cohort(OWN / "pbc_registry.csv", **PBC)
    covariates = ["closure", "age", "bili", "chol"]
    fit = survival.cox(cohort, covariates)
    assert (fit.n, fit.events) == (ref["cox"]["n"], ref["cox"]["nevent"])
    np.testing.assert_allclose(fit.table["coef"], ref["cox"]["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.table["se"], ref["cox"]["se"], rtol=1e-9)
    assert fit.concordance == pytest.approx(ref["cox"]["concordance"], abs=1e-12)
    # cox.zph(fit) (transform "km"): chol's p is 0.00093, which the caveat gives as
    # "p < 0.001" (it printed "p = <0.001", found reading this report's caveats)
    ph = fit.ph_test.loc[ref["cox"]["zph_terms"]]
    np.testing.assert_allclose(ph["chisq"], ref["cox"]["zph_chisq"], rtol=1e-9)
    np.testing.assert_allclose(ph["pvalue"], ref["cox"]["zph_p"], rtol=1e-9)
    assert "proportional hazards doubtful for chol (p < 0.001, cox.zph); the hazard ratio is" in (
        " ".join(fit.remarks)
    )
    fg = survival.fine_gray(cohort, covariates)
    np.testing.assert_allclose(fg.table["coef"], ref["crr"]["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fg.table["se"], ref["crr"]["se"], rtol=1e-9)
    at = survival.cumulative_incidence(cohort).at(ref["cuminc"]["times"]).set_index("group")
    for arm, key in (("no closure", "control"), ("closure", "closure")):
        np.testing.assert_allclose(at.loc[arm, "incidence"], ref["cuminc"][key], atol=1e-12)
        np.testing.assert_allclose(at.loc[arm, "se"] ** 2, ref["cuminc"][f"{key}_var"], atol=1e-14)

    plan = tmp_path / "plan.toml"
    plan.write_text('[cohort]\ncovariates = ["age", "bili", "chol"]\nsubgroups = ["sex"]\n')
    with pytest.warns(DataWarning, match=r"chol 28 rows"):
        built = recurrence.report.build(cohort=OWN / "pbc_registry.csv", plan=plan, read_cohort=PBC)
    adjusted = built.analyses.cox_adjusted.table
    np.testing.assert_allclose(adjusted["coef"], ref["cox"]["coef"], rtol=1e-9, atol=1e-12)
    assert built.analyses.imputed is not None  # the same call on the table: test_report_inputs
