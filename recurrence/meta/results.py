"""Result objects of the meta-analysis engine: frozen, tidy, with their caveats.

:class:`MetaResult` is what :func:`~recurrence.meta.proportions` and
:func:`~recurrence.meta.compare` return; :class:`TrimFillResult` adds ``k0`` and
``side``. Estimates and intervals are on the natural scale (a proportion, a ratio or a
difference); the model-scale numbers (logit, log ratio, …) stay available as
``yi``/``vi`` and ``se`` for whoever needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._format import fmt, p_text, pct
from ..results import ResultMixin

__all__ = [
    "BayesFit",
    "BiasTest",
    "GlmmFit",
    "InfluenceResult",
    "MetaResult",
    "RegressionResult",
    "SubgroupResult",
    "TrimFillResult",
]

_SCALE_NAMES = {
    "logit": "logit",
    "ft": "Freeman-Tukey double arcsine",
    "arcsine": "arcsine",
    "raw": "untransformed",
    "glmm": "logit (binomial-normal GLMM)",
}
_METHOD_NAMES = {
    "FE": "common effect (inverse variance)",
    "DL": "DerSimonian-Laird",
    "REML": "REML",
    "ML": "ML",
    "PM": "Paule-Mandel",
    "EB": "empirical Bayes",
    "HE": "Hedges",
    "SJ": "Sidik-Jonkman",
    "MH": "Mantel-Haenszel",
    "PETO": "Peto",
    "GLMM": "binomial-normal GLMM (ML, 7-point AGHQ)",
    "bayes": "Bayesian random effects (flat prior on the mean)",
}


@dataclass(frozen=True)
class GlmmFit:
    """What a binomial-normal GLMM fit adds to a pooled result.

    Attributes
    ----------
    loglik
        Maximised log-likelihood.
    nagq
        Number of adaptive Gauss-Hermite quadrature points.
    q_lrt, q_lrt_pvalue
        Likelihood-ratio test of τ² = 0 against the saturated model (metafor's
        ``QE.LRT``), ``None`` where it is not computed.
    """

    loglik: float
    nagq: int
    q_lrt: float | None = None
    q_lrt_pvalue: float | None = None


@dataclass(frozen=True)
class BayesFit:
    """What a Bayesian random-effects fit adds to a pooled result (model scale).

    Attributes
    ----------
    tau_prior
        The prior on τ, as text.
    tau_ci, tau_median
        Posterior quantiles of τ at the analysis level, and its posterior median.
    mu_mean
        Posterior mean of the pooled mean.
    prob_below_zero
        Posterior probability that the pooled mean is below 0 (the null).
    shrinkage
        Per-study shrinkage estimates: one row per study, columns low, median, high.
    posterior
        The posterior object (grid over τ) that the Bayesian plots read.
    z_level
        The normal quantile of the level.
    """

    tau_prior: str
    tau_ci: tuple[float, float]
    tau_median: float
    mu_mean: float
    prob_below_zero: float
    shrinkage: np.ndarray = field(repr=False)
    posterior: Any = field(repr=False)
    z_level: float


@dataclass(frozen=True, repr=False)
class MetaResult(ResultMixin):
    """A pooled proportion or comparison.

    Attributes
    ----------
    estimate, ci_low, ci_high
        Pooled estimate and its interval, natural scale.
    pi_low, pi_high
        Prediction interval (``None`` for common-effect, MH and Peto models and k < 3).
    tau2, tau2_ci_low, tau2_ci_high
        Between-study variance on the model scale and its Q-profile interval.
    i2, h2, q, q_df, q_pvalue
        Heterogeneity: I² in percent, H², Cochran's Q, its df and p-value.
    pvalue, statistic
        Test of the model-scale estimate against 0 (log ratio 0, RD 0; for proportions
        the transformed value 0, e.g. p = 0.5 on the logit scale: rarely of interest).
    k
        Number of studies in the analysis.
    table
        One row per study: ``study``, counts, ``estimate``, ``ci_low``, ``ci_high``,
        ``weight`` (percent, this model), ``weight_common`` (percent, common effect),
        ``yi``, ``vi`` (model scale), ``included``, ``corrected``.
    common
        The common-effect (inverse-variance; MH/Peto for those methods) estimate on the
        natural scale: ``estimate``, ``ci_low``, ``ci_high``, ``pvalue``.
    estimate_model, se_usual, ci_model, pi_model, fe_model
        The pooled estimate on the model scale (logit, log ratio, ...), its usual
        (not HKSJ-widened) standard error, its interval and prediction interval on that
        scale, and the common-effect fit there (``estimate``, ``se``, ``ci_low``, ...).
    glmm
        :class:`GlmmFit` of a binomial-normal GLMM (``None`` for other methods).
    bayes
        :class:`BayesFit` of ``method="bayes"`` (``None`` otherwise).
    """

    title: ClassVar[str] = "Meta-analysis"

    kind: str
    measure: str
    scale: str
    method: str
    hksj: bool | str  # False, True or "adhoc"
    level: float
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    tau2: float
    tau2_ci_low: float | None
    tau2_ci_high: float | None
    i2: float
    h2: float | None
    q: float
    q_df: int
    q_pvalue: float | None
    pvalue: float
    statistic: float
    df: float | None
    se: float
    k: int
    table: pd.DataFrame
    common: dict = field(default_factory=dict)
    remarks: tuple[str, ...] = ()
    converged: bool = True
    yi: np.ndarray | None = field(default=None, repr=False)  # always set by meta._fit
    vi: np.ndarray | None = field(default=None, repr=False)
    spec: Any = field(default=None, repr=False)
    estimate_model: float = field(default=float("nan"), repr=False)
    se_usual: float = field(default=float("nan"), repr=False)
    ci_model: tuple[float, float] | None = field(default=None, repr=False)
    pi_model: tuple[float | None, float | None] | None = field(default=None, repr=False)
    fe_model: dict = field(default_factory=dict, repr=False)
    glmm: GlmmFit | None = field(default=None, repr=False)
    bayes: BayesFit | None = field(default=None, repr=False)

    @property
    def tau(self) -> float:
        """Between-study standard deviation on the model scale."""
        return float(np.sqrt(self.tau2))

    @property
    def tau_ci(self) -> tuple[float, float] | None:
        """Interval of τ: the posterior quantiles for ``method="bayes"``, the square
        roots of the Q-profile interval of τ² otherwise (``None`` when there is none)."""
        if self.bayes is not None:
            return self.bayes.tau_ci
        if self.tau2_ci_low is None:
            return None
        assert self.tau2_ci_high is not None  # the two bounds are set together
        return (float(np.sqrt(self.tau2_ci_low)), float(np.sqrt(self.tau2_ci_high)))

    @property
    def tau_prior(self) -> str | None:
        """The prior on τ of a Bayesian fit (``None`` otherwise)."""
        return None if self.bayes is None else self.bayes.tau_prior

    @property
    def studies(self) -> list[str]:
        """Labels of the studies in the analysis, in order."""
        return self.table.loc[self.table["included"], "study"].tolist()

    @property
    def is_ratio(self) -> bool:
        return self.measure in ("RR", "OR", "HR")

    def describe_model(self) -> str:
        scale = _SCALE_NAMES.get(self.scale, self.scale)
        method = _METHOD_NAMES.get(self.method, self.method)
        what = "proportion" if self.kind == "proportion" else self.measure
        hk = {True: ", HKSJ", "adhoc": ", modified HKSJ (ad hoc)"}.get(self.hksj, "")
        if self.method == "bayes":
            hk = f", τ ~ {self.tau_prior}"
        on = f" on the {scale} scale" if self.kind == "proportion" and self.scale != "glmm" else ""
        return f"{what}, {method}{hk}{on}, k = {self.k}"

    def summary_lines(self) -> list[str]:
        show = pct if self.kind == "proportion" else fmt
        lvl = f"{100 * self.level:g}%"
        if self.method == "bayes":
            bayes = self.bayes
            assert bayes is not None  # a fit with method="bayes" keeps its BayesFit
            tau_ci = bayes.tau_ci  # = self.tau_ci
            lines = [
                self.describe_model(),
                f"posterior median {show(self.estimate)} ({lvl} credible interval "
                f"{show(self.ci_low)} to {show(self.ci_high)}), P(effect below null) = "
                f"{bayes.prob_below_zero:.3f}",
                f"predictive interval {show(self.pi_low)} to {show(self.pi_high)}; "
                f"τ posterior median {fmt(self.tau, 3)} ({lvl} interval "
                f"{fmt(tau_ci[0], 3)} to {fmt(tau_ci[1], 3)})",
            ]
        else:
            lines = [
                self.describe_model(),
                f"estimate {show(self.estimate)} ({lvl} CI {show(self.ci_low)} to "
                f"{show(self.ci_high)}), {p_text(self.pvalue)}",
            ]
        if self.pi_low is not None and self.method != "bayes":
            lines.append(f"prediction interval {show(self.pi_low)} to {show(self.pi_high)}")
        het = (
            f"τ² = {fmt(self.tau2, 3)}, I² = {self.i2:.1f}%, Q = {fmt(self.q)} on {self.q_df} df"
            f", {p_text(self.q_pvalue)}"
        )
        lines.append(het)
        return lines

    def to_frame(self) -> pd.DataFrame:
        """The per-study table (unrounded)."""
        return self.table.copy()

    def summary_frame(self) -> pd.DataFrame:
        """One row with the pooled numbers (natural scale), for reports."""
        return pd.DataFrame(
            [
                {
                    "measure": self.measure,
                    "method": self.method,
                    "k": self.k,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "pi_low": self.pi_low,
                    "pi_high": self.pi_high,
                    "pvalue": self.pvalue,
                    "tau2": self.tau2,
                    "i2": self.i2,
                    "q": self.q,
                    "q_pvalue": self.q_pvalue,
                }
            ]
        )

    def plot(self, ax=None, **kwargs):
        """Forest plot (see :func:`recurrence.plotting.plot_forest`)."""
        from ..plotting.forest import plot_forest

        return plot_forest(self, ax=ax, **kwargs)

    def plot_tau(self, ax=None, **kwargs):
        """Posterior density of τ of a Bayesian fit (see
        :func:`recurrence.plotting.plot_tau_posterior`)."""
        from ..plotting.bayes import plot_tau_posterior

        return plot_tau_posterior(self, ax=ax, **kwargs)

    def plot_funnel(self, ax=None, **kwargs):
        """Contour-enhanced funnel plot (see :func:`recurrence.plotting.plot_funnel`)."""
        from ..plotting.funnel import plot_funnel

        return plot_funnel(self, ax=ax, **kwargs)


@dataclass(frozen=True, repr=False)
class TrimFillResult(MetaResult):
    """A trim-and-fill result: the model refitted with ``k0`` filled studies on ``side``.

    ``table`` has the filled studies last, with ``filled`` True.
    """

    title: ClassVar[str] = "Trim and fill"

    k0: int = 0
    side: str = "left"
    se_k0: float | None = None

    def summary_lines(self) -> list[str]:
        return [f"{self.k0} studies filled on the {self.side}", *super().summary_lines()]


@dataclass(frozen=True, repr=False)
class BiasTest(ResultMixin):
    """A test for funnel-plot asymmetry: ``statistic``, ``pvalue`` and its details."""

    title: ClassVar[str] = "Small-study effects"

    test: str
    statistic: float
    pvalue: float
    k: int
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    df: float | None = None
    estimate: float | None = None
    remarks: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        df = f" on {self.df:g} df" if self.df is not None else ""
        return [
            f"{self.test}: statistic {fmt(self.statistic)}{df}, {p_text(self.pvalue)}, k = {self.k}"
        ]


@dataclass(frozen=True, repr=False)
class RegressionResult(ResultMixin):
    """Mixed-effects meta-regression.

    ``table`` indexed by term (``intercept`` first): ``coef``, ``se``, ``statistic``,
    ``pvalue``, ``ci_low``, ``ci_high`` on the model scale (log ratio, logit, …), and
    ``ratio`` (exp of coef) for ratio measures. ``qm``/``qm_df``/``qm_pvalue``: omnibus
    test of the moderators; ``qe``/``qe_pvalue``: residual heterogeneity; ``tau2``:
    residual τ²; ``r2``: proportion of τ² explained (percent, floored at 0).
    """

    title: ClassVar[str] = "Meta-regression"

    table: pd.DataFrame
    qm: float
    qm_df: int
    qm_pvalue: float
    qe: float
    qe_df: int
    qe_pvalue: float | None
    tau2: float
    i2: float
    r2: float | None
    k: int
    method: str
    test: str = "z"
    remarks: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        stat = "F" if self.test == "t" else "QM"
        return [
            f"mixed effects ({self.method} τ²), k = {self.k}",
            f"{stat} = {fmt(self.qm)} on {self.qm_df} df, {p_text(self.qm_pvalue)}; "
            f"residual τ² = {fmt(self.tau2, 3)}, QE = {fmt(self.qe)}, "
            f"{p_text(self.qe_pvalue)}",
        ]


@dataclass(frozen=True, repr=False)
class SubgroupResult(ResultMixin):
    """Per-subgroup pooled estimates and the test for subgroup differences.

    ``table``: one row per subgroup (``subgroup``, ``k``, ``estimate``, ``ci_low``,
    ``ci_high``, ``pi_low``, ``pi_high``, ``tau2``, ``i2``, ``q``, ``pvalue``);
    ``results``: the subgroup :class:`MetaResult` objects; ``overall``: all studies
    together; ``q_between``/``df_between``/``pvalue_between``: Cochran's Q across
    subgroup estimates (each with its own τ²); ``tests``: that test and the
    mixed-effects moderator test with a common τ² (``QM``).
    """

    title: ClassVar[str] = "Subgroups"

    table: pd.DataFrame
    results: dict
    overall: MetaResult
    q_between: float
    df_between: int
    pvalue_between: float | None
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    by: str = "subgroup"
    remarks: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        return [
            f"{len(self.results)} subgroups by {self.by}; test for subgroup differences: "
            f"Q = {fmt(self.q_between)} on {self.df_between} df, "
            f"{p_text(self.pvalue_between)}"
        ]

    def plot(self, ax=None, **kwargs):
        """Forest plot with a block and diamonds per subgroup."""
        from ..plotting.forest import plot_forest

        return plot_forest(self, ax=ax, **kwargs)


@dataclass(frozen=True, repr=False)
class InfluenceResult(ResultMixin):
    """Influence diagnostics per study, as ``metafor::influence``.

    ``table``: ``study``, ``rstudent``, ``dffits``, ``cook_d``, ``cov_r``, ``tau2_del``,
    ``q_del``, ``hat``, ``weight``, ``dfbetas``, ``influential`` (metafor's flag: |dffits|
    > 3√(1/(k−1)), Cook's distance beyond the χ²(1) median, hat > 3/k, or |dfbetas| > 1).
    """

    title: ClassVar[str] = "Influence diagnostics"

    table: pd.DataFrame
    remarks: tuple[str, ...] = ()

    def summary_lines(self) -> list[str]:
        n = int(self.table["influential"].sum())
        return [f"{n} influential stud{'y' if n == 1 else 'ies'} of {len(self.table)}"]


def pooled_row(res: MetaResult) -> dict:
    """The pooled numbers of one fit, as a row of a sensitivity or subgroup table."""
    return {
        "k": res.k,
        "estimate": res.estimate,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "pi_low": res.pi_low,
        "pi_high": res.pi_high,
        "pvalue": res.pvalue,
        "tau2": res.tau2,
        "i2": res.i2,
        "q": res.q,
        "q_pvalue": res.q_pvalue,
    }
