"""Example data for the docs and tests: the classic BCG vaccine trials.

metafor's ``dat.bcg`` (Colditz et al. 1994): 13 trials of the BCG vaccine against
tuberculosis, the standard test set of meta-analysis software. In the study-table form
of :mod:`recurrence`, "closure" stands for the vaccinated arm and "control" for the
unvaccinated one; ``ablat`` is the absolute latitude of the trial.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["bcg"]

_BCG = [
    ("Aronson 1948", 4, 123, 11, 139, 1948, 44),
    ("Ferguson & Simes 1949", 6, 306, 29, 303, 1949, 55),
    ("Rosenthal et al 1960", 3, 231, 11, 220, 1960, 42),
    ("Hart & Sutherland 1977", 62, 13598, 248, 12867, 1977, 52),
    ("Frimodt-Moller et al 1973", 33, 5069, 47, 5808, 1973, 13),
    ("Stein & Aronson 1953", 180, 1541, 372, 1451, 1953, 44),
    ("Vandiviere et al 1973", 8, 2545, 10, 629, 1973, 19),
    ("TPT Madras 1980", 505, 88391, 499, 88391, 1980, 13),
    ("Coetzee & Berjak 1968", 29, 7499, 45, 7277, 1968, 27),
    ("Rosenthal et al 1961", 17, 1716, 65, 1665, 1961, 42),
    ("Comstock et al 1974", 186, 50634, 141, 27338, 1974, 18),
    ("Comstock & Webster 1969", 5, 2498, 3, 2341, 1969, 33),
    ("Comstock et al 1976", 27, 16913, 29, 17854, 1976, 33),
]


def bcg() -> pd.DataFrame:
    """metafor's ``dat.bcg`` as a study table (13 rows).

    Examples
    --------
    >>> b = bcg()
    >>> b.iloc[0].study, int(b.iloc[0].events_closure), int(b.iloc[0].total_closure)
    ('Aronson 1948', 4, 123)
    """
    return pd.DataFrame(
        _BCG,
        columns=[
            "study",
            "events_closure",
            "total_closure",
            "events_control",
            "total_control",
            "year",
            "ablat",
        ],
    )
