"""The gallery's second part: exports as registries and spreadsheets make them (title
rows, labels, numbers with "n/a", R's event codes, hidden rows), each with the message
it must get or what it must load as. Run with the first part by test_gallery.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .cases import GOOD, HEADER, STUDY_HEADER, Case, cohort_csv, studies_csv, text


def _nodes(cell: str):
    rows = [(*r, str(i)) for i, r in enumerate(GOOD)] + [("P9", "1", "8", "0", cell)]
    return cohort_csv(rows, header=HEADER + ",nodes")


def _xlsx(name: str, rows: list[list], hide: tuple[int, ...] = ()):
    def make(tmp: Path) -> Path:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        for row in rows:
            ws.append(row)
        for r in hide:
            ws.row_dimensions[r].hidden = True
        wb.save(tmp / name)
        return tmp / name

    return make


def _with_time_left(left: str, event: str = "1"):
    return cohort_csv(
        [("P1", "1", "12", event, left), ("P2", "0", "30", "0", "")],
        header=HEADER + ",time_left",
    )


def _loads_nodes(frame: pd.DataFrame) -> bool:
    return frame["nodes"].dtype == "int64" and frame["nodes"].tolist() == [0, 1, 2]


CASES: list[Case] = [
    Case(
        "title-row-csv",
        text("export.csv", "Registry export 2024\n\n" + HEADER + "\nP1,1,12,1\nP2,0,30,0\n"),
        (
            "export.csv: row 1 looks like a title ('Registry export 2024'), not column names. "
            "Fix: say which row holds the column names: header_row=3 (--header-row 3)",
        ),
    ),
    Case(
        "title-row-xlsx",
        _xlsx("export.xlsx", [["Registry export"], [], HEADER.split(","), ["P1", 1, 12, 1]]),
        ("export.xlsx: row 1 looks like a title ('Registry export')", "header_row=3"),
    ),
    Case(
        "title-row-given",
        text("export.csv", "Registry export 2024\n\n" + HEADER + "\nP1,1,12,1\nP2,0,30,0\n"),
        loads=True,
        check=lambda f: f["time"].tolist() == [12.0, 30.0],
        kwargs={"header_row": 3},
    ),
    Case(
        "header-row-past-the-end",
        cohort_csv(GOOD),
        ("cohort.csv: header_row=99: that row is past the end",),
        kwargs={"header_row": 99},
        cli=False,
    ),
    Case(
        "numbers-with-na-text",
        _nodes("n/a"),
        (
            "cohort.csv",
            "column 'nodes', row 4: holds numbers and cells that are not numbers (found 'n/a')",
            "values={'nodes': {'n/a': None}}",
        ),
    ),
    Case(
        "numbers-with-less-than",
        _nodes("<5"),
        ("column 'nodes', row 4: holds numbers and cells that are not numbers (found '<5')",),
    ),
    Case(
        "numbers-with-nan-text",
        _nodes("NaN"),
        ("column 'nodes', row 4: holds numbers and cells that are not numbers (found 'NaN')",),
    ),
    Case(
        "covariate-infinite",
        _nodes("inf"),
        ("column 'nodes', row 4: holds numbers and cells that are not numbers (found 'inf')",),
    ),
    Case(
        "age-infinite",
        cohort_csv([(*r, "50") for r in GOOD] + [("P9", "1", "8", "0", "-inf")], HEADER + ",age"),
        ("column 'age', row 4: is not finite (infinite)",),
    ),
    Case(
        "numbers-load-as-numbers",
        cohort_csv([(*r, str(i)) for i, r in enumerate(GOOD)], header=HEADER + ",nodes"),
        loads=True,
        check=_loads_nodes,
    ),
    Case(
        "r-style-event-codes",
        cohort_csv([("P1", "1", "12", "1"), ("P2", "0", "30", "2"), ("P3", "1", "6", "2")]),
        (
            "cohort.csv",
            "column 'event', rows 1, 2, 3: has codes 1 and 2 only (nobody censored)",
            "values={'event': {1: 0, 2: 1}}",
        ),
    ),
    Case(
        "event-labels-recoded",
        cohort_csv([("P1", "1", "12", "recurrence"), ("P2", "0", "30", "9")]),
        loads=True,
        check=lambda f: f["event"].tolist() == [1, 0],
        kwargs={"values": {"event": {"recurrence": 1, "9": 0}}},
    ),
    Case(
        "closure-labels-recoded",
        cohort_csv([("P1", "Barricaid", "12", "1"), ("P2", "None", "30", "0")]),
        loads=True,
        check=lambda f: f["closure"].tolist() == [True, False],
        kwargs={"values": {"closure": {"Barricaid": True}}},
    ),
    Case(
        "closure-labels-unknown",
        cohort_csv([("P1", "Closure", "12", "1"), ("P2", "Standard", "30", "0")]),
        (
            "column 'closure', row 2: is not a yes/no value (found 'Standard')",
            "values={'closure': {'Closure': True, 'Standard': False}}",
        ),
    ),
    Case(
        "days-with-time-unit",
        cohort_csv([("P1", "1", "365.25", "1"), ("P2", "0", "730.5", "0")]),
        loads=True,
        check=lambda f: f["time"].round(9).tolist() == [12.0, 24.0],
        kwargs={"time_unit": "days"},
    ),
    Case(
        "time-unit-unknown",
        cohort_csv(GOOD),
        ("cohort.csv: time_unit must be one of ['days', 'weeks', 'months', 'years']",),
        kwargs={"time_unit": "fortnight"},
        cli=False,
    ),
    Case(
        "excel-duplicated-header",
        _xlsx("cohort.xlsx", [[*HEADER.split(","), "age", "age"], ["P1", 1, 12, 1, 50, 51]]),
        ("cohort.xlsx: has duplicated column names: 'age' (columns 5, 6)",),
    ),
    Case(
        "excel-hidden-rows",
        _xlsx("cohort.xlsx", [HEADER.split(","), *[list(r) for r in GOOD]], hide=(3,)),
        loads=True,
        check=lambda f: len(f) == 3,
        warns=r"row 2 \(counted below the header\) are hidden in Excel",
    ),
    Case(
        "excel-numbers-as-text",
        _xlsx("cohort.xlsx", [HEADER.split(","), ["P1", "1", "12.5", "1"], ["P2", 0, 30, 0]]),
        loads=True,
        check=lambda f: f["time"].tolist() == [12.5, 30.0],
    ),
    Case(
        "time-left-negative",
        _with_time_left("-1"),
        ("column 'time_left', row 1: is negative",),
    ),
    Case(
        "time-left-not-before-time",
        _with_time_left("12"),
        ("column 'time_left', row 1: is not before time",),
    ),
    Case(
        "time-left-without-event",
        _with_time_left("6", event="0"),
        ("column 'time_left', row 1: is given for a patient without a reherniation",),
    ),
    Case(
        "studies-trial-yes-no",
        studies_csv(
            [("A", "1", "10", "2", "10", "yes"), ("B", "1", "10", "3", "10", "no")],
            header=STUDY_HEADER + ",trial",
        ),
        ("studies.csv", "column 'trial', rows 1, 2: holds yes/no values, not trial labels"),
        table="studies",
    ),
    Case(
        "studies-title-row",
        text("studies.csv", "Table 2\n" + STUDY_HEADER + "\nA,1,10,2,10\n"),
        ("studies.csv: row 1 looks like a title ('Table 2')", "header_row=2"),
        table="studies",
    ),
    Case(
        "missing-id-by-meaning",
        cohort_csv(GOOD, header="Pat-ID,closure,time,event"),
        ("did you mean 'Pat-ID'? Pass columns={'Pat-ID': 'patient_id'}",),
    ),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


# ---- files that would block, loop or lie ------------------------------------------------


def _fifo(tmp: Path) -> Path:
    import os

    path = tmp / "cohort.csv"
    os.mkfifo(path)
    return path


def _link_loop(tmp: Path) -> Path:
    a, b = tmp / "a.csv", tmp / "cohort.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    return b


def _utf16(tmp: Path) -> Path:
    path = tmp / "cohort.csv"
    path.write_bytes((HEADER + "\nP1,1,12,1\n").encode("utf-16"))
    return path


def _pipe(tmp: Path) -> Path:
    import os

    read, write = os.pipe()
    os.write(write, (HEADER + "\nP1,1,12,1\n").encode())
    os.close(write)
    return Path(f"/proc/self/fd/{read}")


CASES += [
    Case(
        "fifo",
        _fifo,
        ("cohort.csv: is a pipe (FIFO), not a file: it cannot be read twice, or may never end",),
    ),
    Case("pipe", _pipe, ("is a pipe (FIFO), not a file",), cli=False),
    Case(
        "symlink-loop",
        _link_loop,
        ("cohort.csv: is a symbolic link that leads back to itself (a loop)",),
    ),
    Case(
        "utf16",
        _utf16,
        (
            'cohort.csv: is UTF-16 text (as Excel\'s "Unicode text" export writes it)',
            "save it as UTF-8",
        ),
    ),
    Case(
        "device",
        lambda tmp: Path("/dev/null"),
        ("null: is not a regular file (a device?)",),
    ),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"

CASES.append(
    Case(
        "studies-rob-label",
        studies_csv(
            [("A", "1", "10", "2", "10", "low"), ("B", "1", "10", "3", "10", "probably fine")],
            header=STUDY_HEADER + ",rob",
        ),
        ("studies.csv", "column 'rob', row 2: is not a risk-of-bias judgement"),
        table="studies",
    )
)
