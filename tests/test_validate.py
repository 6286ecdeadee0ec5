"""One validation home (recurrence/_validate.py): every public survival function refuses
a cohort table that was not read by load_cohort with the same DataError, naming the
column, the rows and the values; argument checks read the same everywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recurrence import DataError, design, meta, simulate_cohort, survival
from recurrence._validate import check_cohort, check_event, check_level

COVARIATES = ["closure", "age"]

#: Every public survival function, called as a user would on a cohort.
CALLS = {
    "kaplan_meier": lambda c: survival.kaplan_meier(c),
    "logrank": lambda c: survival.logrank(c),
    "cumulative_incidence": lambda c: survival.cumulative_incidence(c),
    "rmst": lambda c: survival.rmst(c, 24),
    "reherniation_rates": lambda c: survival.reherniation_rates(c),
    "risk_difference": lambda c: survival.risk_difference(c, [24]),
    "cox": lambda c: survival.cox(c, COVARIATES),
    "cause_specific_cox": lambda c: survival.cause_specific_cox(c, COVARIATES, event=2),
    "fine_gray": lambda c: survival.fine_gray(c, COVARIATES),
    "adjusted_incidence": lambda c: survival.adjusted_incidence(c, ["age"], [24]),
    "iptw_weights": lambda c: survival.iptw_weights(c, ["age"]),
    "subgroups": lambda c: survival.subgroups(c, ["sex"]),
    "turnbull": lambda c: survival.turnbull(c),
    "parametric": lambda c: survival.parametric(c),
    "cure": lambda c: survival.cure(c),
}

#: A bad value in row 3 (1-based), and what the message says about it.
BAD = {
    "time -1": ("time", -1.0, "column 'time', row 3: must be a finite number of months ≥ 0"),
    "time NaN": ("time", np.nan, "column 'time', row 3: must be a finite number of months ≥ 0"),
    "event 5": (
        "event",
        5,
        "column 'event', row 3: is not 0 (censored), 1 (reherniation) or 2 (competing event)",
    ),
    "closure 'yes'": ("closure", "yes", "column 'closure', row 3: must be True (closed)"),
}


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(400, seed=7)


def _broken(cohort, column, value):
    out = cohort.copy()
    if column == "closure":
        out["closure"] = out["closure"].astype(object)
    out.loc[out.index[2], column] = value
    return out


def test_every_survival_function_runs_on_the_clean_cohort(cohort):
    # the calls below are refused for their data, not for their arguments
    for name, call in CALLS.items():
        assert call(cohort) is not None, name


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("name", list(CALLS))
def test_every_survival_function_refuses_a_bad_table_with_the_same_message(cohort, name, bad):
    column, value, message = BAD[bad]
    with pytest.raises(DataError) as err:
        CALLS[name](_broken(cohort, column, value))
    text = str(err.value)
    assert text.startswith("cohort: 1 problem:"), text
    assert message in text, text


def test_all_problems_of_a_table_are_listed_at_once(cohort):
    frame = _broken(_broken(cohort, "time", -1.0), "event", 5)
    with pytest.raises(DataError) as err:
        survival.cox(frame, COVARIATES)
    assert [p.column for p in err.value.problems] == ["time", "event"]
    time, event = err.value.problems
    shown = (time.rows, time.values, event.rows, event.values)  # noqa: PD011 (Problem)
    assert shown == ((3,), (-1.0,), (3,), (5,))


def test_closure_as_object_bools_with_missing_values_is_accepted(cohort):
    frame = cohort.assign(closure=cohort["closure"].astype(object))
    frame.loc[frame.index[:3], "closure"] = None
    check_cohort(frame, uses=["closure"])
    km = survival.kaplan_meier(frame)
    assert km.groups == ("no closure", "closure")
    assert "3 patients left out for missing values" in km.remarks


def test_closure_is_checked_only_where_it_is_read(cohort):
    frame = _broken(cohort, "closure", "yes")
    check_cohort(frame)  # not used: not checked
    with pytest.raises(DataError, match="column 'closure'"):
        check_cohort(frame, uses=["closure"])
    assert survival.cox(frame, ["age"]).n == len(frame)


@pytest.mark.parametrize("level", [95, 0, 1, True, "0.95", None, float("nan")])
def test_level_is_refused_alike_by_survival_meta_and_design(level):
    message = f"level must be between 0 and 1 (got {level!r})"
    calls = [
        lambda: survival.kaplan_meier(simulate_cohort(50, seed=1), level=level),
        lambda: survival.cox(simulate_cohort(50, seed=1), ["closure"], level=level),
        lambda: meta.proportions([1, 2], [10, 10], level=level),
        lambda: meta.generic([0.5, 0.7], se=[0.2, 0.3], level=level),
        lambda: design.simulate_power(100, replicates=1, level=level),
    ]
    for call in calls:
        with pytest.raises(DataError) as err:
            call()
        assert message in str(err.value)


def test_level_accepts_numpy_numbers():
    assert check_level(np.float32(0.9)) == pytest.approx(0.9)
    assert check_level(np.float64(0.95)) == 0.95


@pytest.mark.parametrize("event", [0, 3, 1.0, True, "1", None])
def test_event_is_refused_alike_by_every_estimator(event):
    cohort = simulate_cohort(50, seed=1)
    calls = [
        lambda: survival.kaplan_meier(cohort, event=event),
        lambda: survival.cumulative_incidence(cohort, event=event),
        lambda: survival.cause_specific_cox(cohort, ["closure"], event=event),
        lambda: survival.fine_gray(cohort, ["closure"], event=event),
        lambda: survival.risk_difference(cohort, [12], event=event),
    ]
    for call in calls:
        with pytest.raises(DataError, match=r"event must be one of \[1, 2"):
            call()


def test_event_any_where_both_causes_can_be_pooled():
    assert check_event("any", allowed=(1, 2, "any")) == "any"
    assert check_event(np.int64(2)) == 2
    with pytest.raises(DataError, match="'any' either"):
        check_event(3, allowed=(1, 2, "any"))


def test_a_loaded_cohort_passes_unchanged(cohort):
    before = cohort.copy()
    check_cohort(cohort, uses=["closure"])
    pd.testing.assert_frame_equal(cohort, before)


def test_a_table_without_problems_is_not_handed_to_pandera():
    """pandera is for finding and reporting failures: a table whose every rule holds
    loads without it (its import and pass are 0.2-0.3 s of a report's start)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import recurrence\n"
        "recurrence.load_cohort(); recurrence.load_studies()\n"
        "print('pandera' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]


def test_any_doubt_goes_to_pandera_which_reports_every_failure():
    import pandas as pd

    from recurrence.schema import Collector, _all_hold, pandera_problems

    rules = {
        "id": {"unique": (None, "id twice", "fix the ids")},
        "t": {"positive": (lambda s: s > 0, "is 0 or negative", "times > 0")},
    }
    fine = pd.DataFrame({"id": ["a", "b", None], "t": [1.0, None, 2.0]})
    assert _all_hold(fine, rules)  # a missing time passes, as in pandera
    assert not _all_hold(pd.DataFrame({"id": ["a", None, None], "t": [1.0, 2, 3]}), rules)
    assert not _all_hold(fine, {"t": {"odd": (lambda s: 1 / 0, "x", "y")}})  # raises
    assert not _all_hold(fine, {"t": {"scalar": (lambda s: True, "x", "y")}})
    bad = pd.DataFrame({"id": ["a", "a", "c"], "t": [1.0, -2.0, 0.0]})
    bag = Collector({"id": "ID", "t": "FU"})
    pandera_problems(bad, rules, {}, bag)
    assert [(p.column, p.rows) for p in bag.problems] == [("id", (1, 2)), ("t", (2, 3))]
