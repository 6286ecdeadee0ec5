"""A wide CSV file is read by pyarrow into one block of text (``recurrence/_wide.py``);
every other file by pandas. Both must give the same cohort, cell for cell, and the same
error: here each awkward file is loaded both ways (the wide path forced on by lowering
its threshold to one column, or off by raising it) and the results compared."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest

import recurrence
import recurrence._io as io
from recurrence import DataError

HEADER = "patient_id,closure,time,event"
FILES = {
    "plain": f"{HEADER},age,site\nP1,1,12.5,0,40,A\nP2,0,3,1,,B\nP3,yes,24,2,61,\n",
    "quoted, a line break in a cell": (
        f'{HEADER},note\nP1,1,12,0,"two\nlines"\nP2,0,3,1,"comma, inside"\n'
    ),
    "NA and blank cells, spaces": f"{HEADER},x\nP1,1, 12 ,0,NA\nP2,0,3,1,  \nP3,1,4,0,7\n",
    "codes with leading zeros": f"{HEADER},code\nP1,1,12,0,007\nP2,0,3,1,012\n",
    "decimal commas, semicolons": (
        "patient_id;closure;time;event;bmi\nP1;1;12,5;0;24,1\nP2;0;3;1;31\n"
    ),
    "numbers with a few odd cells": f"{HEADER},score\nP1,1,12,0,4\nP2,0,3,1,n/a\n"
    + "".join(f"P{i},1,5,0,{i}\n" for i in range(3, 30)),
    "blank lines between rows": f"{HEADER},age\n\nP1,1,12,0,40\n\nP2,0,3,1,50\n",
    "a title row above the header": f"Registry export 2024\n\n{HEADER},age\nP1,1,12,0,40\n",
}


def _load(path, wide: bool, monkeypatch, taken: list | None = None, **options):
    """The cohort (or the error's text), read with the wide path forced on or off;
    ``taken`` records, for each read, whether pyarrow's reader gave the cells."""
    monkeypatch.setattr(io, "WIDE_COLUMNS", 1 if wide else 10**9)
    reader = io.read_wide_csv

    def spy(*args, **kwargs):
        frame = reader(*args, **kwargs)
        if taken is not None:
            taken.append(frame is not None)
        return frame

    monkeypatch.setattr(io, "read_wide_csv", spy)
    try:
        return recurrence.load_cohort(path, **options)
    except DataError as exc:
        return str(exc)
    finally:
        monkeypatch.setattr(io, "read_wide_csv", reader)


@pytest.mark.parametrize("name", list(FILES))
def test_an_awkward_file_loads_the_same_read_either_way(name, tmp_path, monkeypatch):
    path = tmp_path / "cohort.csv"
    encoding = "cp1252" if "semicolons" in name else "utf-8"
    path.write_text(FILES[name], encoding=encoding)
    options = {"header_row": 3} if "title" in name else {}
    with _quiet():
        by_pandas = _load(path, False, monkeypatch, **options)
        taken: list[bool] = []
        by_arrow = _load(path, True, monkeypatch, taken, **options)
    assert taken == [True]  # pyarrow read it: the comparison is not pandas against pandas
    if isinstance(by_pandas, str):
        assert by_arrow == by_pandas
    else:
        pd.testing.assert_frame_equal(by_arrow, by_pandas)
        assert by_arrow.attrs == by_pandas.attrs


def test_a_short_row_is_left_to_pandas_which_reads_it_as_empty_cells(tmp_path, monkeypatch):
    # pyarrow refuses a row with fewer cells than the header; pandas fills them in
    path = tmp_path / "cohort.csv"
    path.write_text(f"{HEADER},age,site\nP1,1,12,0,40,A\nP2,0,3,1\n")
    taken: list[bool] = []
    with _quiet():
        out = _load(path, True, monkeypatch, taken)
    assert taken == [False]
    assert out["age"].isna().tolist() == [False, True] and out["site"].tolist()[0] == "A"


def test_a_wide_export_keeps_every_type_and_problem(tmp_path, monkeypatch):
    # 400 columns: the wide path by default. Integers, integers with blanks, floats, text,
    # codes with leading zeros, and a column of numbers with an "n/a" (a problem).
    rng = np.random.default_rng(5)
    n = 40
    base = recurrence.simulate_cohort(n, seed=5)[["patient_id", "closure", "time", "event"]]
    cols = {f"q{j}": rng.integers(0, 4, n).astype(str) for j in range(396)}
    cols["q1"][3] = ""
    cols["q2"] = np.round(rng.normal(size=n), 3).astype(str)
    cols["q3"] = rng.choice(["none", "mild", "severe"], n)
    cols["q4"] = np.array([f"{v:03d}" for v in rng.integers(0, 50, n)])
    frame = pd.concat([base, pd.DataFrame(cols)], axis=1)
    path = tmp_path / "redcap.csv"
    frame.to_csv(path, index=False)
    assert frame.shape[1] >= io.WIDE_COLUMNS
    with pytest.warns(recurrence.DataWarning, match=r"missing covariate values \(q1 1 row\)"):
        out = recurrence.load_cohort(path)
    assert str(out["q0"].dtype) == "int64" and str(out["q1"].dtype) == "Int64"
    assert out["q1"].isna().sum() == 1 and out["q2"].dtype == "float64"
    assert out["q3"].dtype == object and out["q4"].tolist() == list(cols["q4"])
    with _quiet():
        pd.testing.assert_frame_equal(out, _load(path, False, monkeypatch))
    cols["q5"][7] = "n/a"
    pd.concat([base, pd.DataFrame(cols)], axis=1).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"column 'q5', row 8"):
        recurrence.load_cohort(path)


@contextlib.contextmanager
def _quiet():
    """Missing-value warnings aside (both paths give them; this compares the frames)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", recurrence.DataWarning)
        yield
