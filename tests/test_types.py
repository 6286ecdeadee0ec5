"""mypy finds no type error in recurrence/ (settings: ``[tool.mypy]`` in pyproject.toml).

One mypy run, with the per-module overrides taken out, so that the test sees every error:
each must be one an override silences (its module and error code listed), and each
override must still silence something (an override outliving its reason fails: remove
it). The errors left are exactly those that ``mypy`` with the project settings reports,
which must be none. The cache lives in ``.mypy_cache/`` (about 15-40 s cold on 2 cores,
a few seconds warm).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

_ERROR = re.compile(r"^(?P<path>recurrence/[^:]+)\.py:\d+: error: .*\[(?P<code>[a-z-]+)\]$")


def _module(path: str) -> str:
    return path.replace("/", ".").removesuffix(".__init__")


def test_mypy_clean(root, tmp_path):
    settings = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["mypy"]
    overrides = settings.pop("overrides", [])
    allowed = {(o["module"], code) for o in overrides for code in o["disable_error_code"]}
    lines = [
        "[tool.mypy]",
        *(f"{k} = {_toml(v)}" for k, v in settings.items()),
        f'cache_dir = "{root / ".mypy_cache" / "all-errors"}"',
    ]
    config = tmp_path / "mypy.toml"
    config.write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-pretty"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2: mypy itself failed
    found = {}
    for line in run.stdout.splitlines():
        if m := _ERROR.match(line):
            found.setdefault((_module(m["path"]), m["code"]), []).append(line)
    unexpected = [line for key, got in found.items() if key not in allowed for line in got]
    assert not unexpected, "mypy errors:\n" + "\n".join(unexpected)
    stale = sorted(allowed - set(found))
    assert not stale, f"overrides that silence nothing any more (remove them): {stale}"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return f'"{value}"'
