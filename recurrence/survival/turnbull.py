"""Turnbull's nonparametric estimate of survival when reherniation is seen on imaging.

A reherniation found at a scheduled MRI happened at some time after the last clean scan
(``time_left``) and before the scan that found it (``time``). Treating the scan date as
the event date shifts every event late and makes intervals too narrow, more so in an arm
imaged less often. The nonparametric maximum-likelihood estimate (NPMLE; Turnbull 1976)
uses the intervals as they are. It is a step function that drops only inside Turnbull's
innermost intervals, and it does not say *where* inside them: there the curve is not
identified. As R's ``survfit(Surv(left, right, type = "interval2") ~ group)`` does, the
drop is placed at the midpoint of each interval for tables and lookups; the plot shows
the interval as a box instead. The pure algorithm (support points, SQUAREM-accelerated
self-consistency, Kuhn-Tucker check) is in ``_np_turnbull.py``, and why it is not
lifelines' NPMLE is in ``_lifelines.py``.

Confidence intervals come from a seeded nonparametric bootstrap (patients resampled
within each group, percentile intervals); there is no closed-form variance for the
NPMLE (Greenwood's formula does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._format import display_frame, html_table, plural
from .._validate import check_level, check_times
from ..errors import ConvergenceWarning, StatisticalWarning, warn
from ..results import ResultMixin
from ._intervals import EXACT, INTERVAL, RIGHT, interval_data
from ._np_turnbull import npmle, survival_at

__all__ = ["TurnbullResult", "turnbull"]

#: Masses below this are reported but ignored when marking non-identified regions.
MASS_SHOWN = 1e-9
#: A last drop larger than this (and twice any other) earns a remark.
LAST_DROP = 0.05
#: Convergence of the bootstrap fits (the curve moves less than this).
BOOT_TOL = 1e-9


@dataclass(frozen=True, repr=False)
class TurnbullResult(ResultMixin):
    """Turnbull NPMLE per group.

    Attributes
    ----------
    table
        One row per group and support point: ``group``, ``time`` (where R places the
        drop: the midpoint of the Turnbull interval, or the day of an exact event),
        ``lower``, ``upper`` (the Turnbull interval (lower, upper]; equal for an exact
        event), ``mass`` (probability of the event in that interval), ``survival``
        (just after ``time``), ``ci_low``, ``ci_high`` (bootstrap percentile interval of
        the survival at ``time``; NaN without bootstrap).
    overview
        Per group: ``n``, ``exact``, ``interval``, ``right_censored`` (patients),
        ``loglik``, ``iterations``, ``max_time`` (the last time with information) and
        ``beyond`` (mass after the last support point: the curve's level at the end).
    groups, level, by, n_boot, seed
        Groups (reference first), interval level, grouping column, bootstrap size and
        seed.
    remarks
        Caveats: event dates taken as exact, competing events censored, convergence.
    """

    table: pd.DataFrame
    overview: pd.DataFrame
    groups: tuple[str, ...]
    level: float
    by: str | None
    n_boot: int
    seed: int | None
    replicates: dict = field(default_factory=dict, repr=False)
    remarks: tuple[str, ...] = ()

    title: ClassVar[str] = "Turnbull estimate (interval-censored)"

    def _group(self, g: str) -> pd.DataFrame:
        return self.table[self.table["group"] == g]

    def at(self, times) -> pd.DataFrame:
        """Survival at ``times`` (months), per group.

        Columns ``group``, ``time``, ``survival`` (R's convention: drops at interval
        midpoints), ``ci_low``, ``ci_high`` (bootstrap), ``range_low``, ``range_high``
        (the values the NPMLE leaves open at that time: inside a Turnbull interval
        any value between the levels before and after it fits the data equally well;
        equal to ``survival`` where the curve is identified) and ``identified``.
        After a group's last time with information the survival is NaN.
        """
        times = check_times(times)
        parts = []
        q = (1 - self.level) / 2
        for g in self.groups:
            b = self._group(g)
            t, s = b["time"].to_numpy(), b["survival"].to_numpy()
            surv = survival_at(t, s, times)
            lo, up, mass = (b[c].to_numpy() for c in ("lower", "upper", "mass"))
            before = np.concatenate(([1.0], s[:-1]))
            inside = (lo[None, :] < times[:, None]) & (times[:, None] < up[None, :])
            inside &= mass[None, :] > MASS_SHOWN
            high = np.where(inside, before, -np.inf).max(1, initial=-np.inf)
            low = np.where(inside, s, np.inf).min(1, initial=np.inf)
            high = np.where(inside.any(axis=1), high, surv)
            low = np.where(inside.any(axis=1), low, surv)
            reps = self.replicates.get(g, ())
            if reps:
                boot = np.array([survival_at(rt, rs, times) for rt, rs in reps])
                ci_low, ci_high = np.quantile(boot, [q, 1 - q], axis=0)
            else:
                ci_low = ci_high = np.full(len(times), np.nan)
            end = float(self.overview.loc[self.overview["group"] == g, "max_time"].iloc[0])
            beyond = times > end
            out = {
                "group": np.full(len(times), g, dtype=object),
                "time": times,
                "survival": surv,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "range_low": low,
                "range_high": high,
            }
            frame = pd.DataFrame(out)
            frame.loc[beyond, ["survival", "ci_low", "ci_high", "range_low", "range_high"]] = np.nan
            frame["identified"] = ~inside.any(axis=1) & ~beyond
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    @property
    def max_time(self) -> float:
        """The last time with information in any group (months)."""
        return float(self.overview["max_time"].max())

    def summary_lines(self) -> list[str]:
        boot = (
            f"{self.level:.0%} bootstrap interval ({self.n_boot} resamples, seed {self.seed})"
            if self.n_boot
            else "no bootstrap interval (n_boot=0)"
        )
        return [
            f"Survival free of reherniation, interval-censored; {boot}; "
            + "; ".join(
                f"{r.group}: {r.n:,} patients, {r.interval:,} interval-censored, "
                f"{r.exact:,} exact events"
                for r in self.overview.itertuples()
            )
        ]

    def summary(self) -> str:
        parts = [
            self.title,
            *self.summary_lines(),
            display_frame(self.overview).to_string(index=False),
        ]
        parts += [f"[{i}] {r}" for i, r in enumerate(self.remarks, 1)]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        import html

        lines = "".join(f"<div>{html.escape(x)}</div>" for x in self.summary_lines())
        notes = "".join(f"<li>{html.escape(r)}</li>" for r in self.remarks)
        notes = f"<ol class='remarks'>{notes}</ol>" if notes else ""
        return (
            f"<div><strong>{html.escape(self.title)}</strong>{lines}"
            f"{html_table(self.overview, index=False)}{notes}</div>"
        )

    def plot(self, ax=None, **kwargs):
        """The step functions with the Turnbull intervals drawn as boxes; see
        :func:`recurrence.plotting.plot_turnbull`."""
        from ..plotting.interval import plot_turnbull

        return plot_turnbull(self, ax=ax, **kwargs)


def _last_drop(name: str, fit) -> list[str]:
    """A remark when the last drop dwarfs the others: the NPMLE moves there the
    probability of everyone censored before it (nothing in the data says it belongs
    later), so the end of the curve is the least reliable part."""
    mass = fit.mass[:-1]
    shown = np.flatnonzero(mass > MASS_SHOWN)
    if len(shown) < 2:
        return []
    last, earlier = shown[-1], mass[shown[:-1]].max()
    if mass[last] <= LAST_DROP or mass[last] <= 2 * earlier:
        return []
    return [
        f"{name}: the last drop ({mass[last]:.0%}, in ({fit.lower[last]:.2f}, "
        f"{fit.upper[last]:.2f}] months) also takes the probability of the patients censored "
        f"before it with no later scan: read the curve before {fit.lower[last]:.1f} months"
    ]


def turnbull(
    cohort: pd.DataFrame,
    by: str | None = "closure",
    *,
    level: float = 0.95,
    n_boot: int = 200,
    seed: int | None = 20261124,
    progress=None,
) -> TurnbullResult:
    """Turnbull's NPMLE of survival free of reherniation, per group.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`). With a ``time_left`` column
        (the last clean scan, months), a reherniation with ``time_left`` given lies in
        (``time_left``, ``time``]; without it, on day ``time``. Competing events
        (event 2) are censored at ``time``, as in Kaplan-Meier.
    by
        Grouping column (default ``"closure"``); ``None`` for the whole cohort.
    level
        Level of the bootstrap percentile interval.
    n_boot
        Bootstrap resamples per group (0: no interval).
    seed
        Seed of the bootstrap (the same seed gives the same interval).
    progress
        ``None``: a progress bar when someone can see it (a notebook or a terminal,
        never under pytest or with ``RECURRENCE_PROGRESS=0``); ``True``/``False``
        force it; a callable ``progress(done, total)`` receives the count.

    Returns
    -------
    TurnbullResult
        ``.at(times)``, ``.table``, ``.overview``, ``.plot()``.

    Examples
    --------
    >>> from recurrence import simulate_cohort
    >>> cohort = simulate_cohort(400, seed=5, visits=(1.5, 3, 6, 12, 24, 36, 60))
    >>> fit = turnbull(cohort, n_boot=20)
    >>> cols = ["group", "time", "survival", "range_low", "range_high", "identified"]
    >>> fit.at([12, 24])[cols].round(3)
            group  time  survival  range_low  range_high  identified
    0  no closure  12.0     0.934      0.934       0.934        True
    1  no closure  24.0     0.872      0.872       0.872        True
    2     closure  12.0     0.970      0.970       0.995       False
    3     closure  24.0     0.961      0.961       0.961        True

    At 12 months the closure curve is inside a Turnbull interval: any value between
    0.970 and 0.995 fits the scans equally well.
    """
    from ..design._execution import _progress

    level = check_level(level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        from ..errors import DataError, Problem

        raise DataError(
            Problem(f"n_boot must be a whole number ≥ 0 (got {n_boot!r})", fix="e.g. n_boot=200"),
            loading=False,
        )
    data = interval_data(cohort, by)
    remarks = list(data.remarks)
    blocks, rows, replicates = [], [], {}
    ss = np.random.SeedSequence(seed)
    children = ss.spawn(len(data.groups))
    total = int(n_boot) * len(data.groups)
    with _progress(progress, total, "bootstrap", unit="resample") as advance:
        for g, name in enumerate(data.groups):
            sel = data.group == g
            left, right, kind = data.left[sel], data.right[sel], data.kind[sel]
            fit = npmle(left, right, kind)
            if not fit.converged:
                msg = (
                    f"the Turnbull estimate of the {name} group did not converge in "
                    f"{fit.iterations} iterations (Kuhn-Tucker excess {fit.kkt:.1e})"
                )
                warn(msg, ConvergenceWarning)
                remarks.append(msg)
            surv = fit.survival
            remarks += _last_drop(name, fit)
            reps = []
            rng = np.random.default_rng(children[g])
            for _ in range(int(n_boot)):
                idx = rng.integers(0, len(kind), len(kind))
                bf = npmle(left[idx], right[idx], kind[idx], tol=BOOT_TOL)
                reps.append((bf.time, bf.survival))
                advance(1)
            replicates[name] = tuple(reps)
            if reps:
                q = (1 - level) / 2
                boot = np.array([survival_at(rt, rs, fit.time) for rt, rs in reps])
                ci_low, ci_high = np.quantile(boot, [q, 1 - q], axis=0)
            else:
                ci_low = ci_high = np.full(len(fit.time), np.nan)
            finite = np.concatenate([left, right[np.isfinite(right)]])
            blocks.append(
                pd.DataFrame(
                    {
                        "group": name,
                        "time": fit.time,
                        "lower": fit.lower,
                        "upper": fit.upper,
                        "mass": fit.mass[:-1],
                        "survival": surv,
                        "ci_low": ci_low,
                        "ci_high": ci_high,
                    }
                )
            )
            rows.append(
                {
                    "group": name,
                    "n": len(kind),
                    "exact": int((kind == EXACT).sum()),
                    "interval": int((kind == INTERVAL).sum()),
                    "right_censored": int((kind == RIGHT).sum()),
                    "loglik": fit.loglik,
                    "iterations": fit.iterations,
                    "max_time": float(finite.max()),
                    "beyond": float(fit.mass[-1]),
                }
            )
    table = pd.concat(blocks, ignore_index=True)
    table["group"] = pd.Categorical(table["group"], categories=list(data.groups))
    overview = pd.DataFrame(rows)
    n_interval = int(overview["interval"].sum())
    if n_interval == 0:
        remarks.append(
            "no interval-censored patient (no time_left): every event is taken on its day, "
            "and the estimate is Kaplan-Meier's"
        )
    else:
        remarks.append(
            f"{plural(n_interval, 'reherniation')} known only between two scans: the curve "
            "drops somewhere inside each Turnbull interval (placed at its midpoint in "
            "tables, as R's survfit does; drawn as a box)"
        )
    if "event" in cohort.columns and (np.asarray(cohort["event"]) == 2).any():
        remarks.append("competing events (event 2) censored at their date, as in Kaplan-Meier")
    if (overview["interval"] + overview["exact"] == 0).any():
        none = overview.loc[overview["interval"] + overview["exact"] == 0, "group"].tolist()
        msg = f"no reherniation in {', '.join(none)}: the curve stays at 1"
        warn(msg, StatisticalWarning)
        remarks.append(msg)
    return TurnbullResult(
        table=table,
        overview=overview,
        groups=data.groups,
        level=level,
        by=by,
        n_boot=int(n_boot),
        seed=seed,
        replicates=replicates,
        remarks=tuple(remarks),
    )
