"""Every loader path: CSV variants, Excel, Parquet, DataFrame, column mapping, dates."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import recurrence
from recurrence import DataError, load_cohort, load_studies
from recurrence.errors import DataWarning

CSV = "patient_id,closure,time,event,age\nP1,yes,12.5,1,40\nP2,no,30,0,55\nP3,1,6,2,61\n"


def expected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3"],
            "closure": [True, False, True],
            "time": [12.5, 30.0, 6.0],
            "event": [1, 0, 2],
            "age": [40.0, 55.0, 61.0],
        }
    )


def check(frame: pd.DataFrame) -> None:
    pdt.assert_frame_equal(frame.reset_index(drop=True), expected(), check_index_type=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "c.csv"
    path.write_bytes(CSV.replace("P3", "Pé").encode(encoding))
    frame = load_cohort(path)
    assert frame["patient_id"].tolist() == ["P1", "P2", "Pé"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiters(tmp_path, sep):
    path = tmp_path / "c.csv"
    path.write_text(CSV.replace(",", sep))
    check(load_cohort(path))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_line_endings(tmp_path, newline):
    path = tmp_path / "c.csv"
    path.write_bytes(CSV.replace("\n", newline).encode())
    check(load_cohort(path))


def test_semicolon_csv_with_decimal_comma(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(CSV.replace(",", ";").replace("12.5", "12,5"))
    check(load_cohort(path))


def test_excel_and_parquet(tmp_path):
    frame = pd.read_csv(__import__("io").StringIO(CSV), dtype=str)
    frame.to_excel(tmp_path / "c.xlsx", index=False)
    frame.to_parquet(tmp_path / "c.parquet")
    check(load_cohort(tmp_path / "c.xlsx"))
    check(load_cohort(tmp_path / "c.parquet"))


def test_parquet_text_is_read_into_arrow_buffers_and_loads_as_from_the_frame(tmp_path):
    """pd.read_parquet made a Python string of every text cell (a 5M cohort: a 2.6 GiB
    peak, 2.0 GiB with Arrow strings, measured: docs/report.md); the text is now
    read as a CSV's is, and the loaded cohort is the same as from the DataFrame."""
    from recurrence._io import read_table

    frame = recurrence.simulate_cohort(50, seed=3)
    frame.loc[[2, 7], "site"] = None
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    raw = read_table(tmp_path / "c.parquet")
    text = [c for c in frame.columns if frame[c].dtype == object]
    assert text and all(isinstance(raw[c].dtype, pd.StringDtype) for c in text)
    kept = frame.columns.difference(text)
    assert (raw.dtypes[kept] == frame.dtypes[kept]).all()
    with pytest.warns(DataWarning, match=r"site 2 rows"):
        from_file = load_cohort(tmp_path / "c.parquet")
    with pytest.warns(DataWarning, match=r"site 2 rows"):
        from_frame = load_cohort(frame)
    pdt.assert_frame_equal(from_file, from_frame)
    assert from_file["site"].dtype == object and from_file["site"].isna().sum() == 2


def test_excel_with_several_sheets_needs_a_sheet(tmp_path):
    frame = expected()
    with pd.ExcelWriter(tmp_path / "two.xlsx") as writer:
        frame.to_excel(writer, sheet_name="cohort", index=False)
        frame.head(1).to_excel(writer, sheet_name="notes", index=False)
    with pytest.raises(DataError, match=r"two.xlsx: has 2 sheets with data: \['cohort', 'notes'\]"):
        load_cohort(tmp_path / "two.xlsx")
    check(load_cohort(tmp_path / "two.xlsx", sheet="cohort"))


def test_dataframe_and_mapping_and_spellings():
    raw = pd.DataFrame(
        {
            "ID": ["P1", "P2", "P3"],
            "Closed": ["Yes", "no", "TRUE"],
            "FU months": ["12.5", 30, 6],
            "Status": ["reherniation", "censored", "2"],
            "age": [40, 55, 61],
        }
    )
    frame = load_cohort(
        raw,
        columns={"ID": "patient_id", "Closed": "closure", "FU months": "time", "Status": "event"},
    )
    check(frame)
    assert frame.attrs["columns"]["time"] == "FU months"


def test_names_differing_only_by_case_and_spaces_are_matched():
    raw = pd.DataFrame({" Patient ID": ["a"], "CLOSURE": [1], "Time": [3.0], "event": [0]})
    assert list(load_cohort(raw).columns) == ["patient_id", "closure", "time", "event"]
    # any whitespace (a spreadsheet's no-break and ideographic spaces), hyphens, dots and
    # stray underscores; a name that only shares letters with one is left alone
    raw = pd.DataFrame(
        {
            "patient\xa0id": ["a"],
            "_Closure.": [1],
            "TIME": [3.0],
            "event": [0],
            "Defect\u3000Width-MM": [5.0],
            "d_efectwidthmm_x": [1.0],
        }
    )
    assert list(load_cohort(raw).columns) == [
        "patient_id",
        "closure",
        "time",
        "event",
        "defect_width_mm",
        "d_efectwidthmm_x",
    ]


def test_time_from_dates():
    raw = pd.DataFrame(
        {
            "patient_id": ["a", "b"],
            "closure": [0, 1],
            "event": [1, 0],
            "surgery": ["2020-01-01", "2020-03-01"],
            "last": ["2021-01-01", "2020-03-31"],
        }
    )
    frame = load_cohort(raw, time_from=("surgery", "last"))
    np.testing.assert_allclose(frame["time"], [366 / 30.4375, 30 / 30.4375])


def test_day_first_dates_need_a_format_and_every_problem_is_reported_once():
    raw = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "closure": ["ja", "nein", "ja", "x"],
            "event": [1, 0, 0, 1],
            "op": ["01.02.2020", "15.03.2021", "01.01.2020", "01.01.2020"],
            "last": ["01.03.2020", "31.04.2021", "01.01.2019", None],
        }
    )
    with pytest.raises(DataError) as info:  # 01.02.2020: 1 February or 2 January?
        load_cohort(raw, time_from=("op", "last"))
    assert "column 'op', rows 1, 2, 3, 4: is not an ISO date (YYYY-MM-DD), and day-first" in str(
        info.value
    )
    assert "cells such as '15.03.2021' are day first: pass date_format='%d.%m.%Y'" in str(
        info.value
    )
    with pytest.raises(DataError) as info:
        load_cohort(raw, time_from=("op", "last"), date_format="%d.%m.%Y")
    described = {(p.user_column or p.column, p.rows, p.message) for p in info.value.problems}
    assert described == {
        ("last", (2,), "is not a date in the format '%d.%m.%Y'"),  # 31 April
        ("last", (4,), "date is empty"),
        ("closure", (4,), "is not a yes/no value"),
        ("op → last", (3,), "ends on or before the surgery date"),
    }
    fixed = raw.assign(
        closure=["ja", "nein", "ja", "nein"],
        last=["01.03.2020", "30.04.2021", "01.01.2021", "01.06.2020"],
    )
    frame = load_cohort(fixed, time_from=("op", "last"), date_format="%d.%m.%Y")
    assert frame["closure"].tolist() == [True, False, True, False]
    np.testing.assert_allclose(frame["time"].iloc[0], 29 / 30.4375)  # 1 Feb to 1 Mar 2020
    assert pd.api.types.is_datetime64_any_dtype(frame["op"])


def test_default_cohort_is_the_simulator_at_its_default_seed():
    frame = load_cohort()
    sim = recurrence.simulate_cohort()
    pdt.assert_series_equal(frame["time"], sim["time"])
    assert frame.attrs["truth"]["hr"]["closure"] == 0.5


def test_loading_never_modifies_the_input():
    raw = pd.DataFrame(
        {
            "id": ["a", "b", "b"],
            "closure": ["yes", "no", "maybe"],
            "time": ["1", "-2", "x"],
            "event": [1, 0, 7],
        }
    )
    before = raw.copy(deep=True)
    with pytest.raises(DataError):
        load_cohort(raw, columns={"id": "patient_id"})
    pdt.assert_frame_equal(raw, before)
    good = pd.DataFrame({"patient_id": ["a"], "closure": ["yes"], "time": ["1,5"], "event": [1]})
    before = good.copy(deep=True)
    load_cohort(good)
    pdt.assert_frame_equal(good, before)


def test_loading_a_file_never_modifies_it(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(CSV)
    stat = path.stat()
    load_cohort(path)
    assert path.read_text() == CSV and path.stat().st_mtime_ns == stat.st_mtime_ns


def test_missing_covariates_warn_with_counts():
    raw = expected().astype({"age": object})
    raw.loc[[0, 2], "age"] = None
    with pytest.warns(DataWarning, match="missing covariate values \\(age 2 rows\\)"):
        frame = load_cohort(raw)
    assert frame["age"].isna().sum() == 2


def test_studies_from_file_and_mapping(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Study,ev_c,n_c,ev_0,n_0\nA,1,10,3,12\nB,0,20,,\n")
    frame = load_studies(
        path,
        columns={
            "Study": "study",
            "ev_c": "events_closure",
            "n_c": "total_closure",
            "ev_0": "events_control",
            "n_0": "total_control",
        },
    )
    assert frame["events_control"].isna().tolist() == [False, True]
    assert str(frame["total_closure"].dtype) == "Int64"


def test_studies_dataframe_untouched():
    raw = pd.DataFrame(
        {
            "study": ["A"],
            "events_closure": [1.0],
            "total_closure": [10],
            "events_control": ["2"],
            "total_control": ["9"],
        }
    )
    before = raw.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_studies(raw)
    pdt.assert_frame_equal(raw, before)


def test_warnings_point_at_the_callers_line():
    raw = expected().astype({"age": object})
    raw.loc[0, "age"] = None
    with pytest.warns(DataWarning) as caught:
        load_cohort(raw)
    assert caught[0].filename == __file__


def test_text_cells_read_the_same_whether_all_strings_or_mixed():
    """A column of Python strings skips the per-cell formatting (its cells are their own
    text); a column with numbers among the strings is formatted cell by cell (4.0 → "4")."""
    from recurrence._types import _cell_text, as_plain_text

    strings = pd.Series([" open ", "MED", None, np.nan, "", "n/a", np.str_("PELD")], dtype=object)
    mixed = pd.Series(["open", 4.0, None, 3, 2.5], dtype=object)
    for s in (strings, mixed):
        slow = s.map(_cell_text, na_action="ignore").astype("string[pyarrow]").str.strip()
        slow = slow.mask(slow == "")
        slow = slow.mask(slow.str.lower().isin(["n/a"]))
        pd.testing.assert_series_equal(as_plain_text(s), slow)
    assert as_plain_text(mixed).tolist() == ["open", "4", pd.NA, "3", "2.5"]
    assert as_plain_text(strings).tolist()[:2] == ["open", "MED"]
