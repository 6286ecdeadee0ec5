"""Study tables: loading, and the packaged table of published evidence.

The packaged table (``recurrence/data/published_studies.csv``) holds one row per study
*report* of closure versus discectomy alone, with only the counts that
``shared/evidence/clinical-evidence.md`` gives, each with its source address:

* ``trial``: reports of one randomized trial share it (the Barricaid RCT,
  NCT01283438, has six reports here). **They are the same patients and must never be
  pooled together**; ``load_studies()`` keeps one report per trial by default.
* ``outcome``: ``symptomatic`` reherniation, ``radiographic`` reherniation,
  ``recurrence`` (definition not stated in the abstract) or ``reoperation``.
* ``count_basis``: ``exact`` (stated in the source) or ``derived`` (a published
  percentage times a denominator, rounded: approximate).

Studies whose counts were not retrieved (Bailey 2013 Xclose RCT, Vukas 2013, Ren 2020,
Li (jetting sutures), Peng 2024, China J Endoscopy 2026, Thomé 2021) and Kaplan-Meier
percentages that are not valid 2×2 cells (Kienzler 2019) are left out.
"""

from __future__ import annotations

import os
from importlib import resources

import pandas as pd

from ._io import read_table, source_name
from .errors import DataError, DataWarning, Problem, warn
from .schema import canonical_studies

__all__ = ["OUTCOMES", "load_studies", "published_studies"]

#: Outcome codes of the packaged table, in the order one report per trial prefers them.
OUTCOMES = ("symptomatic", "radiographic", "recurrence", "reoperation")
#: What ``outcome="reherniation"`` selects: every reherniation definition, not reoperation.
REHERNIATION = ("symptomatic", "radiographic", "recurrence")


def published_studies() -> pd.DataFrame:
    """Every report in the packaged table of published studies (no selection).

    Examples
    --------
    >>> reports = published_studies()
    >>> int((reports["trial"] == "Barricaid RCT (NCT01283438)").sum())
    6
    """
    path = resources.files("recurrence") / "data" / "published_studies.csv"
    with resources.as_file(path) as file:
        raw = read_table(file)
    return canonical_studies(raw, source="published_studies.csv")


def load_studies(
    source: str | os.PathLike | pd.DataFrame | None = None,
    *,
    columns: dict[str, str] | None = None,
    outcome: str | tuple[str, ...] | None = None,
    one_per_trial: bool | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Load a study table (one row per study), validated and canonical.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet) or a DataFrame. ``None``: the packaged table of
        published studies, reduced to the usual analysis set (below).
    columns
        ``{"their_name": "canonical_name"}`` for columns named otherwise.
    outcome
        Keep only rows with this ``outcome`` (or tuple of outcomes).
        ``"reherniation"`` means symptomatic, radiographic or unspecified recurrence.
        Default: every outcome for a user's table; ``"reherniation"`` for the packaged one.
    one_per_trial
        Keep one report per ``trial`` (needs a ``trial`` column): the two-arm report,
        then the preferred outcome (symptomatic > radiographic > recurrence >
        reoperation), then the longest follow-up, then exact counts over derived ones.
        Default: ``True`` when the table has a ``trial`` column.
    sheet
        Excel sheet to read when the workbook has several.

    Returns
    -------
    pandas.DataFrame
        ``study``, the four count columns (nullable integers), the optional columns.
        ``attrs["dropped"]`` lists the reports left out by the selection, and why.

    Examples
    --------
    >>> studies = load_studies()
    >>> studies["trial"].is_unique
    True
    >>> cho = studies.set_index("study").loc["Cho 2019"]
    >>> int(cho.events_closure), int(cho.total_closure)
    (1, 30)
    """
    if source is None:
        frame = published_studies()
        outcome = "reherniation" if outcome is None else outcome
    else:
        name = source_name(source)
        raw = source if isinstance(source, pd.DataFrame) else read_table(source, sheet=sheet)
        if not isinstance(raw, pd.DataFrame):
            raise DataError(Problem(f"expected a path or a DataFrame, got {type(raw).__name__}"))
        frame = canonical_studies(raw, source=name, columns=columns)
        if isinstance(source, pd.DataFrame) and len(source.index) == len(frame):
            frame.index = source.index
    dropped: list[tuple[str, str]] = []
    if outcome is not None:
        wanted = _outcomes(outcome)
        if "outcome" not in frame.columns:
            raise DataError(
                Problem(
                    "outcome= was given but the table has no 'outcome' column",
                    fix="add an outcome column or leave outcome=None",
                ),
                source=frame.attrs.get("source"),
            )
        keep = frame["outcome"].isin(wanted)
        left = frame.loc[~keep, ["study", "outcome"]].to_numpy()
        dropped += [(s, f"outcome {o!r}") for s, o in left]
        frame = frame[keep]
    if one_per_trial is None:
        one_per_trial = "trial" in frame.columns
    if one_per_trial:
        frame, more = _one_per_trial(frame)
        dropped += more
    if frame.empty:
        warn(f"no study is left after the selection (outcome={outcome!r})", DataWarning)
    if source is None:
        frame = frame.reset_index(drop=True)
    frame.attrs["dropped"] = dropped
    return frame


def _outcomes(outcome) -> tuple[str, ...]:
    if isinstance(outcome, str):
        return REHERNIATION if outcome == "reherniation" else (outcome,)
    return tuple(o for item in outcome for o in _outcomes(item))


def _one_per_trial(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    if "trial" not in frame.columns:
        raise DataError(
            Problem(
                "one_per_trial=True needs a 'trial' column",
                fix="add one (the same value for reports of one trial)",
            ),
            source=frame.attrs.get("source"),
        )
    trial = frame["trial"].fillna(frame["study"])
    rank = pd.DataFrame(
        {
            "trial": trial,
            "two_arm": frame[["total_closure", "total_control"]].notna().all(axis=1).astype(int),
            "outcome": -frame.get("outcome", pd.Series("", index=frame.index))
            .map({o: i for i, o in enumerate(OUTCOMES)})
            .fillna(len(OUTCOMES)),
            "followup": frame.get("followup_months", pd.Series(0.0, index=frame.index)).fillna(0),
            "exact": (
                frame.get("count_basis", pd.Series("exact", index=frame.index)) == "exact"
            ).astype(int),
        },
        index=frame.index,
    )
    order = rank.sort_values(
        ["two_arm", "outcome", "followup", "exact"], ascending=False, kind="stable"
    )
    keep = ~order["trial"].duplicated()
    chosen = {t: frame.at[i, "study"] for i, t in order.loc[keep, "trial"].items()}
    dropped = [
        (frame.at[i, "study"], f"same trial as {chosen[t]}")
        for i, t in order.loc[~keep, "trial"].items()
    ]
    return frame.loc[frame.index.isin(order.index[keep])], dropped
