"""The rows of a forest plot as text: estimates with their intervals, counts,
heterogeneity, and which studies to highlight. Used by
:func:`recurrence.plotting.forest.forest_data`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import effect_ci, events_of, p_relation

_MODEL_LABELS = {"common": "Common effect model", "random": "Random effects model"}


def _p_forest(p) -> str:
    """A p-value after "p" in a forest plot (two decimals from 0.1, as R's meta)."""
    return p_relation(p, two_decimals_from=0.1)


def _het_text(res) -> str:
    if res.k < 2:
        return "Heterogeneity: not applicable (one study)"
    tau2 = f"τ² = {res.tau2:.3g}, " if res.method not in ("FE", "MH", "PETO") else ""
    return (
        f"Heterogeneity: {tau2}I² = {res.i2:.0f}%, Q = {res.q:.2f} (df = {res.q_df}), "
        f"p {_p_forest(res.q_pvalue)}"
    )


#: ``design`` of the study-table row made by :func:`recurrence.meta.cohort_as_study`.
OWN_COHORT = "own cohort"


def _marked(frame) -> set[str]:
    """Studies a study table marks: ``design`` "own cohort" or a true ``highlight``."""
    if not isinstance(frame, pd.DataFrame) or "study" not in frame:
        return set()
    design = frame["design"] if "design" in frame else pd.Series(pd.NA, index=frame.index)
    mark = design.astype("string").str.strip().str.casefold().eq(OWN_COHORT).fillna(False)
    if "highlight" in frame:
        mark |= frame["highlight"].fillna(False).astype(bool)
    return set(frame.loc[mark.astype(bool), "study"].astype(str))


def _highlight_labels(result, highlight) -> set[str]:
    """The studies to highlight: as given, or as marked in the study table the result
    was fitted to (``result.spec.data``, as meta-regression reads it) or its ``table``."""
    if highlight is False:
        return set()
    if highlight is None or highlight is True:
        found = set()
        for res in [
            result,
            getattr(result, "overall", None),
            *getattr(result, "results", {}).values(),
        ]:
            found |= _marked(getattr(res, "table", None))
            found |= _marked(getattr(getattr(res, "spec", None), "data", None))
        return found
    wanted = {highlight} if isinstance(highlight, str) else {str(x) for x in highlight}
    known = set(getattr(result, "overall", result).table["study"].astype(str))
    if unknown := sorted(wanted - known):
        raise ValueError(
            f"highlight={unknown} names no study of the result; its studies are {sorted(known)}"
        )
    return wanted


def _line(kind, label, group=None):
    """A line of text only (a heading, heterogeneity, a test)."""
    return {
        "kind": kind,
        "label": label,
        "estimate": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "weight": np.nan,
        "filled": False,
        "group": group,
        "effect": "",
        "weight_text": "",
    }


def _study_rows(res, percent, digits, group=None, marked=frozenset()):
    rows = []
    t = res.table
    filled = t["filled"].to_numpy(bool) if "filled" in t else np.zeros(len(t), bool)
    for i, r in enumerate(t.itertuples(index=False)):
        row = {
            "kind": "study",
            "label": str(r.study),
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "weight": 0.0,
            "filled": bool(filled[i]),
            "group": group,
            "highlight": not filled[i] and str(r.study) in marked,
        }
        if bool(r.included):
            row.update(
                estimate=float(r.estimate),
                ci_low=float(r.ci_low),
                ci_high=float(r.ci_high),
                weight=float(r.weight),
            )
        if res.kind == "proportion":
            row["events"] = (
                ""
                if filled[i]
                else events_of(getattr(r, "events", None), getattr(r, "total", None))
            )
        else:
            row["closure"] = (
                ""
                if filled[i]
                else events_of(
                    getattr(r, "events_closure", None), getattr(r, "total_closure", None)
                )
            )
            row["control"] = (
                ""
                if filled[i]
                else events_of(
                    getattr(r, "events_control", None), getattr(r, "total_control", None)
                )
            )
        row["effect"] = (
            effect_ci(
                row["estimate"], row["ci_low"], row["ci_high"], percent=percent, digits=digits
            )
            if bool(r.included)
            else "not estimable"
        )
        row["weight_text"] = f"{row['weight']:.1f}%" if bool(r.included) else ""
        rows.append(row)
    return rows


def _pooled_rows(res, percent, digits, common, prefix="", group=None):
    rows = []
    fixed = res.method in ("FE", "MH", "PETO") or res.k < 2
    show_common = fixed or common
    total = {}
    if res.kind == "proportion":
        inc = res.table["included"]
        total["events"] = (
            events_of(res.table.loc[inc, "events"].sum(), res.table.loc[inc, "total"].sum())
            if "events" in res.table and res.table["events"].notna().all()
            else ""
        )
    elif "events_closure" in res.table:
        inc = res.table["included"]
        total["closure"] = events_of(
            res.table.loc[inc, "events_closure"].sum(), res.table.loc[inc, "total_closure"].sum()
        )
        total["control"] = events_of(
            res.table.loc[inc, "events_control"].sum(), res.table.loc[inc, "total_control"].sum()
        )
    if show_common:
        c = res.common
        name = {
            "MH": "Common effect model (Mantel-Haenszel)",
            "PETO": "Common effect model (Peto)",
        }.get(res.method, _MODEL_LABELS["common"])
        rows.append(
            {
                "kind": "common",
                "label": prefix + name,
                "estimate": c["estimate"],
                "ci_low": c["ci_low"],
                "ci_high": c["ci_high"],
                "weight": 100.0 if fixed else np.nan,
                "filled": False,
                "group": group,
                "effect": effect_ci(
                    c["estimate"], c["ci_low"], c["ci_high"], percent=percent, digits=digits
                ),
                "weight_text": "100.0%" if fixed else "",
                **total,
            }
        )
        total = {}
    if not fixed:
        hk = {True: ", HKSJ", "adhoc": ", modified HKSJ"}.get(res.hksj, "")
        label = f"{prefix}{_MODEL_LABELS['random']} ({res.method}{hk})"
        if res.method == "bayes":
            label = f"{prefix}Bayesian random effects (τ ~ {res.tau_prior})"
        rows.append(
            {
                "kind": "random",
                "label": label,
                "estimate": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "weight": 100.0,
                "filled": False,
                "group": group,
                "effect": effect_ci(
                    res.estimate, res.ci_low, res.ci_high, percent=percent, digits=digits
                ),
                "weight_text": "100.0%",
                **total,
            }
        )
        if res.pi_low is not None:
            rows.append(
                {
                    "kind": "prediction",
                    "label": prefix
                    + ("Predictive interval" if res.method == "bayes" else "Prediction interval"),
                    "estimate": np.nan,
                    "ci_low": res.pi_low,
                    "ci_high": res.pi_high,
                    "weight": np.nan,
                    "filled": False,
                    "group": group,
                    "effect": effect_ci(
                        res.estimate, res.pi_low, res.pi_high, percent=percent, digits=digits
                    ).split(" ", 1)[1],
                    "weight_text": "",
                }
            )
    rows.append(_line("heterogeneity", _het_text(res), group))
    return rows
