"""The repository cites only what a user has: no tracked file mentions the developers'
private notes, which live outside the repository (the words are in ``FORBIDDEN``); the
conventions they held are written in ``docs/``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Joined at run time so that this file does not contain what it looks for.
FORBIDDEN = ("shared" + "/", "API" + ".md", "ECOSYSTEM" + ".md")


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout (an sdist): nothing to list")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_cites_the_private_notes():
    files = _tracked_files()
    assert any(f.name == "pyproject.toml" for f in files)  # the listing works
    hits = []
    for path in files:
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        for word in FORBIDDEN:
            if word in text:
                line = text[: text.index(word)].count("\n") + 1
                hits.append(f"{path.relative_to(ROOT)}:{line}: {word}")
    assert hits == [], "cite docs/ instead:\n" + "\n".join(hits)
