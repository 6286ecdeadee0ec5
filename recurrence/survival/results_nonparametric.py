"""What the curve results (Kaplan-Meier, cumulative incidence) share.

A curve result holds one tidy ``table``: one row per group and distinct time at which
anything happens in that group (as ``summary(survfit(...), censored = TRUE)``), with
the patients at risk, the exits (events of interest, competing events, censored) and
the estimate with its standard error and interval. Everything else reads that table:
``.at(times)`` looks up the step function, ``.at_risk(times)`` counts the patients at
risk and the exits per interval, plots draw it. Displays show a per-group overview, not
the (possibly very long) curve table.
"""

from __future__ import annotations

import html
from typing import ClassVar

import numpy as np
import pandas as pd

from .._format import display_frame, html_table
from .._validate import check_times
from ..plotting._ticks import default_ticks
from ..results import ResultMixin
from ._core.nonparametric import step_index

__all__ = ["CURVE_COUNTS", "CurveResultMixin", "curve_frame", "curve_table"]

#: The count columns of every curve table, in order.
CURVE_COUNTS = ("at_risk", "events", "competing", "censored")


def curve_frame(group: str, time, counts: dict, values: dict) -> dict[str, object]:
    """One group's block of a curve table, as arrays (joined by :func:`curve_table`)."""
    block: dict[str, object] = {"group": group, "time": np.asarray(time, dtype=float)}
    block.update({k: np.asarray(counts[k], dtype=np.int64) for k in CURVE_COUNTS})
    block.update({k: np.asarray(v, dtype=float) for k, v in values.items()})
    return block


def curve_table(groups: tuple[str, ...], blocks: list[dict]) -> pd.DataFrame:
    """The tidy curve table: blocks stacked in group order, ``group`` categorical
    (categories in group order, reference first). One DataFrame construction, no concat
    of frames, so a million-row curve costs milliseconds."""
    sizes = [len(b["time"]) for b in blocks]
    codes = np.repeat(np.arange(len(blocks)), sizes)
    frame = {"group": pd.Categorical.from_codes(codes, categories=list(groups))}
    for col in blocks[0]:
        if col != "group":
            frame[col] = np.concatenate([b[col] for b in blocks])
    return pd.DataFrame(frame)


class CurveResultMixin(ResultMixin):
    """Lookups and displays of a frozen dataclass with ``table``, ``groups`` and
    ``overview`` fields.

    Subclasses set ``value_columns`` (the estimate, its ``se``, ``ci_low``, ``ci_high``)
    and ``start_values`` (their values before the first time: 1 for survival, 0 for
    incidence).
    """

    value_columns: ClassVar[tuple[str, ...]] = ()
    start_values: ClassVar[tuple[float, ...]] = ()
    # fields of each subclass
    groups: tuple[str, ...]
    overview: pd.DataFrame
    _blocks: dict[str, slice | np.ndarray]

    def __post_init__(self):
        # contiguous row blocks of the groups (the table is sorted by group, then time)
        codes = pd.Categorical(self.table["group"], categories=list(self.groups)).codes
        bounds = {}
        for i, g in enumerate(self.groups):
            rows = np.flatnonzero(codes == i)
            contiguous = len(rows) and rows[-1] - rows[0] + 1 == len(rows)
            bounds[g] = slice(int(rows[0]), int(rows[-1]) + 1) if contiguous else rows
        object.__setattr__(self, "_blocks", bounds)

    # -- per group ----------------------------------------------------------------------
    def _block(self, group: str) -> dict[str, np.ndarray]:
        rows = self._blocks[group]
        return {c: self.table[c].to_numpy()[rows] for c in self.table.columns if c != "group"}

    def _group_size(self, group: str) -> int:
        return int(self.overview.loc[self.overview["group"] == group, "n"].iloc[0])

    @property
    def max_time(self) -> float:
        """The last time of any group (months)."""
        return float(self.table["time"].max()) if len(self.table) else 0.0

    def at(self, times) -> pd.DataFrame:
        """The step function at ``times`` (months), per group.

        Returns a DataFrame with ``group``, ``time``, the estimate, ``ci_low``,
        ``ci_high``, ``at_risk`` (patients with time ≥ t) and ``se``. Before a group's first
        time the estimate is its starting value. After its last follow-up time it is
        not estimable (NaN, at risk 0), unless the curve is final there: a Kaplan-Meier
        curve that has reached 0 stays 0, without an interval, as R's ``summary(fit,
        times, extend = TRUE)``.
        """
        times = check_times(times)
        parts = []
        for g in self.groups:
            b = self._block(g)
            t = b["time"]
            idx = step_index(t, times)
            out = {"group": np.full(len(times), g, dtype=object), "time": times}
            beyond = times > (t[-1] if len(t) else -np.inf)
            if self._is_final(b):
                beyond = np.zeros(len(times), bool)
            for col, start in zip(self.value_columns, self.start_values, strict=True):
                vals = np.where(idx >= 0, b[col][np.maximum(idx, 0)], start)
                out[col] = np.where(beyond, np.nan, vals)
            nxt = np.searchsorted(t, times, side="left")
            risk = np.where(nxt < len(t), b["at_risk"][np.minimum(nxt, len(t) - 1)], 0)
            out["at_risk"] = np.where(times <= 0, self._group_size(g), risk).astype(np.int64)
            parts.append(pd.DataFrame(out))
        frame = pd.concat(parts, ignore_index=True)
        # the documented columns first, in order (docs/survival.md); the standard error after them
        first = ["group", "time", self.value_columns[0], "ci_low", "ci_high", "at_risk"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def _is_final(self, block) -> bool:
        """Whether the curve keeps its last value after its last time (Kaplan-Meier:
        once it has reached 0). Incidence curves stay NaN there, as
        ``cmprsk::timepoints`` reports them."""
        return False

    def risk_table_at(self, times=None) -> pd.DataFrame:
        """The KMunicate table as data (Morris et al., BMJ Open 2019): per group and
        time t, the patients at risk at t (time ≥ t) and the cumulative counts up to and
        including t, as ``summary(survfit(...), times)`` counts them (``n.risk`` and the
        cumulative sums of ``n.event``, ``n.censor``).

        Columns ``group``, ``time``, ``at_risk``, ``cumulative_events`` (of interest),
        ``cumulative_competing`` (the other cause), ``cumulative_censored``. ``times``
        default to readable ticks from 0 to the last follow-up.
        """
        times = default_ticks(self.max_time) if times is None else np.sort(check_times(times))
        parts = []
        for g in self.groups:
            b = self._block(g)
            t = b["time"]
            upto = np.searchsorted(t, times, side="right")  # rows with time ≤ t_i
            nxt = np.searchsorted(t, times, side="left")
            risk = np.where(nxt < len(t), b["at_risk"][np.minimum(nxt, len(t) - 1)], 0)
            out = {
                "group": np.full(len(times), g, dtype=object),
                "time": times,
                "at_risk": np.where(times <= 0, self._group_size(g), risk).astype(np.int64),
            }
            for col in ("events", "competing", "censored"):
                cum = np.concatenate(([0], np.cumsum(b[col])))
                out[f"cumulative_{col}"] = cum[upto].astype(np.int64)
            parts.append(pd.DataFrame(out))
        return pd.concat(parts, ignore_index=True)

    @property
    def risk_table(self) -> pd.DataFrame:
        """:meth:`risk_table_at` the default ticks (what the plots draw under the
        curves)."""
        return self.risk_table_at()

    def at_risk(self, times=None) -> pd.DataFrame:
        """The at-risk table as data: per group and time t_i, the patients at risk at
        t_i and the exits in [t_i, t_{i+1}) (the last interval is open-ended).

        Columns ``group``, ``time``, ``at_risk``, ``events``, ``competing``,
        ``censored``, ``cumulative_events`` (events before t_i, as survminer's
        cumulative-events table). ``times`` default to readable ticks from 0 to the last
        follow-up. At risk at t_{i+1} = at risk at t_i − events − competing − censored.
        """
        times = default_ticks(self.max_time) if times is None else np.sort(check_times(times))
        parts = []
        for g in self.groups:
            b = self._block(g)
            t = b["time"]
            before = np.searchsorted(t, times, side="left")  # rows with time < t_i
            out = {"group": np.full(len(times), g, dtype=object), "time": times}
            nxt = before
            out["at_risk"] = np.where(
                nxt < len(t), b["at_risk"][np.minimum(nxt, len(t) - 1)], 0
            ).astype(np.int64)
            for col in ("events", "competing", "censored"):
                cum = np.concatenate(([0], np.cumsum(b[col])))
                upto = cum[before]
                following = np.append(upto[1:], cum[-1])
                out[col] = (following - upto).astype(np.int64)
                if col == "events":
                    out["cumulative_events"] = upto.astype(np.int64)
            parts.append(pd.DataFrame(out))
        frame = pd.concat(parts, ignore_index=True)
        return frame[
            ["group", "time", "at_risk", "events", "competing", "censored", "cumulative_events"]
        ]

    # -- display ------------------------------------------------------------------------
    def summary(self) -> str:
        parts = [
            self.title,
            *self.summary_lines(),
            display_frame(self.overview).to_string(index=False),
        ]
        parts += [f"[{i}] {r}" for i, r in enumerate(self.remarks, 1)]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        lines = "".join(f"<div>{html.escape(x)}</div>" for x in self.summary_lines())
        notes = (
            "<ol class='remarks'>"
            + "".join(f"<li>{html.escape(r)}</li>" for r in self.remarks)
            + "</ol>"
            if self.remarks
            else ""
        )
        return (
            f"<div><strong>{html.escape(self.title)}</strong>{lines}"
            f"{html_table(self.overview, index=False)}{notes}</div>"
        )


def ties_across_causes(counts: np.ndarray) -> int:
    """Number of (group, time) cells with both a reherniation and a competing event."""
    return int(((counts[..., 1] > 0) & (counts[..., 2] > 0)).sum())
