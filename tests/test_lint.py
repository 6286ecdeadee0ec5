"""The code stays as ruff formats and checks it (settings in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PATHS = ["recurrence", "tests", "benchmarks"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    # on PATH (uv run), else beside this interpreter (.venv/bin/python -m pytest)
    exe = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("ruff is not installed (the dev group has it)")
    return subprocess.run([exe, *args, *PATHS], capture_output=True, text=True, check=False)


def test_ruff_check(root, monkeypatch):
    monkeypatch.chdir(root)
    result = _ruff("check", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format(root, monkeypatch):
    monkeypatch.chdir(root)
    result = _ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
