"""The result of :func:`~recurrence.design.power.simulate_power`: :class:`PowerResult`
(tables, summary, notebook display, plot); :func:`power_curve_data`, what its plot
draws, lives in :mod:`recurrence.plotting.design`. Both are imported from
:mod:`recurrence.design.power`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._format import display_frame, fmt_setting, html_table
from ..plotting.design import power_curve_data
from ..results import ResultMixin
from . import _execution
from ._trials import GRID

__all__ = ["PowerResult", "power_curve_data"]

SUMMARY_COLUMNS = (
    "power",
    "power_mcse",
    "analytic_power",
    "estimate",
    "bias",
    "empirical_se",
    "model_se",
    "coverage",
    "events",
)


@dataclass(frozen=True, repr=False)
class PowerResult(ResultMixin):
    """Simulated power of the planned analysis, one row per scenario and analysis.

    Attributes
    ----------
    table
        The scenario (``n_per_arm``, ``hr``, ``accrual``, ``followup``,
        ``competing_rate``, ``loss_rate``, ``population``, ``control_incidence``,
        ``horizon``), ``analysis``, ``replicates``, and: ``power``, ``power_mcse``;
        ``analytic_power`` (:func:`analytic_power`, the formula for the same design);
        ``estimate`` (exp of the mean log HR/SHR), ``mean_coef`` (mean log estimate),
        ``bias`` (mean log estimate − ln ``hr``), ``bias_mcse``, ``empirical_se`` (SD of
        the log estimates), ``model_se`` (root mean of the model variances),
        ``coverage`` (of the ``level`` interval, for ln ``hr``), ``coverage_mcse``;
        ``events``, ``competing`` (mean per trial), ``failed`` (replicates without a
        result). Estimate columns are NaN for Gray's test. Never rounded.
    trials
        One row per simulated trial and analysis: ``scenario``, ``analysis``,
        ``replicate``, ``events``, ``competing``, ``n_closure``, ``z`` (negative favours
        closure), ``pvalue``, ``reject``, ``coef``, ``se``, ``ok``.
    seed
        The root seed (drawn and recorded when none was given).
    replicates, alpha, sides, level, hazard, analyses
        The settings.
    execution
        How it ran: ``backend``, ``workers``, ``seconds``.
    """

    table: pd.DataFrame
    trials: pd.DataFrame = field(repr=False)
    seed: int = 0
    replicates: int = 0
    alpha: float = 0.05
    sides: int = 2
    level: float = 0.95
    hazard: str = "cohort"
    analyses: tuple[str, ...] = ("logrank",)
    execution: _execution.Execution | None = field(default=None, compare=False)
    remarks: tuple[str, ...] = ()

    title = "Simulated power of the planned analysis"

    @property
    def power(self):
        """Power: a float for one scenario and analysis, else a Series (rows of ``table``)."""
        return self._column("power")

    @property
    def power_mcse(self):
        """Monte Carlo standard error of :attr:`power` (same shape)."""
        return self._column("power_mcse")

    def _column(self, name):
        col = self.table[name]
        return float(col.iloc[0]) if len(col) == 1 else col

    def varying(self) -> list[str]:
        """Scenario columns that take more than one value (and ``analysis`` if several)."""
        cols = [c for c in GRID if len(self.table[c].drop_duplicates()) > 1]
        return cols + (["analysis"] if len(self.analyses) > 1 else [])

    def summary_lines(self) -> list[str]:
        test = f"{'two' if self.sides == 2 else 'one'}-sided alpha {fmt_setting(self.alpha)}"
        fixed = [
            f"{c} {fmt_setting(self.table[c].iloc[0])}"
            for c in GRID
            if c not in self.varying() and self.table[c].notna().iloc[0]
        ]
        lines = [
            f"{self.replicates:,} simulated trials per scenario ({self.hazard} hazard), "
            f"{test}; seed {self.seed}",
            "fixed: " + ", ".join(fixed),
        ]
        if len(self.analyses) == 1:
            lines.append(f"analysis: {self.analyses[0]}")
        return lines

    def _display_frame(self) -> pd.DataFrame:
        return self.table[self.varying() + list(SUMMARY_COLUMNS)]

    def summary(self) -> str:
        parts = [
            self.title,
            *self.summary_lines(),
            display_frame(self._display_frame()).to_string(),
        ]
        return "\n".join(parts + [f"[{i}] {r}" for i, r in enumerate(self.remarks, 1)])

    def _repr_html_(self) -> str:
        import html

        lines = "".join(f"<div>{html.escape(x)}</div>" for x in self.summary_lines())
        notes = "".join(f"<li>{html.escape(r)}</li>" for r in self.remarks)
        return (
            f"<div><strong>{html.escape(self.title)}</strong>{lines}"
            f"{html_table(self._display_frame(), index=False)}"
            f"<ol class='remarks'>{notes}</ol></div>"
        )

    def plot(
        self, ax=None, x: str | None = None, target: float | None = 0.8, analytic: bool = True
    ):
        """Power against ``x`` (default: the first varying scenario column) with
        ±1.96·MCSE error bars, one line per combination of the other varying columns;
        the formula's power dashed, and the ``target`` power as a grey line
        (:func:`recurrence.plotting.design.plot_power`)."""
        from ..plotting.design import plot_power

        return plot_power(self, ax=ax, x=x, target=target, analytic=analytic)
