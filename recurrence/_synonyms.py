"""What the columns of a table are often called, and the "did you mean" that comes of
it: :data:`SYNONYMS` by canonical role, the name normalisation under which case, spaces
and hyphens do not matter, and the one likeliest column for each missing canonical
column. Suggested only: a column is mapped when the user asks (``columns=``).

Used by :func:`recurrence.schema.map_columns` (its messages) and the app's mapping form
(its proposals); :data:`SYNONYMS` is also importable from :mod:`recurrence.schema`.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["SYNONYMS", "norm_name", "suggest_columns"]

#: What a column of each canonical role is often called in exports, for "did you mean"
#: (suggested only, never mapped without being asked: ``columns=`` does that).
SYNONYMS = {
    "patient_id": (
        "id",
        "pat_id",
        "patid",
        "patient",
        "patient_no",
        "patient_number",
        "pid",
        "mrn",
        "subject",
        "subject_id",
        "case",
        "case_id",
        "case_no",
        "record_id",
        "study_id",
        "participant",
        "participant_id",
        "pt_id",
        "ptid",
        "person_id",
        "identifier",
    ),
    "closure": (
        "closed",
        "annular_closure",
        "annulus_closure",
        "annulus_closed",
        "device",
        "arm",
        "group",
        "treatment",
        "trt",
        "rx",
        "intervention",
        "suture",
        "repair",
        "barricaid",
        "allocation",
        "randomised",
        "randomized",
        "annular_repair",
    ),
    "time": (
        "fu",
        "follow_up",
        "followup",
        "fu_months",
        "months",
        "futime",
        "time_months",
        "duration",
        "survival_time",
        "time_to_event",
        "t",
        "tte",
        "days",
        "fu_days",
        "follow_up_months",
        "stime",
        "os_time",
        "time_days",
    ),
    "event": (
        "outcome",
        "status",
        "event_code",
        "eventcode",
        "reherniation",
        "recurrence",
        "recurrent",
        "censor",
        "censored",
        "fail",
        "failure",
        "endpoint",
        "fstatus",
        "state",
        "cause",
        "event_type",
        "reherniated",
    ),
    "study": ("author", "first_author", "trial", "reference", "citation", "label", "name"),
}


_SEPARATORS = re.compile(r"[\s\-\.]+")


def norm_name(name: object) -> str:
    """A column name as compared with the canonical ones: stripped, lower case, runs of
    spaces, hyphens and dots as one underscore (``" Patient-ID"`` is ``patient_id``)."""
    return _SEPARATORS.sub("_", str(name).strip().lower()).strip("_")


def suggest_columns(missing: list[str], candidates: list[str]) -> dict[str, str]:
    """For each missing canonical column, the one candidate column that most likely
    holds it, by meaning (:data:`SYNONYMS`) then spelling; each candidate is suggested
    for one role at most."""
    scored = []
    for canon in missing:
        words = {canon, *SYNONYMS.get(canon, ())}
        for cand in candidates:
            norm = norm_name(cand)
            tokens = set(re.split(r"[_\W]+", norm)) - {""}
            if norm in words:
                score = 3.0
            elif norm.replace("_", "") in {w.replace("_", "") for w in words}:
                score = 2.9
            elif tokens & words and len(norm) > 1:
                score = 2.0
            else:
                score = difflib.SequenceMatcher(None, canon, norm).ratio()
                if score < 0.6:
                    continue
            scored.append((score, canon, cand))
    out: dict[str, str] = {}
    for _score, canon, cand in sorted(scored, key=lambda x: -x[0]):
        if canon not in out and cand not in out.values():
            out[canon] = cand
    return out
