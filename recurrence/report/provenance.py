"""What a reader needs to reproduce a report: versions, inputs, seed, command."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "provenance", "sha256"]

PACKAGES = (
    "recurrence",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "lifelines",
    "matplotlib",
    "seaborn",
    "pandera",
    "typst",
    "python-docx",
)


def sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"; _ = p.write_bytes(b"abc")
    >>> sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(
    inputs: dict[str, str | Path | None],
    *,
    seed: int | None = None,
    command: str | None = None,
    options: dict | None = None,
) -> dict:
    """Versions, input files with their SHA-256, seed, command line and options."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    files = []
    for role, path in inputs.items():
        if path is None:
            files.append({"role": role, "file": "packaged data", "sha256": "–"})
        elif isinstance(path, (str, Path)) and Path(path).is_file():
            files.append({"role": role, "file": Path(path).name, "sha256": sha256(path)})
        else:
            files.append({"role": role, "file": str(path), "sha256": "–"})
    return {
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "versions": versions,
        "inputs": files,
        "seed": seed,
        "command": command,
        "options": dict(options or {}),
    }
