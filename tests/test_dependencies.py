"""pyproject.toml says what the package uses: every runtime dependency is imported by
some module of ``recurrence/``, and every third-party import there is declared (a
runtime dependency, or an optional extra's package inside that extra's modules).

Imports are read with ``ast`` at every level (functions too); distribution names are
mapped to import names through the installed metadata
(:func:`importlib.metadata.packages_distributions`).
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "recurrence"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Where each optional extra's packages may be imported (and nowhere else).
EXTRA_MODULES = {
    "app": ("recurrence/app/",),
    "dist": ("recurrence/design/_execution.py",),
    "notebooks": (),
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution(requirement: str) -> str:
    return _canonical(re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0))


@functools.cache
def _third_party_imports() -> dict[str, frozenset[str]]:
    """Top-level import name -> files of ``recurrence/`` importing it (read once)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "recurrence" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return {name: frozenset(files) for name, files in found.items()}


@functools.cache
def _installed() -> dict[str, list[str]]:
    """Import name -> distributions, from the installed metadata: read once (each
    ``packages_distributions()`` call reads every installed package's file list, about
    0.3 s here, and the tests ask for some thirty names)."""
    return packages_distributions()


def _distributions_of(import_name: str) -> set[str]:
    return {_canonical(d) for d in _installed().get(import_name, [import_name])}


def test_the_import_scan_sees_known_imports():
    imports = _third_party_imports()
    assert "recurrence/plotting/balance.py" in imports["seaborn"]  # inside a function
    assert "numpy" in imports and "os" not in imports and "recurrence" not in imports


def test_every_runtime_dependency_is_imported():
    imported = set()
    for name in _third_party_imports():
        imported |= _distributions_of(name)
    declared = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    unused = sorted(declared - imported)
    assert unused == [], f"declared in pyproject.toml but imported by no module: {unused}"


def test_every_import_is_declared():
    core = {_distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = {
        extra: {_distribution(r) for r in reqs}
        for extra, reqs in PYPROJECT["project"]["optional-dependencies"].items()
    }
    assert set(extras) == set(EXTRA_MODULES), "say where each extra's packages are used"
    # dask[distributed] brings the distributed package
    extras["dist"] |= {"distributed"}
    wrong = []
    for name, files in sorted(_third_party_imports().items()):
        dists = _distributions_of(name)
        if dists & core:
            continue
        owners = [extra for extra, reqs in extras.items() if dists & reqs]
        if not owners:
            wrong.append(f"{name} (in {sorted(files)}): not declared")
            continue
        allowed = tuple(p for extra in owners for p in EXTRA_MODULES[extra])
        outside = sorted(f for f in files if not f.startswith(allowed))
        if outside:
            wrong.append(f"{name} (extra {owners}) imported outside its extra: {outside}")
    assert wrong == [], "\n".join(wrong)
