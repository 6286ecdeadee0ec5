"""Any command line, any file: the command ends with exit 0 and whole outputs, or with
exit 2, a short error (a heading line, one problem per line, none over 200 characters,
no traceback) and nothing written; the inputs are never changed.

Driven by hypothesis (derandomized, as the other property tests) over the commands, the
kinds of input file (good, bad, empty, UTF-16, a folder, a FIFO, missing, an .xlsx) and
of output (new, an existing folder, a FIFO, a device, the input itself), and the reading
and reporting options."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import recurrence
from recurrence.cli import main

GOOD = recurrence.simulate_cohort(60, seed=12)
INPUT_KINDS = ("good", "bad", "empty", "utf16", "folder", "fifo", "missing", "xlsx", "title")
OUTPUT_KINDS = ("new.pdf", "new.html", "folder", "fifo", "device", "input")


def _make_input(folder: Path, kind: str) -> Path:
    path = folder / ("cohort.xlsx" if kind == "xlsx" else "cohort.csv")
    if kind == "good":
        GOOD.to_csv(path, index=False)
    elif kind == "bad":
        GOOD.assign(time=GOOD["time"].where(GOOD.index != 3, -1)).to_csv(path, index=False)
    elif kind == "empty":
        path.write_text("")
    elif kind == "utf16":
        path.write_bytes(GOOD.to_csv(index=False).encode("utf-16"))
    elif kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "xlsx":
        GOOD.to_excel(path, index=False)
    elif kind == "title":
        path.write_text("Registry export\n\n" + GOOD.to_csv(index=False))
    return path


def _make_output(folder: Path, kind: str, source: Path) -> Path:
    if kind == "folder":
        (folder / "out").mkdir()
        return folder / "out"
    if kind == "fifo":
        os.mkfifo(folder / "out.pdf")
        return folder / "out.pdf"
    if kind == "device":
        return Path("/dev/null")
    if kind == "input":
        return source
    return folder / kind


def _snapshot(folder: Path) -> dict:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[p.relative_to(folder)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[p.relative_to(folder)] = None
    return out


def _whole(path: Path) -> bool:
    data = path.read_bytes()
    if path.suffix == ".pdf":
        return data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
    return data.rstrip().endswith(b"</html>")


@settings(
    max_examples=24,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(["describe", "report"]),
    source=st.sampled_from(INPUT_KINDS),
    target=st.sampled_from(OUTPUT_KINDS),
    min_cell=st.sampled_from([None, 1, 5]),
    header_row=st.sampled_from([None, 1, 3, 99]),
    time_unit=st.sampled_from([None, "days", "months"]),
    tables=st.booleans(),
)
def test_every_command_line_ends_cleanly(
    command, source, target, min_cell, header_row, time_unit, tables
):
    folder = Path(tempfile.mkdtemp(prefix="recurrence-cli-"))
    try:
        path = _make_input(folder, source)
        args = [command, "--cohort", str(path)]
        if header_row is not None:
            args += ["--header-row", str(header_row)]
        if time_unit is not None:
            args += ["--time-unit", time_unit]
        if command == "report":
            out = _make_output(folder, target, path)
            args += ["--out", str(out)]
            if min_cell is not None:
                args += ["--min-cell", str(min_cell)]
            if tables:
                args += ["--tables", str(folder / "tables")]
        before = _snapshot(folder)
        result = CliRunner().invoke(main, args, catch_exceptions=True)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.exception,
        )
        assert result.exit_code in (0, 2), (args, result.output)
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert lines[0].startswith("recurrence: error: "), (args, lines)
            assert all(len(line) <= 200 for line in lines), args
            assert _snapshot(folder) == before, ("something was written", args)
        elif command == "report":
            written = out if out.suffix in (".pdf", ".html") else None
            assert written is not None and _whole(written), args
            if tables:
                assert sorted(p.name for p in (folder / "tables").iterdir())
        if path.is_file():
            assert before[path.relative_to(folder)] == _snapshot(folder).get(
                path.relative_to(folder)
            ), "the input changed"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
