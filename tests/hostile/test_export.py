"""Exports neutralize formula injection and are written whole or not at all."""

from __future__ import annotations

import pandas as pd
import pytest

from recurrence._io import atomic_write
from recurrence.export import to_csv, to_excel


def test_csv_cells_that_would_run_as_formulas_are_neutralized(tmp_path):
    frame = pd.DataFrame(
        {
            "study": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "ok"],
            "value": [1.0, -2.0, 3.0, 4.0, 5.0],
        }
    )
    to_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["study"].tolist() == ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "ok"]
    assert back["value"].tolist() == [1.0, -2.0, 3.0, 4.0, 5.0]  # numbers untouched


def test_excel_export_is_neutralized(tmp_path):
    to_excel(pd.DataFrame({"=bad": ["=1+1"]}), tmp_path / "t.xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert ws["A1"].value == "'=bad" and ws["A2"].value == "'=1+1"
    assert ws["A2"].data_type == "s"


def test_an_interrupted_write_leaves_the_old_file_and_no_part(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(target, "wb") as fh:
        fh.write(b"half of the new")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    target = tmp_path / "out.csv"
    to_csv(pd.DataFrame({"a": [1]}), target)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
