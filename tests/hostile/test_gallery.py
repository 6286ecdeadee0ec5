"""Run the gallery of hostile inputs (tests/hostile/cases.py) through the loaders and
the command line: each gets a DataError naming the file, column and rows (exit status 2
and one line on the command line), never another exception, never a silent drop, and
the input file is never modified."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from recurrence import DataError, load_cohort, load_studies
from recurrence.cli import main
from recurrence.errors import DataWarning

from . import cases_own_data
from .cases import CASES as FIRST
from .cases import UNREADABLE, Case

CASES = FIRST + cases_own_data.CASES

LOADERS = {"cohort": load_cohort, "studies": load_studies}


def _digest(path) -> str | None:
    if isinstance(path, Path) and path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return None


def _load(case: Case, source):
    return LOADERS[case.table](source, **case.kwargs)


def _flags(case: Case) -> list[str]:
    """The case's loader options as command-line flags."""
    flags = []
    for key, value in case.kwargs.items():
        flags += [f"--{key.replace('_', '-')}", str(value)]
    return flags


def test_gallery_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_loader(case: Case, tmp_path):
    source = case.make(tmp_path)
    before = _digest(source)
    if case.loads:
        if case.warns:
            with pytest.warns(DataWarning, match=case.warns):
                frame = _load(case, source)
        else:
            frame = _load(case, source)
        assert isinstance(frame, pd.DataFrame) and case.check(frame)
    else:
        with pytest.raises(DataError) as info:
            _load(case, source)
        message = str(info.value)
        for fragment in case.expect:
            assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert _digest(source) == before, "the input file was modified"
    assert not (tmp_path / "UNPICKLED").exists(), "a pickle was loaded"


CLI_CASES = [c for c in CASES if c.cli and c.table == "cohort" and not c.loads]


def error_text(stderr: str) -> str:
    """The error a command printed, checked for its shape: a first line starting with
    ``recurrence: error:``, one problem per line below it, no line over 200 characters.
    Returns the text with wrapped lines joined back (for matching fragments)."""
    lines = stderr.strip().splitlines()
    assert lines and lines[0].startswith("recurrence: error: "), stderr
    assert all(len(line) <= 200 for line in lines), max(lines, key=len)
    joined = []
    for line in lines:
        if line.startswith("    ") and joined:  # a wrapped continuation
            joined[-1] += " " + line.strip()
        else:
            joined.append(line)
    assert len(joined) == 1 or all(line.startswith("  - ") for line in joined[1:]), stderr
    return "\n".join(joined)


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_command_line(case: Case, tmp_path):
    source = case.make(tmp_path)
    result = CliRunner().invoke(main, ["describe", "--cohort", str(source), *_flags(case)])
    assert result.exit_code == 2, result.output
    text = error_text(result.stderr)
    for fragment in case.expect:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert "Traceback" not in result.output


STUDY_CLI_CASES = [c for c in CASES if c.cli and c.table == "studies" and not c.loads]


@pytest.mark.parametrize("case", STUDY_CLI_CASES, ids=[c.id for c in STUDY_CLI_CASES])
def test_command_line_study_tables(case: Case, tmp_path):
    # The study table is read before any analysis runs: a bad one stops the report at once.
    source = case.make(tmp_path)
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", "--studies", str(source), "--out", str(out)])
    assert result.exit_code == 2, result.output
    text = error_text(result.stderr)
    for fragment in case.expect:
        assert fragment in text, f"{fragment!r} not in {text!r}"
    assert not out.exists()


def test_unreadable_file_by_permission(tmp_path, monkeypatch):
    source = UNREADABLE.make(tmp_path)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == source else real_access(p, mode)
    )
    with pytest.raises(DataError, match=re.escape(UNREADABLE.expect[0])):
        load_cohort(source)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files without read permission")
def test_unreadable_file_for_real(tmp_path):
    source = UNREADABLE.make(tmp_path)
    source.chmod(0)
    with pytest.raises(DataError, match=re.escape(UNREADABLE.expect[0])):
        load_cohort(source)


def test_readme_quotes_the_gallery_verbatim(root, tmp_path):
    """Every message in the README's "Errors you may see" block is produced by a case."""
    readme = (root / "README.md").read_text()
    section = readme.split("## Errors you may see", 1)[1].split("\n## ", 1)[0]
    quoted = re.findall(r"^```text\n(.*?)\n```", section, flags=re.S | re.M)
    assert quoted, "the README has no quoted error messages"
    produced = []
    for case in CASES:
        if case.loads:
            continue
        folder = tmp_path / case.id
        folder.mkdir()
        try:
            _load(case, case.make(folder))
        except DataError as exc:
            produced.append(str(exc))
    produced += _command_line_errors(root, tmp_path / "cli")
    for block in quoted:
        for line in block.splitlines():
            assert any(line in message for message in produced), line


def _command_line_errors(root, folder) -> list[str]:
    """The errors the README quotes for outputs and options, as the command line prints
    them (run in a folder holding a cohort, a folder and a FIFO)."""
    import shutil

    folder.mkdir()
    shutil.copy(root / "data" / "synthetic" / "cohort.csv", folder / "c.csv")
    (folder / "outdir").mkdir()
    os.mkfifo(folder / "fifo")
    commands = [
        ["report", "--cohort", "c.csv", "--out", "c.csv"],
        ["report", "--out", "outdir"],
        ["report", "--out", "/dev/full"],
        ["report", "--cohort", "fifo", "--out", "r.pdf"],
        ["report", "--out", "r.pdf", "--min-cell", "0"],
        ["design", "--hr", "inf"],
        ["design", "--simulate", "--scheduler", "notanaddress"],
    ]
    said = []
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for args in commands:
            result = CliRunner().invoke(main, args)
            assert result.exit_code == 2, (args, result.output)
            said.append(result.stderr.strip())
    finally:
        os.chdir(cwd)
    assert sorted(p.name for p in folder.iterdir()) == ["c.csv", "fifo", "outdir"]
    return said
