"""Each validation rule, with the message a user sees (file, column, rows, fix)."""

from __future__ import annotations

import pandas as pd
import pytest

from recurrence import DataError, load_cohort, load_studies

HEADER = "patient_id,closure,time,event\n"


def cohort_error(tmp_path, body: str, header: str = HEADER, **kw) -> DataError:
    path = tmp_path / "cohort.csv"
    path.write_text(header + body)
    with pytest.raises(DataError) as info:
        load_cohort(path, **kw)
    return info.value


def study_error(
    tmp_path, body: str, header="study,events_closure,total_closure,events_control,total_control\n"
):
    path = tmp_path / "studies.csv"
    path.write_text(header + body)
    with pytest.raises(DataError) as info:
        load_studies(path)
    return info.value


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "a,1,0,1\nb,0,-3,0\n",
            "column 'time', rows 1, 2: is 0 or negative (found 0.0, -3.0). Fix: times are months",
        ),
        ("a,1,abc,1\n", "column 'time', row 1: is not a number (found 'abc')"),
        ("a,1,inf,1\n", "column 'time', row 1: is not finite (inf)"),
        ("a,1,10000,1\n", "column 'time', row 1: is over 1200 months (100 years)"),
        ("a,1,,1\n", "column 'time', row 1: is empty"),
        (
            "a,1,2021-03-04,1\n",
            "column 'time', row 1: holds dates, not months (found '2021-03-04'). Fix: give months from surgery, or pass time_from=",
        ),
        ("a,1,5,3\nb,1,5,-1\n", "column 'event', rows 1, 2: is not 0, 1 or 2 (found 3, -1)"),
        ("a,1,5,maybe\n", "column 'event', row 1: is not an event code (found 'maybe')"),
        (
            "a,maybe,5,1\n",
            "column 'closure', row 1: is not a yes/no value (found 'maybe'). Fix: use 1/0, yes/no or true/false",
        ),
        ("a,,5,1\n", "column 'closure', row 1: is empty"),
        ("a,1,5,1\na,0,6,0\n", "column 'patient_id', rows 1, 2: patient id appears more than once"),
        (",1,5,1\n", "column 'patient_id', row 1: patient id is empty"),
    ],
)
def test_cohort_rules(tmp_path, body, expected):
    err = cohort_error(tmp_path, body)
    assert err.source == "cohort.csv"
    assert expected in str(err), str(err)


def test_problem_list_is_complete_and_rows_not_double_reported(tmp_path):
    err = cohort_error(tmp_path, "a,maybe,0,1\na,1,abc,7\n")
    assert str(err).startswith("cohort.csv: 5 problems, nothing was loaded:\n  - column")
    described = {(p.column, p.rows, p.message) for p in err.problems}
    assert described == {
        ("closure", (1,), "is not a yes/no value"),
        ("time", (2,), "is not a number"),
        ("time", (1,), "is 0 or negative"),
        ("patient_id", (1, 2), "patient id appears more than once"),
        ("event", (2,), "is not 0, 1 or 2"),
    }


def test_row_list_is_capped_with_a_count(tmp_path):
    body = "".join(f"p{i},1,-1,0\n" for i in range(25))
    err = cohort_error(tmp_path, body)
    assert "rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more: is 0 or negative" in str(err)


def test_columns_given_as_a_file_name_say_how_to_pass_the_mapping(tmp_path):
    """The command line's --columns takes a JSON file; columns= in Python takes the
    mapping itself: a file name there is refused with the fix, before anything is read
    as a mapping of its letters."""
    path = tmp_path / "c.csv"
    path.write_text("patient_id,closure,time,event\na,1,5,1\n")
    for wrong in ("cols.json", ["time"]):
        with pytest.raises(DataError) as err:
            load_cohort(path, columns=wrong)
        assert "columns= must map their column names to canonical ones" in str(err.value)
        assert "columns=json.load(open(path))" in str(err.value)


def test_missing_required_column_suggests_a_near_name(tmp_path):
    err = cohort_error(tmp_path, "a,1,5,1\n", header="patient_id,closure,tiem,event\n")
    assert "column 'time': required column is missing" in str(err)
    assert "did you mean 'tiem'? Pass columns={'tiem': 'time'}" in str(err)


def test_mapped_column_is_named_as_the_user_knows_it(tmp_path):
    err = cohort_error(
        tmp_path, "a,1,-5,1\n", header="patient_id,closure,fu,event\n", columns={"fu": "time"}
    )
    assert "column 'fu' (mapped to 'time'), row 1: is 0 or negative" in str(err)


def test_mapping_of_a_column_that_is_not_there(tmp_path):
    err = cohort_error(tmp_path, "a,1,5,1\n", columns={"months": "time"})
    assert "columns= maps 'months' → 'time', but there is no column 'months'" in str(err)


def test_one_column_header_hints_at_the_delimiter(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("patient_id:closure:time:event\na:1:5:1\n")
    with pytest.raises(DataError, match="required column is missing"):
        load_cohort(path)


def test_empty_tables(tmp_path):
    assert "has a header but no patient rows" in str(cohort_error(tmp_path, ""))
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match=r"empty.csv: is empty \(no header, no rows\)"):
        load_cohort(path)
    with pytest.raises(DataError, match="has a header but no patient rows"):
        load_cohort(pd.DataFrame(columns=["patient_id", "closure", "time", "event"]))


def test_duplicated_header_names(tmp_path):
    err = cohort_error(tmp_path, "a,1,5,1,2\n", header="patient_id,closure,time,event,time\n")
    assert "has duplicated column names: 'time' (columns 3, 5)" in str(err)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "A,5,4,1,10\n",
            "column 'events_closure', row 1: more events than patients (events_closure > total_closure)",
        ),
        ("A,-1,4,1,10\n", "column 'events_closure', row 1: is negative"),
        ("A,1.5,4,1,10\n", "column 'events_closure', row 1: is not a whole number (found '1.5')"),
        ("A,,,,\n", "row 1: a study with neither arm"),
        (
            "A,1,10,1,10\nA,2,10,1,10\n",
            "column 'study', rows 1, 2: study label appears more than once",
        ),
        ("A,1,,1,10\n", "the closure arm has events without patients or patients without events"),
        ("A,1,0,1,10\n", "column 'total_closure', row 1: is 0 patients"),
        ("A,x,10,1,10\n", "column 'events_closure', row 1: is not a number (found 'x')"),
    ],
)
def test_study_rules(tmp_path, body, expected):
    err = study_error(tmp_path, body)
    assert err.source == "studies.csv"
    assert expected in str(err), str(err)


def test_study_table_without_arm_columns(tmp_path):
    err = study_error(tmp_path, "A,2020\n", header="study,year\n")
    assert "has no arm columns" in str(err)


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)
