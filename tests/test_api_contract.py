"""The public contract (the names docs/*.md and README.md document), checked as written: names, arguments with
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
        (
            meta.generic,
            {
                "se": None,
                "ci_low": None,
                "ci_high": None,
                "measure": "HR",
                "method": "REML",
                "hksj": False,
                "level": 0.95,
                "labels": None,
            },
        ),
        (meta.sensitivity, {"measure": "RR"}),
        (meta.summary_of_findings, {"control_risk": None, "certainty": None}),
        (meta.sequential, {"alpha": 0.05, "power": 0.9, "rrr": 0.2, "control_risk": None}),
        (meta.compare, {"tau_prior": "halfnormal(0.5)"}),
        (meta.proportions, {"tau_prior": "halfnormal(0.5)"}),
        (survival.risk_difference, {"by": "closure", "event": 1, "level": 0.95}),
        (survival.adjusted_incidence, {"method": "gformula", "event": 1, "level": 0.95}),
        (recurrence.evalue, {"ci_low": None, "ci_high": None, "measure": "HR", "rare": False}),
        (recurrence.impute, {"m": 20, "columns": None}),
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


def test_few_studies_names_and_columns():
    """docs/meta-analysis.md, "Few studies, and the certainty of the evidence"."""
    from recurrence.meta.datasets import bcg

    b = bcg()
    args = (b.events_closure, b.total_closure, b.events_control, b.total_control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        adhoc = meta.compare(*args, hksj="adhoc")
        assert (
            adhoc.ci_high - adhoc.ci_low >= meta.compare(*args).ci_high - meta.compare(*args).ci_low
        )
        prop = meta.proportions(b.events_control, b.total_control, hksj="adhoc")
        assert 0 < prop.estimate < 1
        for fit in (
            meta.compare(*args, method="bayes", tau_prior="halfnormal(0.5)"),
            meta.proportions(b.events_control, b.total_control, method="bayes"),
        ):
            for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "tau_ci"):
                assert getattr(fit, name) is not None, name
            assert fit.ci_low < fit.estimate < fit.ci_high
        for prior in ("halfnormal(1)", "halfcauchy(0.5)", "uniform(0, 2)"):
            meta.compare(*args, method="bayes", tau_prior=prior)
        gen = meta.generic([0.6, 0.8], ci_low=[0.4, 0.6], ci_high=[0.9, 1.07])
        assert type(gen) is type(adhoc)
        gen.plot()
        sens = meta.sensitivity(b, measure="OR")
        assert list(sens.table.columns[:5]) == ["method", "estimate", "ci_low", "ci_high", "tau2"]
        assert {
            "FE",
            "MH",
            "Peto",
            "DL",
            "REML",
            "REML + HKSJ",
            "REML + adhoc",
            "PM",
            "GLMM",
        } <= set(sens.table["method"])
        assert sum(m.startswith("bayes") for m in sens.table["method"]) == 2
        sens.plot()
        sof = meta.summary_of_findings(adhoc, certainty={"risk_of_bias": -1})
        assert {"assumed_per_1000", "corresponding_per_1000", "participants", "studies"} <= set(
            sof.table.columns
        )
        tsa = meta.sequential(adhoc)
        assert tsa.ris > 0 and 0 <= tsa.d2 < 1 and len(tsa.table) == adhoc.k
        tsa.plot()
    studies = b.assign(rob="low", rob_d1="some concerns", rob_d5="high")
    recurrence.plotting.plot_rob(studies)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_command_line_lists_every_command():
    out = CliRunner().invoke(recurrence.cli.main, ["--help"]).output
    for command in ("report", "describe", "design"):
        assert command in out
    help_report = CliRunner().invoke(recurrence.cli.main, ["report", "--help"]).output
    for option in ("--cohort", "--studies", "--out"):
        assert option in help_report


def test_cohort_analyses_a_reviewer_asks_for():
    assert list(params(survival.risk_difference))[:2] == ["cohort", "times"]
    assert list(params(survival.adjusted_incidence))[:3] == ["cohort", "covariates", "times"]
    assert list(params(recurrence.evalue))[:3] == ["estimate", "ci_low", "ci_high"]
    assert list(params(recurrence.impute))[:2] == ["cohort", "m"] and "seed" in params(
        recurrence.impute
    )
    sim = recurrence.simulate_cohort(800, seed=3, confounded=True)
    rd = survival.risk_difference(sim, [12, 24])
    assert list(rd.table.columns[:9]) == [
        "time",
        "risk_closure",
        "risk_control",
        "difference",
        "ci_low",
        "ci_high",
        "nnt",
        "nnt_ci_low",
        "nnt_ci_high",
    ]
    for method in ("gformula", "iptw"):
        adj = survival.adjusted_incidence(sim, ["age", "smoker"], [24], method=method)
        assert list(adj.table.columns[:5]) == ["time", "group", "incidence", "ci_low", "ci_high"]
        assert list(adj.difference.columns[:4]) == ["time", "difference", "ci_low", "ci_high"]
        assert callable(adj.plot)
    ev = recurrence.evalue(0.5, 0.3, 0.8)
    assert ev.evalue > ev.evalue_ci > 1
    assert recurrence.evalue(0.8, 0.6, 1.1).evalue_ci == 1
    missing = recurrence.simulate_cohort(400, seed=2, missing={"smoker": 0.2})
    imp = recurrence.impute(missing, m=2, seed=1, iterations=2)
    assert len(imp.datasets) == 2
    pooled = imp.fit(survival.cox, ["closure", "smoker"])
    assert list(pooled.table.columns[:7]) == [
        "coef",
        "se",
        "ci_low",
        "ci_high",
        "pvalue",
        "df",
        "fmi",
    ]


# ---- cohort analyses a reviewer asks for (the Kaplan-Meier, log-rank, Cox, Fine-Gray
# options and subgroups) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (survival.kaplan_meier, {"conf_type": "log-log"}),
        (survival.logrank, {"rho": 0}),
        (survival.cox, {"ph_transform": "km"}),
        (survival.subgroups, {"covariates": (), "model": "cox"}),
    ],
)
def test_reviewer_signatures(fn, expected):
    got = params(fn)
    for name, default in expected.items():
        assert name in got, f"{fn.__name__} lacks {name}"
        assert got[name] == default, f"{fn.__name__}({name}=) default {got[name]!r}"
    if fn is survival.subgroups:
        assert list(got)[:2] == ["cohort", "variables"]


def test_reviewer_attributes_and_columns(cohort):
    for conf_type in ("log-log", "log", "plain"):
        survival.kaplan_meier(cohort, conf_type=conf_type)
    assert survival.logrank(cohort, rho=1).pvalue < 1
    for transform in ("km", "rank", "identity"):
        survival.cox(cohort, ["closure"], ph_transform=transform)
    survival.cox(cohort, ["closure", "closure:sex"])
    survival.cox(cohort, ["closure*sex"])
    survival.fine_gray(cohort, ["closure:approach", "closure"])
    sg = survival.subgroups(cohort, ["approach"])
    assert list(sg.table.columns[:9]) == [
        "variable",
        "level",
        "n",
        "events",
        "hr",
        "ci_low",
        "ci_high",
        "pvalue",
        "interaction_pvalue",
    ]
    import matplotlib.pyplot as plt

    assert sg.plot() is not None
    plt.close("all")
    assert survival.subgroups(cohort, ["sex"], model="fine_gray").table["hr"].notna().all()
    km = survival.kaplan_meier(cohort)
    assert isinstance(km.risk_table, pd.DataFrame) and isinstance(km.median, pd.DataFrame)
    assert isinstance(survival.cumulative_incidence(cohort).risk_table, pd.DataFrame)
