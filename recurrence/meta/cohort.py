"""A hospital's own cohort as one more row of a study table, so its closure and
no-closure numbers can sit in the forest plot of the published studies.

Censoring. A cohort's patients are followed for different lengths of time, and
counting "reherniations by 24 months out of everyone" would understate the rate, while
counting only patients followed to 24 months would overstate it (patients censored
early without an event drop out, early events stay in). The default,
``method="aalen-johansen"``, uses the Aalen-Johansen cumulative incidence F at the
horizon (competing events handled; :func:`recurrence.survival.cumulative_incidence`)
and its standard error se (Gray's variance, as ``cmprsk::cuminc``), and turns them
into *effective* binomial counts with the same proportion and the same variance:

    n_eff = F(1 − F) / se²,   events = F · n_eff,

both rounded to whole patients (at most the arm's size). With censoring n_eff is
smaller than the arm, as the information is. An arm whose patients were all followed
to the horizon (or had an event before it) contributes its observed counts, which the
effective counts only approximate there (Gray's variance is then close to
F(1 − F)/(n − 1), not F(1 − F)/n). An arm with no event by the horizon (F = 0, se = 0)
gets 0 events out of the patients whose status at the horizon is known (followed to it,
or with a reherniation or competing event before it).

``method="followed"`` is the simple alternative for comparison: only patients followed
to the horizon or with an event before it (reherniations as events, competing events
as non-events); it is biased upwards when patients are censored before the horizon,
as the remarks say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, Problem

__all__ = ["cohort_as_study"]

METHODS = ("aalen-johansen", "followed")


def _check(cohort, horizon, by):
    if not isinstance(cohort, pd.DataFrame):
        raise DataError(
            Problem(
                f"expected a cohort table (DataFrame), got {type(cohort).__name__}",
                fix="load it with load_cohort()",
            )
        )
    missing = [c for c in ("time", "event", by) if c not in cohort.columns]
    if missing:
        raise DataError(
            Problem(
                f"the cohort has no column(s) {missing}",
                fix="load it with recurrence.load_cohort()",
            )
        )
    if not np.isfinite(horizon) or horizon <= 0:
        raise DataError(Problem(f"horizon={horizon!r} must be a positive number of months"))


def _known(times, events, horizon):
    """Patients whose status at the horizon is known: followed to it, or an event before."""
    return (times >= horizon) | ((events > 0) & (times <= horizon))


def cohort_as_study(
    cohort: pd.DataFrame,
    horizon: float,
    *,
    label: str = "Our cohort",
    by: str = "closure",
    event: int = 1,
    method: str = "aalen-johansen",
    year: int | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """One study-table row (closure vs no closure) from a cohort at a horizon.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`).
    horizon
        Months after surgery at which to count reherniations.
    label
        The ``study`` label of the row.
    by
        The column splitting the arms (``True`` = closure).
    event
        The event counted (1, reherniation); the other event competes.
    method
        ``"aalen-johansen"`` (effective counts, the default) or ``"followed"`` (see
        the module notes).
    year
        The row's ``year`` (default: none).
    level
        Confidence level of the cumulative incidence the row is computed from (the
        effective counts use its standard error, not its interval).

    Returns
    -------
    DataFrame
        One row with the study-table columns (``study``, ``events_closure``,
        ``total_closure``, ``events_control``, ``total_control``, ``year``, ``design``
        = ``"own cohort"``, ``followup_months`` = horizon, ``outcome``, ``count_basis``,
        ``source``) and, per arm, ``incidence_*`` and ``se_*`` (the estimate the counts
        come from) and ``patients_*`` (the arm's size). ``attrs["remarks"]`` says how
        censoring was handled. Append it to ``load_studies()`` with ``pd.concat``.

    Examples
    --------
    >>> from recurrence import load_cohort
    >>> row = cohort_as_study(load_cohort(), horizon=24, label="Our hospital")
    >>> row[["events_closure", "total_closure", "events_control", "total_control"]].iloc[0].tolist()
    [52, 986, 115, 961]
    >>> round(float(row["incidence_control"].iloc[0]), 4)
    0.1193
    """
    _check(cohort, horizon, by)
    if method not in METHODS:
        raise DataError(Problem(f"method={method!r} is not known", fix=f"use one of {METHODS}"))
    arms = {
        "closure": cohort[by].astype(bool).to_numpy(),
        "control": ~cohort[by].astype(bool).to_numpy(),
    }
    times = cohort["time"].to_numpy(float)
    events = cohort["event"].to_numpy(int)
    out: dict[str, object] = {"study": label}
    remarks = []
    if method == "aalen-johansen":
        from ..survival import cumulative_incidence

        res = cumulative_incidence(cohort, by=by, event=event, level=level)
        at = res.at([horizon]).set_index("group")
        names = {"closure": "closure", "control": "no closure"}
        for arm, group in names.items():
            mask = arms[arm]
            n_arm = int(mask.sum())
            if group not in at.index or n_arm == 0:
                raise DataError(Problem(f"the cohort has no {group} patients", column=by))
            f, se = float(at.loc[group, "incidence"]), float(at.loc[group, "se"])
            if np.isnan(f):
                last = float(times[mask].max())
                raise DataError(
                    Problem(
                        f"horizon {horizon:g} months is beyond the last follow-up "
                        f"of the {group} arm ({last:.1f} months)",
                        fix="choose an earlier horizon",
                    )
                )
            complete = bool(_known(times[mask], events[mask], horizon).all())
            if complete:
                # nobody censored before the horizon: the binomial counts are the data
                total = n_arm
                ev = int(((events[mask] == event) & (times[mask] <= horizon)).sum())
                remarks.append(
                    f"{arm}: complete follow-up to {horizon:g} months, observed counts used"
                )
            elif f <= 0 or se <= 0:
                total = int(_known(times[mask], events[mask], horizon).sum())
                ev = round(f * total)
                remarks.append(
                    f"{arm}: no variance at {horizon:g} months (incidence {f:.3g}); "
                    f"{ev} events among the {total} patients whose status at the "
                    "horizon is known"
                )
            else:
                n_eff = min(f * (1 - f) / se**2, n_arm)
                total = round(n_eff)
                ev = round(f * n_eff)
            out.update(
                {
                    f"events_{arm}": ev,
                    f"total_{arm}": total,
                    f"incidence_{arm}": f,
                    f"se_{arm}": se,
                    f"patients_{arm}": n_arm,
                }
            )
        remarks.insert(
            0,
            f"effective counts from the Aalen-Johansen cumulative incidence at "
            f"{horizon:g} months (n = F(1 − F)/se², events = F·n; competing events "
            "accounted for)",
        )
        basis = "effective (Aalen-Johansen)"
    else:
        for arm, mask in arms.items():
            t, e = times[mask], events[mask]
            known = _known(t, e, horizon)
            ev = int(((e == event) & (t <= horizon)).sum())
            total = int(known.sum())
            lost = int(mask.sum() - total)
            if total == 0:
                raise DataError(
                    Problem(
                        f"no {arm} patient was followed to {horizon:g} months",
                        fix="choose an earlier horizon",
                    )
                )
            out.update(
                {
                    f"events_{arm}": ev,
                    f"total_{arm}": total,
                    f"incidence_{arm}": ev / total,
                    f"se_{arm}": np.sqrt(ev / total * (1 - ev / total) / total),
                    f"patients_{arm}": int(mask.sum()),
                }
            )
            if lost:
                remarks.append(
                    f"{arm}: {lost} patients censored before {horizon:g} months left "
                    "out (this overstates the rate when follow-up is short)"
                )
        basis = "followed to horizon"
    row = pd.DataFrame(
        [
            {
                "study": out["study"],
                "events_closure": out["events_closure"],
                "total_closure": out["total_closure"],
                "events_control": out["events_control"],
                "total_control": out["total_control"],
                "year": year,
                "design": "own cohort",
                "followup_months": float(horizon),
                "outcome": "recurrence",
                "count_basis": basis,
                "source": "own cohort",
                **{
                    k: out[k]
                    for k in (
                        "incidence_closure",
                        "se_closure",
                        "patients_closure",
                        "incidence_control",
                        "se_control",
                        "patients_control",
                    )
                },
            }
        ]
    )
    for col in ("events_closure", "total_closure", "events_control", "total_control", "year"):
        row[col] = row[col].astype("Int64")
    row.attrs["remarks"] = remarks
    return row
