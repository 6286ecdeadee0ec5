"""Property-based tests of the loaders: any valid table loads to the same values, any
invalid one raises DataError (never another exception), inputs are never mutated."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recurrence import DataError, load_cohort, load_studies
from recurrence.errors import RecurrenceWarning

# Derandomized: CI runs the same examples every time (explore locally with more examples
# by raising max_examples and dropping derandomize).
SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

closure_spellings = st.sampled_from(
    [True, False, 1, 0, "yes", "no", "Y", "n", "TRUE", "false", "1", "0"]
)
valid_rows = st.lists(
    st.tuples(
        closure_spellings,
        st.floats(min_value=0.01, max_value=1200, allow_nan=False),
        st.sampled_from([0, 1, 2, "0", "1", "2", "censored", "reherniation", "competing"]),
    ),
    min_size=1,
    max_size=30,
)


@SETTINGS
@given(valid_rows)
def test_any_valid_cohort_loads_with_its_values(rows):
    raw = pd.DataFrame(rows, columns=["closure", "time", "event"])
    raw.insert(0, "patient_id", [f"id{i}" for i in range(len(raw))])
    before = raw.copy(deep=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load_cohort(raw)
    assert all(issubclass(w.category, RecurrenceWarning) for w in caught), caught
    pdt.assert_frame_equal(raw, before)
    truth = {True: True, "yes": True, "Y": True, "TRUE": True, "1": True}  # 1 == True
    assert frame["closure"].tolist() == [truth.get(v, False) for v in raw["closure"]]
    np.testing.assert_array_equal(frame["time"], raw["time"].astype(float))
    codes = {"censored": 0, "reherniation": 1, "competing": 2}
    assert frame["event"].tolist() == [
        codes.get(v, int(v) if not isinstance(v, str) or v.isdigit() else v) for v in raw["event"]
    ]


any_cell = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 5000),
    st.text(max_size=6),
    st.booleans(),
)


@SETTINGS
@given(st.lists(st.tuples(any_cell, any_cell, any_cell, any_cell), min_size=0, max_size=12))
def test_any_table_loads_or_raises_data_error(rows):
    raw = pd.DataFrame(rows, columns=["patient_id", "closure", "time", "event"], dtype=object)
    before = raw.copy(deep=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecurrenceWarning)  # named warnings are allowed
            frame = load_cohort(raw)
    except DataError as exc:
        assert str(exc).startswith("DataFrame: ")
    else:
        assert (frame["time"] > 0).all() and frame["event"].isin([0, 1, 2]).all()
        assert frame["patient_id"].is_unique and len(frame) == len(raw)
    pdt.assert_frame_equal(raw, before)


@SETTINGS
@given(st.lists(st.tuples(any_cell, any_cell, any_cell, any_cell), min_size=0, max_size=10))
def test_any_study_table_loads_or_raises_data_error(rows):
    raw = pd.DataFrame(
        rows,
        columns=["events_closure", "total_closure", "events_control", "total_control"],
        dtype=object,
    )
    raw.insert(0, "study", [f"S{i}" for i in range(len(raw))])
    before = raw.copy(deep=True)
    try:
        frame = load_studies(raw)
    except DataError:
        pass
    else:
        for arm in ("closure", "control"):
            both = frame[[f"events_{arm}", f"total_{arm}"]].dropna()
            assert (both[f"events_{arm}"] <= both[f"total_{arm}"]).all()
    pdt.assert_frame_equal(raw, before)


@SETTINGS
@given(st.lists(st.text(alphabet="abc,;\t\"'\n=1.-", max_size=40), max_size=6))
def test_any_csv_text_loads_or_raises_data_error(lines):
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "fuzz.csv"
    path.write_text("\n".join(lines))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RecurrenceWarning)  # named warnings are allowed
            load_cohort(path)
    except DataError as exc:
        assert str(exc).startswith("fuzz.csv: ")
