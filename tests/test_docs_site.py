"""The documentation site (docs/: the narrative pages and the API reference built from
the docstrings by Sphinx with numpydoc and myst-parser) builds without a warning, and
its API pages document every public name."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["survival", "meta", "design", "plotting", "report"]


@pytest.fixture(scope="module")
def site(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html"]
        + ["-d", str(out / ".doctrees"), str(root / "docs"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def test_site_builds_without_warnings(site):
    assert (site / "index.html").is_file()
    for page in ("survival", "meta-analysis", "your-data", "development"):
        assert (site / f"{page}.html").is_file(), page


@pytest.mark.parametrize("package", PACKAGES)
def test_api_page_documents_every_public_name(site, package):
    module = importlib.import_module(f"recurrence.{package}")
    page = (site / "api" / f"{package}.html").read_text(encoding="utf-8")
    missing = [
        name
        for name in module.__all__
        if callable(getattr(module, name)) and f'id="recurrence.{package}.{name}"' not in page
    ]
    assert not missing, f"recurrence.{package}: not on the API page: {missing}"
