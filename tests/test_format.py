"""One home for display formatting (recurrence/_format.py): the variants agree with
each other, and no other module writes its own p-value or percentage formatter."""

from __future__ import annotations

import re

import numpy as np
import pytest

from recurrence import _format as f

# recurrence/report/ is being rewritten onto recurrence._format by the lead.
NOT_YET = ("report",)


@pytest.mark.parametrize(
    ("p", "table", "sentence", "plot"),
    [
        (0.04321, "0.043", "p = 0.043", "= 0.043"),
        (0.4321, "0.432", "p = 0.432", "= 0.43"),
        (0.0004, "<0.001", "p < 0.001", "< 0.001"),
        (0.001, "0.001", "p = 0.001", "= 0.001"),
        (None, "–", "p = –", "–"),
        (float("nan"), "–", "p = –", "–"),
    ],
)
def test_p_value_variants_round_alike(p, table, sentence, plot):
    assert f.fmt_p(p) == table
    assert f.p_text(p) == sentence
    assert f.p_relation(p, two_decimals_from=0.1) == plot


def test_missing_values_read_as_a_dash_everywhere():
    for value in (None, float("nan"), np.float64("nan")):
        assert f.fmt(value) == f.pct(value) == f.count(value) == f.fmt_p(value) == f.MISSING


def _sources(root):
    for path in sorted((root / "recurrence").rglob("*.py")):
        rel = path.relative_to(root / "recurrence")
        if rel.parts[0] in NOT_YET or rel.name == "_format.py":
            continue
        yield rel, path.read_text()


def test_no_module_writes_its_own_p_value_or_percentage_formatter(root):
    own_p = re.compile(r"""["']<\s?0\.001["']|def _?(fmt_p|p_text|pct|fmt_pct|fmt_effect)\b""")
    found = [f"{rel}:{m.group(0)}" for rel, text in _sources(root) for m in own_p.finditer(text)]
    assert not found, f"format through recurrence._format instead: {found}"
