"""The gallery of hostile inputs: each case builds a bad (or awkward) input and states
the error it must get, or what it must load as.

A case's ``make(tmp_path)`` returns a path (or a DataFrame). ``expect`` lists the
fragments the :class:`~recurrence.DataError` message must contain: always the file
name, and the column and rows where there are some. ``loads`` cases are awkward inputs
that must load correctly (``check`` holds the loaded frame to the expected values).
The README's "Errors you may see" section quotes cases of this gallery verbatim
(``tests/hostile/test_gallery.py`` checks that).
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

HEADER = "patient_id,closure,time,event"
GOOD = [("P1", "1", "12.5", "1"), ("P2", "0", "30", "0"), ("P3", "1", "6", "2")]
STUDY_HEADER = "study,events_closure,total_closure,events_control,total_control"


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Path], object]
    expect: tuple[str, ...] = ()
    table: str = "cohort"
    loads: bool = False
    check: Callable[[pd.DataFrame], bool] | None = None
    cli: bool = True
    warns: str | None = None
    kwargs: dict = field(default_factory=dict)


def text(name: str, content: str, encoding: str = "utf-8"):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content.encode(encoding))
        return path

    return make


def raw(name: str, content: bytes):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content)
        return path

    return make


def cohort_csv(rows, header: str = HEADER, name: str = "cohort.csv", sep: str = ",", newline="\n"):
    lines = [header.replace(",", sep)] + [sep.join(r) for r in rows]
    return text(name, newline.join(lines) + newline)


def with_row(row, at: int = 1):
    rows = list(GOOD)
    rows.insert(at, row)
    return rows


def studies_csv(rows, header: str = STUDY_HEADER, name: str = "studies.csv"):
    return text(name, "\n".join([header, *(",".join(r) for r in rows)]) + "\n")


def excel(name: str, sheets: dict[str, pd.DataFrame], post: Callable | None = None):
    def make(tmp: Path) -> Path:
        path = tmp / name
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for sheet, frame in sheets.items():
                frame.to_excel(writer, sheet_name=sheet, index=False)
        if post:
            import openpyxl

            wb = openpyxl.load_workbook(path)
            post(wb.active)
            wb.save(path)
        return path

    return make


def good_frame() -> pd.DataFrame:
    return pd.DataFrame(GOOD, columns=HEADER.split(","))


def merge_cells(ws) -> None:
    ws.merge_cells("B2:B3")  # closure of rows 1-2 merged: row 2 reads as empty


def formula_cells(ws) -> None:
    ws["C2"] = "=A1*2"  # never computed: openpyxl stores no cached value


def pickle_bomb(tmp: Path) -> Path:
    class Bomb:
        def __reduce__(self):
            return (Path.touch, (tmp / "UNPICKLED",))

    path = tmp / "cohort.pkl"
    path.write_bytes(pickle.dumps(Bomb()))
    return path


def zipped(name: str):
    def make(tmp: Path) -> Path:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("cohort.csv", HEADER + "\nP1,1,12,1\n")
        path = tmp / name
        path.write_bytes(buf.getvalue())
        return path

    return make


def sparse_200mb(tmp: Path) -> Path:
    """A 200 MB export cut short and padded with zero bytes (a sparse file: cheap)."""
    path = tmp / "export.csv"
    with open(path, "wb") as fh:
        fh.write((HEADER + "\nP1,1,12,1\n").encode())
        fh.truncate(200 * 1024 * 1024)
    return path


def directory(tmp: Path) -> Path:
    (tmp / "folder.csv").mkdir()
    return tmp / "folder.csv"


def frame(df_fn):
    return lambda tmp: df_fn()


def values(col, expected):
    return lambda df: df[col].tolist() == expected


CASES: list[Case] = [
    # ---- files that are not tables --------------------------------------------------
    Case("empty-file", text("cohort.csv", ""), ("cohort.csv: is empty (no header, no rows)",)),
    Case("blank-lines-only", text("cohort.csv", "\n\n  \n"), ("cohort.csv: is empty",)),
    Case(
        "header-only",
        text("cohort.csv", HEADER + "\n"),
        ("cohort.csv: has a header but no patient rows",),
    ),
    Case(
        "binary",
        raw("cohort.csv", bytes(range(256)) * 40),
        ("cohort.csv: is not a text table (it contains binary data)",),
    ),
    Case(
        "200-mb-padded-export",
        sparse_200mb,
        ("export.csv: is not a text table (it contains binary data)",),
    ),
    Case(
        "json-extension",
        text("cohort.json", '[{"patient_id": "P1"}]'),
        ("cohort.json: is JSON, which is not read",),
    ),
    Case(
        "json-in-csv",
        text("cohort.csv", '{"patient_id": ["P1"]}'),
        ("cohort.csv: looks like JSON, not a table",),
    ),
    Case("zip-archive", zipped("cohort.zip"), ("cohort.zip: is a zip archive, which is not read",)),
    Case(
        "zip-renamed-csv",
        zipped("cohort.csv"),
        ("cohort.csv: is a zip archive or an Excel file with the wrong extension",),
    ),
    Case(
        "pickle-never-unpickled",
        pickle_bomb,
        ("cohort.pkl: is a Python pickle: never loaded, because unpickling can run code",),
    ),
    Case(
        "old-excel",
        raw("cohort.xls", b"\xd0\xcf\x11\xe0" + bytes(100)),
        ("cohort.xls: is an old Excel 97-2003 file, which is not read",),
    ),
    Case(
        "spss",
        raw("cohort.sav", b"$FL2" + bytes(50)),
        ("cohort.sav: is an SPSS file, which is not read",),
    ),
    Case(
        "unknown-extension",
        text("cohort.dat", HEADER),
        ("cohort.dat: has an unknown file type '.dat'",),
    ),
    Case(
        "corrupt-xlsx",
        raw("cohort.xlsx", b"PK\x03\x04not really a workbook"),
        ("cohort.xlsx: cannot be read as an Excel workbook",),
    ),
    Case(
        "corrupt-parquet",
        raw("cohort.parquet", b"PAR1garbage"),
        ("cohort.parquet: cannot be read as Parquet",),
    ),
    Case("does-not-exist", lambda tmp: tmp / "missing.csv", ("missing.csv: file not found",)),
    Case("directory", directory, ("folder.csv: is a directory, not a file",)),
    # ---- structure ------------------------------------------------------------------
    Case(
        "wrong-delimiter",
        cohort_csv(GOOD, sep=":"),
        (
            "cohort.csv",
            "column 'time': required column is missing",
            "the whole header 'patient_id:closure:time:event' was read as one column",
        ),
    ),
    Case(
        "no-header-row",
        text("cohort.csv", "P1,1,12.5,1\nP2,0,30,0\n"),
        ("cohort.csv: the first row looks like data, not column names",),
    ),
    Case(
        "duplicated-header",
        cohort_csv([("P1", "1", "5", "1", "3")], header=HEADER + ",time"),
        ("cohort.csv: has duplicated column names: 'time' (columns 3, 5)",),
    ),
    Case(
        "missing-column",
        cohort_csv([r[:3] for r in GOOD], header="patient_id,closure,time"),
        (
            "cohort.csv",
            "column 'event': required column is missing",
        ),
    ),
    Case(
        "near-miss-name",
        cohort_csv(GOOD, header="patient_id,closure,tiem,event"),
        (
            "cohort.csv",
            "column 'time': required column is missing",
            "did you mean 'tiem'? Pass columns={'tiem': 'time'}",
        ),
    ),
    Case(
        "ragged-rows",
        text("cohort.csv", HEADER + "\nP1,1,5,1\nP2,0,6,0,extra,cells\n"),
        ("cohort.csv: cannot be read as a table", "as many cells as the header"),
    ),
    Case(
        "mapping-to-missing-column",
        cohort_csv(GOOD),
        ("cohort.csv", "columns= maps 'months' → 'time', but there is no column 'months'"),
        kwargs={"columns": {"months": "time"}},
        cli=False,
    ),
    Case(
        "two-columns-mapped-to-one",
        cohort_csv([r + ("9",) for r in GOOD], header=HEADER + ",fu"),
        ("cohort.csv", "several columns become 'time'"),
        kwargs={"columns": {"fu": "time"}},
        cli=False,
    ),
    # ---- encodings and line endings: must load, values intact ------------------------
    Case(
        "utf8-bom",
        text("cohort.csv", HEADER + "\nPé,1,12.5,1\n", "utf-8-sig"),
        loads=True,
        check=values("patient_id", ["Pé"]),
    ),
    Case(
        "latin-1",
        text("cohort.csv", HEADER + "\nPé,1,12.5,1\n", "latin-1"),
        loads=True,
        check=values("patient_id", ["Pé"]),
    ),
    Case(
        "windows-1252",
        text("cohort.csv", HEADER + "\nP–1,1,12.5,1\n", "cp1252"),
        loads=True,
        check=values("patient_id", ["P–1"]),
    ),
    Case(
        "mixed-line-endings",
        text("cohort.csv", HEADER + "\r\nP1,1,12.5,1\nP2,0,30,0\rP3,1,6,2\n"),
        loads=True,
        check=values("time", [12.5, 30.0, 6.0]),
    ),
    Case(
        "semicolon-decimal-comma",
        cohort_csv([("P1", "1", "12,5", "1")], sep=";"),
        loads=True,
        check=values("time", [12.5]),
    ),
    Case(
        "quoted-decimal-comma",
        text("cohort.csv", HEADER + '\nP1,1,"12,5",1\n'),
        loads=True,
        check=values("time", [12.5]),
    ),
    Case(
        "event-yes-no",
        cohort_csv([("P1", "1", "5", "yes"), ("P2", "0", "6", "no")]),
        loads=True,
        check=values("event", [1, 0]),
    ),
    # ---- times ----------------------------------------------------------------------
    Case(
        "time-text",
        cohort_csv(with_row(("P9", "1", "twelve", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is not a number (found 'twelve')",
        ),
    ),
    Case(
        "time-negative",
        cohort_csv(with_row(("P9", "1", "-3", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is 0 or negative (found -3.0)",
        ),
    ),
    Case(
        "time-zero",
        cohort_csv(with_row(("P9", "1", "0", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is 0 or negative (found 0.0)",
        ),
    ),
    Case(
        "time-nan",
        cohort_csv(with_row(("P9", "1", "NaN", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is not a number (found 'NaN')",
        ),
    ),
    Case(
        "time-empty",
        cohort_csv(with_row(("P9", "1", "", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is empty",
        ),
    ),
    Case(
        "time-inf",
        cohort_csv(with_row(("P9", "1", "inf", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is not finite (inf)",
        ),
    ),
    Case(
        "time-absurd",
        cohort_csv(with_row(("P9", "1", "10000", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: is over 1200 months (100 years)",
        ),
    ),
    Case(
        "time-dates",
        cohort_csv(with_row(("P9", "1", "2021-03-04", "1"))),
        (
            "cohort.csv",
            "column 'time', row 2: holds dates, not months (found '2021-03-04')",
            "time_from=",
        ),
    ),
    Case(
        "time-in-days",
        cohort_csv([(f"P{i}", "1", str(300 + i), "0") for i in range(5)]),
        loads=True,
        warns="median time is 302 months",
        check=values("event", [0] * 5),
    ),
    Case(
        "bad-dates-for-time-from",
        text("cohort.csv", "patient_id,closure,event,start,end\nP1,1,1,2020-01-01,soon\n"),
        ("cohort.csv", "column 'end', row 1: is not a date (found 'soon')"),
        kwargs={"time_from": ("start", "end")},
        cli=False,
    ),
    # ---- events ---------------------------------------------------------------------
    Case(
        "event-3",
        cohort_csv(with_row(("P9", "1", "5", "3"))),
        (
            "cohort.csv",
            "column 'event', row 2: is not 0, 1 or 2 (found 3)",
        ),
    ),
    Case(
        "event-minus-1",
        cohort_csv(with_row(("P9", "1", "5", "-1"))),
        (
            "cohort.csv",
            "column 'event', row 2: is not 0, 1 or 2 (found -1)",
        ),
    ),
    Case(
        "event-yes-with-competing",
        cohort_csv(with_row(("P9", "1", "5", "yes"))),
        (
            "cohort.csv",
            "column 'event', row 2: yes/no is ambiguous next to the competing-event code 2",
        ),
    ),
    Case(
        "event-word",
        cohort_csv(with_row(("P9", "1", "5", "relapse"))),
        (
            "cohort.csv",
            "column 'event', row 2: is not an event code (found 'relapse')",
        ),
    ),
    Case(
        "event-fraction",
        cohort_csv(with_row(("P9", "1", "5", "1.5"))),
        (
            "cohort.csv",
            "column 'event', row 2: is not an event code (found '1.5')",
        ),
    ),
    Case(
        "event-empty",
        cohort_csv(with_row(("P9", "1", "5", ""))),
        (
            "cohort.csv",
            "column 'event', row 2: is empty",
        ),
    ),
    # ---- closure, ids, covariates ---------------------------------------------------
    Case(
        "closure-maybe",
        cohort_csv(with_row(("P9", "maybe", "5", "1"))),
        (
            "cohort.csv",
            "column 'closure', row 2: is not a yes/no value (found 'maybe')",
        ),
    ),
    Case(
        "closure-2",
        cohort_csv(with_row(("P9", "2", "5", "1"))),
        (
            "cohort.csv",
            "column 'closure', row 2: is not a yes/no value (found '2')",
        ),
    ),
    Case(
        "closure-empty",
        cohort_csv(with_row(("P9", "", "5", "1"))),
        (
            "cohort.csv",
            "column 'closure', row 2: is empty",
        ),
    ),
    Case(
        "duplicate-ids",
        cohort_csv(with_row(("P1", "1", "5", "1"))),
        (
            "cohort.csv",
            "column 'patient_id', rows 1, 2: patient id appears more than once",
        ),
    ),
    Case(
        "empty-id",
        cohort_csv(with_row(("", "1", "5", "1"))),
        (
            "cohort.csv",
            "column 'patient_id', row 2: patient id is empty",
        ),
    ),
    Case(
        "age-text",
        cohort_csv(
            [r + ("forty",) for r in GOOD[:1]] + [r + ("50",) for r in GOOD[1:]],
            header=HEADER + ",age",
        ),
        (
            "cohort.csv",
            "column 'age', row 1: is not a number (found 'forty')",
        ),
    ),
    Case(
        "age-negative",
        cohort_csv([r + ("-40",) for r in GOOD], header=HEADER + ",age"),
        (
            "cohort.csv",
            "column 'age', rows 1, 2, 3: is negative",
        ),
    ),
    Case(
        "smoker-sometimes",
        cohort_csv([r + ("sometimes",) for r in GOOD], header=HEADER + ",smoker"),
        (
            "cohort.csv",
            "column 'smoker', rows 1, 2, 3: is not a yes/no value",
        ),
    ),
    Case(
        "many-bad-rows",
        cohort_csv([(f"P{i}", "1", "-1", "0") for i in range(25)]),
        (
            "cohort.csv",
            "rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more: is 0 or negative",
        ),
    ),
    Case(
        "every-problem-at-once",
        cohort_csv([("P1", "maybe", "0", "7"), ("P1", "1", "x", "1")]),
        (
            "cohort.csv: 5 problems, nothing was loaded",
            "column 'closure', row 1",
            "column 'time', row 2: is not a number",
            "column 'time', row 1: is 0 or negative",
            "column 'patient_id', rows 1, 2",
            "column 'event', row 1: is not 0, 1 or 2",
        ),
    ),
    # ---- Excel ----------------------------------------------------------------------
    Case(
        "excel-several-sheets",
        excel("cohort.xlsx", {"cohort": good_frame(), "notes": good_frame()}),
        ("cohort.xlsx: has 2 sheets with data: ['cohort', 'notes']", "sheet="),
    ),
    Case(
        "excel-merged-cells",
        excel("cohort.xlsx", {"cohort": good_frame()}, post=merge_cells),
        ("cohort.xlsx", "column 'closure', row 2: is empty"),
    ),
    Case(
        "excel-uncomputed-formulas",
        excel("cohort.xlsx", {"cohort": good_frame()}, post=formula_cells),
        ("cohort.xlsx: has formulas whose values were never computed: C2 '=A1*2'",),
    ),
    Case(
        "excel-missing-sheet",
        excel("cohort.xlsx", {"cohort": good_frame()}),
        ("cohort.xlsx: has no sheet 'data'; its sheets are ['cohort']",),
        kwargs={"sheet": "data"},
        cli=False,
    ),
    # ---- DataFrames -----------------------------------------------------------------
    Case(
        "dataframe-bad-time",
        frame(lambda: good_frame().assign(time=["1", "-1", "x"])),
        (
            "DataFrame",
            "column 'time', row 2: is 0 or negative",
            "column 'time', row 3: is not a number",
        ),
        cli=False,
    ),
    Case(
        "not-a-table",
        lambda tmp: [1, 2, 3],
        ("expected a file path or a DataFrame, got list",),
        cli=False,
    ),
    # ---- study tables ---------------------------------------------------------------
    Case(
        "studies-events-over-total",
        studies_csv([("A", "5", "4", "1", "10")]),
        ("studies.csv", "column 'events_closure', row 1: more events than patients"),
        table="studies",
    ),
    Case(
        "studies-negative",
        studies_csv([("A", "-1", "4", "1", "10")]),
        ("studies.csv", "column 'events_closure', row 1: is negative"),
        table="studies",
    ),
    Case(
        "studies-fractional",
        studies_csv([("A", "1", "4", "1.5", "10")]),
        ("studies.csv", "column 'events_control', row 1: is not a whole number (found '1.5')"),
        table="studies",
    ),
    Case(
        "studies-no-arms",
        studies_csv([("A", "", "", "", ""), ("B", "1", "10", "", "")]),
        ("studies.csv", "row 1: a study with neither arm"),
        table="studies",
    ),
    Case(
        "studies-duplicate-label",
        studies_csv([("A", "1", "10", "1", "10"), ("A", "2", "10", "1", "9")]),
        ("studies.csv", "column 'study', rows 1, 2: study label appears more than once"),
        table="studies",
    ),
    Case(
        "studies-half-arm",
        studies_csv([("A", "1", "", "1", "10")]),
        ("studies.csv", "the closure arm has events without patients"),
        table="studies",
    ),
    Case(
        "studies-zero-patients",
        studies_csv([("A", "0", "0", "1", "10")]),
        ("studies.csv", "column 'total_closure', row 1: is 0 patients"),
        table="studies",
    ),
    Case(
        "studies-text-count",
        studies_csv([("A", "ten", "40", "1", "10")]),
        ("studies.csv", "column 'events_closure', row 1: is not a number (found 'ten')"),
        table="studies",
    ),
    Case(
        "studies-no-arm-columns",
        studies_csv([("A", "2020")], header="study,year"),
        ("studies.csv: has no arm columns",),
        table="studies",
    ),
    Case(
        "studies-empty-label",
        studies_csv([("", "1", "10", "1", "10")]),
        ("studies.csv", "column 'study', row 1: study label is empty"),
        table="studies",
    ),
    Case(
        "studies-header-only",
        text("studies.csv", STUDY_HEADER + "\n"),
        ("studies.csv: has a header but no study rows",),
        table="studies",
    ),
    Case(
        "studies-missing-label-column",
        studies_csv([("1", "10", "1", "10")], header=STUDY_HEADER[6:]),
        ("studies.csv", "column 'study': required column is missing"),
        table="studies",
    ),
]

#: The permission case needs a non-root user (root reads everything); see test_gallery.
UNREADABLE = Case(
    "no-read-permission",
    text("cohort.csv", HEADER + "\nP1,1,5,1\n"),
    ("cohort.csv: cannot be read (permission denied)",),
)

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
