"""Nothing lost: no output is ever written onto an input or onto something that is not
a file, the outputs of one command appear all together or not at all, and a failure to
write is one short error with exit status 2."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import recurrence
from recurrence import DataError
from recurrence._outputs import Outputs
from recurrence.cli import main


@pytest.fixture()
def cohort_csv(tmp_path) -> Path:
    path = tmp_path / "c.csv"
    recurrence.simulate_cohort(120, seed=4).to_csv(path, index=False)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_report_never_overwrites_its_input(cohort_csv, tmp_path):
    before = digest(cohort_csv)
    result = run("report", "--cohort", cohort_csv, "--out", cohort_csv)
    assert result.exit_code == 2
    assert "c.csv: the report would overwrite an input of this command" in result.stderr
    assert digest(cohort_csv) == before
    # nor through a hard link, a symbolic link, or as the HTML or a table
    hard = tmp_path / "hard.pdf"
    os.link(cohort_csv, hard)
    soft = tmp_path / "soft.pdf"
    soft.symlink_to(cohort_csv)
    for flag, target in (("--out", hard), ("--out", soft), ("--html", cohort_csv)):
        args = ["report", "--cohort", cohort_csv, "--out", tmp_path / "r.pdf", flag, target]
        result = run(*args)
        assert result.exit_code == 2 and "would overwrite an input" in result.stderr, flag
    assert digest(cohort_csv) == before
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda d: d, "the report is a directory, not a file"),
        (lambda d: (os.mkfifo(d / "f.pdf"), d / "f.pdf")[1], "the report is a pipe (FIFO)"),
        (lambda d: Path("/dev/null"), "the report is a device, not a file"),
    ],
    ids=["directory", "fifo", "device"],
)
def test_outputs_that_are_not_files_are_refused(make, said, tmp_path):
    target = make(tmp_path)
    result = run("report", "--out", target)
    assert result.exit_code == 2, result.output
    assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_symbolic_link_is_written_through_not_replaced(tmp_path):
    real = tmp_path / "real.html"
    real.write_text("old")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    doc = recurrence.report.build(studies="builtin", html=link)
    assert link.is_symlink() and real.read_text() == doc.html


def test_outputs_of_one_command_are_one_transaction(tmp_path, monkeypatch):
    (tmp_path / "old.pdf").write_bytes(b"previous")
    tables = tmp_path / "tables"

    def broken(doc):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("recurrence.report.render_typst.render_pdf", broken)
    result = run(
        "report",
        "--studies",
        "builtin",
        "--out",
        tmp_path / "old.pdf",
        "--tables",
        tables,
        "--html",
        tmp_path / "r.html",
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "recurrence: error: cannot write: No space left on device; nothing was written"
    )
    assert (tmp_path / "old.pdf").read_bytes() == b"previous"
    assert not tables.exists() and not (tmp_path / "r.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.pdf"]


def test_a_failure_while_placing_the_files_restores_every_previous_file(tmp_path, monkeypatch):
    first, second = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    first.write_text("old a")
    out = Outputs()
    out.add(first, "new a")
    out.add(second, "new b")
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second target: a full disk, Ctrl-C, …
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr("recurrence._outputs.os.replace", replace)
    with pytest.raises(KeyboardInterrupt):
        out.commit()
    monkeypatch.undo()
    assert first.read_text() == "old a"
    assert not (tmp_path / "sub").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no .part, no .bak


def test_a_read_only_or_full_disk_is_one_line_and_exit_2(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("recurrence._outputs.os.fsync", full)
    result = run("report", "--studies", "builtin", "--out", tmp_path / "r.pdf")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip().endswith("No space left on device; nothing was written")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_of_tables_that_is_a_file_is_refused_before_any_work(tmp_path):
    (tmp_path / "tables").write_text("not a folder")
    with pytest.raises(DataError, match="the tables folder is a file, not a folder"):
        recurrence.report.build(studies="builtin", tables=tmp_path / "tables")


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8", "fifo"])
def test_a_bad_columns_file_is_one_short_error(kind, cohort_csv, tmp_path):
    path = tmp_path / "map.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b'{"\xff\xfe": "time"}')
    elif kind == "fifo":
        os.mkfifo(path)
    result = run("describe", "--cohort", cohort_csv, "--columns", path)
    assert result.exit_code == 2
    said = {
        "missing": "map.json: file not found",
        "directory": "map.json: is a directory, not a file",
        "not-utf8": "map.json: is not UTF-8 text",
        "fifo": "map.json: is a pipe (FIFO), not a file",
    }[kind]
    assert said in result.stderr and "Traceback" not in result.output
