"""CI proves the README: .ci/run runs exactly the README's test command."""

from __future__ import annotations

import re


def test_ci_runs_the_readme_test_command(root):
    readme = (root / "README.md").read_text()
    ci = [
        line
        for line in (root / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    block = re.search(r"# 2\. run the tests\n(.+)\n", readme).group(1)
    assert ci == [block]


def test_required_layout_exists(root):
    for path in [
        "recurrence",
        "data/synthetic",
        "notebooks",
        "reports",
        "tests",
        "pyproject.toml",
        "README.md",
        ".ci/run",
    ]:
        assert (root / path).exists(), path
