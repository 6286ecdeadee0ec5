"""Work in a forked copy (recurrence._fork): the value comes back, a failure comes back as
NOTHING, and the report's study analyses are the same whether a copy ran them or not."""

from __future__ import annotations

import numpy as np
import pytest

from recurrence import _fork
from recurrence.report import analyses as A

pytestmark = pytest.mark.skipif(_fork.cores() < 2, reason="one core: nothing is forked")


@pytest.fixture(autouse=True)
def _fork_here(monkeypatch):
    # pytest-xdist's workers run a thread of their own, so can_fork() says no there; the
    # copies here run only NumPy and the package, which that thread never touches
    monkeypatch.setattr(_fork, "can_fork", lambda: True)


def test_the_value_comes_back():
    job = _fork.fork_call(lambda: {"k": np.arange(100_000)})  # larger than a pipe's buffer
    assert job is not None
    np.testing.assert_array_equal(job.result()["k"], np.arange(100_000))


def test_an_error_or_an_unpicklable_value_is_nothing():
    def fails():
        raise RuntimeError("in the copy")

    assert _fork.fork_call(fails).result() is _fork.NOTHING
    assert _fork.fork_call(lambda: lambda: 1).result() is _fork.NOTHING


def test_study_analyses_in_a_copy_equal_those_in_this_process(monkeypatch):
    from recurrence import load_cohort, load_studies
    from recurrence.report.plan import resolve_plan

    cohort, studies = load_cohort(), load_studies()
    plan = resolve_plan(None, cohort, studies)
    calls = []
    monkeypatch.setattr(A, "fork_call", lambda fn: calls.append(fn) or _fork.fork_call(fn))
    forked = A.run_analyses(cohort, studies, plan)
    assert len(calls) == 1
    monkeypatch.setattr(A, "fork_call", lambda fn: None)
    here = A.run_analyses(cohort, studies, plan)
    for name in ("effect", "effect_other", "pooled_control", "pooled_closure", "bayes"):
        a, b = getattr(forked, name), getattr(here, name)
        assert a.table.equals(b.table), name
    assert forked.sequential.table.equals(here.sequential.table)
    # the subgroup variables: three in the copy, one here; all here without a copy
    assert forked.subgroups.table.equals(here.subgroups.table)
    assert forked.subgroups.overall.equals(here.subgroups.overall)
    assert forked.subgroups.remarks == here.subgroups.remarks
    assert forked.warnings == here.warnings


def test_an_imaged_cohorts_projections_in_a_copy_equal_those_in_this_process(monkeypatch):
    # An imaged cohort's parametric projections (lifelines) run in the copy, beside this
    # process's Turnbull bootstrap: the same fits and warnings as in one process
    from recurrence import load_studies, simulate_cohort
    from recurrence.report.plan import resolve_plan

    cohort = simulate_cohort(600, seed=3, visits=(3, 6, 12, 24), missed_visit=0.2)
    studies = load_studies()
    plan = resolve_plan(None, cohort, studies)
    ran_there = []
    real = A._apart

    def recording(*args, **kwargs):
        ran_there.append(_fork.os.getpid())
        return real(*args, **kwargs)

    monkeypatch.setattr(A, "_apart", recording)
    forked = A.run_analyses(cohort, studies, plan)
    assert ran_there == []  # _apart ran in the copy (its record stayed there)
    assert forked.projections is not None and forked.turnbull is not None
    monkeypatch.setattr(A, "fork_call", lambda fn: None)
    here = A.run_analyses(cohort, studies, plan)
    assert ran_there == [_fork.os.getpid()]  # without a copy: here
    assert forked.projections.table.equals(here.projections.table)
    assert forked.projections.projections.equals(here.projections.projections)
    assert forked.turnbull.table.equals(here.turnbull.table)
    assert forked.warnings == here.warnings
