"""The code stays as ruff formats and checks it (settings in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

PATHS = ["recurrence", "tests", "benchmarks"]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff") or pytest.skip("ruff is not installed (the dev group has it)")
    return subprocess.run([exe, *args, *PATHS], capture_output=True, text=True, check=False)


def test_ruff_check(root, monkeypatch):
    monkeypatch.chdir(root)
    result = _ruff("check", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format(root, monkeypatch):
    monkeypatch.chdir(root)
    result = _ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
