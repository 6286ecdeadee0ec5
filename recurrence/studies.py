"""Study tables: loading, and the packaged table of published evidence.

The packaged table (``recurrence/data/published_studies.csv``) holds one row per study
*report* of closure versus discectomy alone, with only the counts that
the published reports give, each with its source address:

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
from collections.abc import Callable
from importlib import resources

import numpy as np
import pandas as pd

from ._excel import warn_hidden_rows
from ._io import read_table, source_name
from ._recode import check_types, recode
from ._types import as_plain_text, typed_columns
from .errors import DataError, DataWarning, Problem, warn
from .schema import (
    ARMS,
    FALSE_SPELLINGS,
    MAX_COUNT,
    STUDY_COLUMNS,
    TRUE_SPELLINGS,
    Collector,
    as_ids,
    coerce_number,
    map_columns,
    pandera_problems,
    plain_text,
    positional,
)

__all__ = ["OUTCOMES", "canonical_studies", "load_studies", "published_studies"]

#: Outcome codes of the packaged table, in the order one report per trial prefers them.
OUTCOMES = ("symptomatic", "radiographic", "recurrence", "reoperation")
#: What ``outcome="reherniation"`` selects: every reherniation definition, not reoperation.
REHERNIATION = ("symptomatic", "radiographic", "recurrence")


def published_studies() -> pd.DataFrame:
    """Every report in the packaged table of published studies (no selection).

    Returns
    -------
    pandas.DataFrame
        One row per published report in the canonical study columns, with ``trial``,
        ``outcome`` and ``source``: duplicate reports of one trial and other outcomes
        included (:func:`load_studies` selects from these).

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
    values: dict[str, dict] | None = None,
    header_row: int | None = None,
    sheet: str | int | None = None,
    outcome: str | tuple[str, ...] | None = None,
    one_per_trial: bool | None = None,
    types: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Load a study table (one row per study), validated and canonical.

    Parameters
    ----------
    source
        A path (CSV, Excel, Parquet) or a DataFrame. ``None``: the packaged table of
        published studies, reduced to the usual analysis set (below).
    columns
        ``{"their_name": "canonical_name"}`` for columns named otherwise.
    values
        ``{column: {their_label: value}}`` recodes cells before validation (as in
        :func:`recurrence.load_cohort`), e.g. ``{"design": {"RCT": "randomized"}}``.
    header_row
        The row (1-based) holding the column names, when a title sits above them.
    outcome
        Keep only rows with this ``outcome`` (or tuple of outcomes).
        ``"reherniation"`` means symptomatic, radiographic or unspecified recurrence.
        Default: every outcome for a user's table; ``"reherniation"`` for the packaged one.
    one_per_trial
        Keep one report per ``trial`` (needs a ``trial`` column): the two-arm report,
        then the preferred outcome (symptomatic > radiographic > recurrence >
        reoperation), then the longest follow-up, then exact counts over derived ones.
        Default: ``True`` when the table has a ``trial`` column. Reports left out of a
        user's table are named in a :class:`~recurrence.DataWarning`.
    sheet
        Excel sheet to read when the workbook has several.
    types
        ``{column: "text"}`` keeps a column of codes as text; every other column that
        is not canonical is numeric when all its cells are numbers (a moderator such as
        ``mean_age``), else text.

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
        if isinstance(source, pd.DataFrame):
            if header_row is not None:
                raise DataError(
                    Problem("header_row applies to files, not to a DataFrame"), source=name
                )
            raw = source
        elif isinstance(source, (str, os.PathLike)):
            raw = read_table(source, sheet=sheet, header_row=header_row)
        else:
            raise DataError(Problem(f"expected a path or a DataFrame, got {type(source).__name__}"))
        frame = canonical_studies(raw, source=name, columns=columns, values=values, types=types)
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
        if more and source is not None:
            shown = "; ".join(f"'{s}' ({why})" for s, why in more[:5])
            warn(
                f"{frame.attrs.get('source', 'studies')}: {len(more)} report"
                f"{'s' if len(more) != 1 else ''} of a trial already in the table left out, "
                f"so that no patient counts twice: {shown}"
                + (f" and {len(more) - 5} more" if len(more) > 5 else "")
                + " (one_per_trial=False keeps them)",
                DataWarning,
            )
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


def canonical_studies(
    raw: pd.DataFrame,
    *,
    source: str,
    columns: dict | None = None,
    values: dict | None = None,
    types: dict | None = None,
) -> pd.DataFrame:
    """Map, recode, coerce and validate a study table; return the canonical frame.

    The step of :func:`load_studies` after the table is read, before any selection of
    outcomes or of one report per trial.

    Parameters
    ----------
    raw
        The user's table as read, one row per study (or report). Not modified.
    source
        The table's name in messages and in ``attrs["source"]``.
    columns
        ``{"their_name": "canonical_name"}`` (:func:`recurrence.schema.map_columns`).
    values
        ``{column: {their_label: value}}``, applied before validation.
    types
        ``{column: "text"}`` keeps a column of codes as text (``"number"`` insists on
        numbers).

    Returns
    -------
    pandas.DataFrame
        ``study`` (text), the four count columns (``Int64``, ``<NA>`` for an arm
        not reported), the optional canonical columns (``year`` ``Int64``,
        ``followup_months`` float, risk of bias in canonical spelling, the rest text)
        and the user's other columns, indexed 0..n-1. ``attrs``: ``source``,
        ``columns``, ``values``.

    Raises
    ------
    recurrence.DataError
        Listing every problem found (columns, rows, values and fix).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"study": ["A 2020", "B 2021"], "events_closure": ["3", "1"],
    ...                     "total_closure": [50, 30], "events_control": [8, 4],
    ...                     "total_control": [48, 31]})
    >>> studies = canonical_studies(raw, source="DataFrame")
    >>> studies
        study  events_closure  total_closure  events_control  total_control
    0  A 2020               3             50               8             48
    1  B 2021               1             30               4             31
    >>> studies["events_closure"].dtype
    Int64Dtype()
    >>> canonical_studies(raw.assign(events_closure=[60, 1]), source="mine.csv")
    Traceback (most recent call last):
    ...
    recurrence.errors.DataError: mine.csv: 1 problem, nothing was loaded:
      - column 'events_closure', row 1: more events than patients ... Fix: check the two counts ...
    """
    if raw.shape[1] == 0:
        raise DataError(
            Problem("has no columns", fix="export the table with its header"), source=source
        )
    hidden = raw.attrs.get("hidden_rows", ())
    frame, users = map_columns(positional(raw), STUDY_COLUMNS, columns, source)
    frame, recoded = recode(frame, values, users, source)
    kinds = check_types(types, frame, users, source)
    arm_cols = [c for pair in ARMS for c in pair]
    if not any(c in frame.columns for c in arm_cols):
        raise DataError(
            Problem(
                "has no arm columns",
                fix="add events_closure/total_closure and/or "
                "events_control/total_control (or map yours with columns=)",
            ),
            source=source,
        )
    if len(frame) == 0:
        raise DataError(
            Problem("has a header but no study rows", fix="export the table again with its data"),
            source=source,
        )
    bag = Collector(users)
    converted: dict[str, pd.Series] = {"study": as_ids(frame["study"])}
    bag.add("study", frame["study"].isna(), "study label is empty", "give every study a label")
    bad: dict[str, pd.Series] = {}
    for col in arm_cols:
        if col not in frame.columns:
            converted[col] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            continue
        counts, bad[col] = coerce_number(frame[col])
        bag.add(col, bad[col], "is not a number", "give a whole number of patients", frame[col])
        fractional = counts.notna() & np.isfinite(counts) & (counts != np.round(counts))
        bag.add(
            col,
            fractional,
            "is not a whole number",
            "counts are numbers of patients; "
            "if derived from a percentage, round and set count_basis='derived'",
            frame[col],
        )
        bad[col] = bad[col] | fractional
        bag.add(
            col,
            counts.notna() & ~np.isfinite(counts),
            "is not finite",
            "give a whole number of patients",
            frame[col],
        )
        huge = np.isfinite(counts) & (counts.abs() > MAX_COUNT)
        bag.add(
            col,
            huge,
            f"is implausibly large (over {MAX_COUNT:,.0f} patients)",
            "check the number (a misplaced digit or a pasted id?)",
            frame[col],
        )
        bad[col] = bad[col] | huge
        clean = counts.where(np.isfinite(counts) & ~fractional & ~huge)
        converted[col] = clean.round().astype("Int64")
    for spec in STUDY_COLUMNS[5:]:
        if spec.name not in frame.columns:
            continue
        if spec.kind in ("number", "integer"):
            numbers, bad[spec.name] = coerce_number(frame[spec.name])
            bag.add(
                spec.name,
                bad[spec.name],
                "is not a number",
                f"give {spec.meaning}{' in ' + spec.unit if spec.unit else ''}",
                frame[spec.name],
            )
            converted[spec.name] = (
                numbers.round().astype("Int64") if spec.kind == "integer" else numbers
            )
        else:
            converted[spec.name] = as_plain_text(frame[spec.name])
    if "trial" in converted:
        _check_trial(converted["trial"], bag)
    typed, problems = typed_columns(
        frame.drop(columns=[c for c in converted if c in frame.columns]), users, kinds
    )
    for col, column in problems.items():
        bad[col] = column.bad
        bag.add(col, column.bad, column.message, column.fix, column.shown)
    out = pd.DataFrame(converted, index=frame.index, copy=False)
    del converted  # the frame holds the columns now
    if typed.shape[1]:
        out = pd.concat([out, typed], axis=1, copy=False)
    rob = [c for c in out.columns if c.startswith("rob")]
    if rob:
        from .meta.rob import normalize_rob, rob_problems

        bag.problems.extend(rob_problems(out))
        for col in rob:
            out[col] = normalize_rob(out[col])

    for events, total in ARMS:
        e, n = out[events], out[total]
        arm = events.split("_")[1]
        half = (e.isna() & ~bad.get(events, False)) != (n.isna() & ~bad.get(total, False))
        bag.add(
            events if e.isna().any() else total,
            half & (e.isna() | n.isna()),
            f"the {arm} arm has events without patients or patients without events",
            f"give both {events} and {total}, or leave both empty",
        )
        over = (e > n).fillna(False)
        bag.add(
            events,
            over,
            f"more events than patients ({events} > {total})",
            "check the two counts (swapped? percentage?)",
            out[events].astype(object) if over.any() else None,
        )
    neither = out[["total_closure", "total_control"]].isna().all(axis=1)
    broken = pd.Series(False, index=out.index)
    for col in bad:
        if col in arm_cols:
            broken |= bad[col]
    bag.add(
        None,
        neither & ~broken,
        "a study with neither arm (no closure and no control counts)",
        "give the counts of at least one arm, or remove the row",
    )
    rules: dict[str, dict[str, tuple[Callable[[pd.Series], pd.Series] | None, str, str]]] = {
        "study": {
            "unique": (
                None,
                "study label appears more than once",
                "labels must be unique: add the year or a suffix",
            )
        }
    }
    for col in arm_cols:
        rules[col] = {
            "nonneg": (
                lambda s: s.astype("float64") >= 0,
                "is negative",
                "counts cannot be negative",
            )
        }
    for col in ("total_closure", "total_control"):
        rules[col]["nonzero"] = (
            lambda s: s.astype("float64") != 0,
            "is 0 patients",
            "leave an arm without patients empty",
        )
    pandera_problems(out, rules, bad, bag)
    if bag.problems:
        raise DataError(bag.problems, source=source)
    out = plain_text(out)
    warn_hidden_rows(source, hidden)
    out.attrs = {"source": source, "columns": users, "values": recoded}
    return out


def _check_trial(trial: pd.Series, bag: Collector) -> None:
    """``trial`` names the trial a report belongs to (reports of one trial share it). A
    yes/no or 0/1 column ("is it a trial?") would make every "yes" one trial and drop
    all but one of them."""
    text = trial.dropna().astype(str).str.strip().str.lower()
    if len(text) and text.isin(TRUE_SPELLINGS | FALSE_SPELLINGS).all():
        bag.add(
            "trial",
            trial.notna(),
            "holds yes/no values, not trial labels",
            "'trial' names the trial a report belongs to (reports of one trial share it, "
            "and only one of them is analysed); map a yes/no column to another name, "
            "e.g. columns={'trial': 'randomized'}",
            trial,
        )
