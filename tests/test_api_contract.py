"""The public contract of shared/API.md, checked as written: names, arguments with
their defaults, attributes and table columns. Extra names and options are allowed."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

import recurrence
import recurrence.cli
from recurrence import StatisticalWarning, meta, survival


def params(fn) -> dict:
    return {n: p.default for n, p in inspect.signature(fn).parameters.items()}


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (recurrence.load_cohort, {"source": None, "columns": None}),
        (recurrence.load_studies, {"source": None, "columns": None}),
        (survival.kaplan_meier, {"by": "closure", "level": 0.95}),
        (survival.logrank, {"by": "closure"}),
        (survival.cumulative_incidence, {"by": "closure", "event": 1}),
        (survival.fine_gray, {"event": 1}),
        (survival.rmst, {"by": "closure"}),
        (survival.turnbull, {"by": "closure"}),
        (survival.parametric, {"covariates": ("closure",), "distribution": "weibull"}),
        (survival.cure, {"by": "closure", "distribution": "weibull"}),
        (
            meta.proportions,
            {"transform": "logit", "method": "REML", "hksj": False, "level": 0.95, "labels": None},
        ),
        (
            meta.compare,
            {"measure": "RR", "method": "REML", "hksj": False, "level": 0.95, "labels": None},
        ),
        (recurrence.check_range, {"low": 0.03, "high": 0.27}),
    ],
)
def test_signatures(fn, expected):
    got = params(fn)
    for name, default in expected.items():
        assert name in got, f"{fn.__name__} lacks {name}"
        assert got[name] == default, f"{fn.__name__}({name}=) default {got[name]!r}"


def test_positional_arguments_in_the_documented_order():
    assert list(params(survival.cox))[:2] == ["cohort", "covariates"]
    assert list(params(survival.rmst))[:3] == ["cohort", "horizon", "by"]
    assert list(params(meta.proportions))[:2] == ["events", "totals"]
    assert list(params(meta.compare))[:4] == [
        "events_closure",
        "totals_closure",
        "events_control",
        "totals_control",
    ]
    assert "seed" in params(recurrence.simulate_cohort) and "n" in params(
        recurrence.simulate_cohort
    )
    assert issubclass(recurrence.DataError, ValueError)


@pytest.fixture(scope="module")
def cohort():
    return recurrence.load_cohort()


def test_survival_attributes_and_columns(cohort):
    km = survival.kaplan_meier(cohort)
    assert list(km.at([12, 24]).columns[:6]) == [
        "group",
        "time",
        "survival",
        "ci_low",
        "ci_high",
        "at_risk",
    ]
    lr = survival.logrank(cohort)
    assert lr.statistic > 0 and 0 <= lr.pvalue <= 1
    cx = survival.cox(cohort, covariates=["closure", "age"])
    assert cx.table.index.name == "term" and list(cx.table.index) == ["closure", "age"]
    assert list(cx.table.columns[:6]) == ["coef", "hr", "se", "ci_low", "ci_high", "pvalue"]
    assert 0 < cx.concordance < 1
    assert list(cx.ph_test.index) == ["closure", "age", "GLOBAL"]
    ci = survival.cumulative_incidence(cohort, event=1)
    assert list(ci.at([24]).columns[:5]) == ["group", "time", "incidence", "ci_low", "ci_high"]
    assert ci.gray_statistic > 0 and 0 <= ci.gray_pvalue <= 1
    fg = survival.fine_gray(cohort, covariates=["closure"], event=1)
    assert list(fg.table.columns[:6]) == ["coef", "shr", "se", "ci_low", "ci_high", "pvalue"]
    rm = survival.rmst(cohort, 24)
    assert list(rm.table.columns[:5]) == ["group", "rmst", "se", "ci_low", "ci_high"]
    assert {"difference", "ci_low", "ci_high", "pvalue"} <= set(rm.difference.columns)
    assert "by" in params(survival.kaplan_meier)
    assert survival.kaplan_meier(cohort, by=None).groups == ("all patients",)


def test_interval_censored_and_parametric_attributes_and_columns():
    imaged = recurrence.simulate_cohort(400, seed=3, visits=(1.5, 3, 6, 12, 24, 36, 60))
    assert "time_left" in imaged.columns
    tb = survival.turnbull(imaged, n_boot=0)
    assert list(tb.at([12, 24]).columns[:3]) == ["group", "time", "survival"]
    fit = survival.parametric(imaged, ["closure"], distribution="lognormal")
    assert fit.interval_censored and fit.table.index.name == "term"
    assert list(fit.table.index) == ["intercept", "closure", "log_scale"]
    assert {"coef", "se", "pvalue"} <= set(fit.table.columns)
    assert fit.aic == -2 * fit.loglik + 2 * 3
    assert fit.predict([60, 120], imaged.head(3)).shape == (3, 2)
    for dist in ("exponential", "weibull", "lognormal", "loglogistic"):
        assert survival.parametric(imaged, distribution=dist).distribution == dist
    cu = survival.cure(imaged)
    assert list(cu.table.columns[:4]) == ["group", "cure_fraction", "ci_low", "ci_high"]
    assert cu.interval_censored and cu.loglik < 0


def test_meta_attributes_and_columns():
    studies = recurrence.load_studies()
    two = studies.dropna(subset=["total_closure", "total_control"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # τ² = 0 on these studies
        res = meta.compare(
            two.events_closure,
            two.total_closure,
            two.events_control,
            two.total_control,
            labels=two.study,
        )
        for name in (
            "estimate",
            "ci_low",
            "ci_high",
            "pi_low",
            "pi_high",
            "tau2",
            "i2",
            "q",
            "q_pvalue",
            "pvalue",
            "k",
        ):
            assert hasattr(res, name), name
        assert {"study", "estimate", "ci_low", "ci_high", "weight"} <= set(res.table.columns)
        prop = meta.proportions(two.events_control, two.total_control, transform="glmm")
        assert 0 < prop.estimate < 1
        for method in ("FE", "DL", "REML", "PM", "ML", "MH"):
            meta.compare(
                two.events_closure,
                two.total_closure,
                two.events_control,
                two.total_control,
                measure="OR",
                method=method,
            )
        meta.compare(
            two.events_closure,
            two.total_closure,
            two.events_control,
            two.total_control,
            measure="OR",
            method="PETO",
        )
        for test in (meta.egger_test(res), meta.begg_test(res)):
            assert hasattr(test, "statistic") and hasattr(test, "pvalue")
        tf = meta.trim_and_fill(res)
        assert hasattr(tf, "k0") and tf.side in ("left", "right")
        loo = meta.leave_one_out(res)
        assert list(loo.columns[:6]) == ["study", "estimate", "ci_low", "ci_high", "tau2", "i2"]
        reg = meta.regression(res, pd.DataFrame({"year": two["year"].astype(float).to_numpy()}))
        assert reg.table.index[0] == "intercept"
        assert {"coef", "se", "pvalue"} <= set(reg.table.columns)
        assert hasattr(reg, "qm") and hasattr(reg, "qm_pvalue") and hasattr(reg, "tau2")


def test_command_line_lists_every_command():
    out = CliRunner().invoke(recurrence.cli.main, ["--help"]).output
    for command in ("report", "describe", "design"):
        assert command in out
    help_report = CliRunner().invoke(recurrence.cli.main, ["report", "--help"]).output
    for option in ("--cohort", "--studies", "--out"):
        assert option in help_report
