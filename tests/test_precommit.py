"""The pre-commit configuration is valid and runs what the test command checks: ruff
format, ruff check and mypy (docs/development.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is in the dev group")
import yaml  # pre-commit's own dependency


def test_precommit_config_valid_and_complete(root):
    config = root / ".pre-commit-config.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    hooks = {
        h["id"]: h for repo in yaml.safe_load(config.read_text())["repos"] for h in repo["hooks"]
    }
    assert {"ruff-format", "ruff-check", "mypy"} <= set(hooks)
    assert "--locked" in hooks["mypy"]["entry"] and hooks["mypy"]["pass_filenames"] is False
