"""The study tables the R reference script reads (tests/data/meta_*.csv).

They are written from Python so that R and the tests see the same counts, and this
test keeps them in sync with the packaged published studies. To rewrite them:

    uv run python tests/test_meta_datasets.py

then rerun ``Rscript validation/r/meta.R`` (metafor's ``dat.bcg`` is written by the R
script itself, to tests/data/meta_bcg.csv).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recurrence import load_studies

DATA = Path(__file__).resolve().parent / "data"
COLUMNS = [
    "study",
    "events_closure",
    "total_closure",
    "events_control",
    "total_control",
    "year",
    "device",
    "approach",
    "design",
]


def _table(rows, **extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["study", "events_closure", "total_closure", "events_control", "total_control"],
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def datasets() -> dict[str, pd.DataFrame]:
    """Every data set by name (file ``meta_<name>.csv``)."""
    published = load_studies()[COLUMNS].copy()
    two_arm = published.dropna(subset=["total_closure", "total_control"])
    return {
        # the packaged published studies (one report per trial; some single-arm series)
        "published": published,
        # the two largest two-arm studies
        "two": two_arm.nlargest(2, "total_closure").sort_index(),
        # similar studies: Q < df, τ² = 0
        "homogeneous": _table(
            [
                ("H1", 10, 100, 20, 100),
                ("H2", 11, 105, 21, 103),
                ("H3", 9, 98, 19, 97),
                ("H4", 12, 110, 22, 108),
                ("H5", 10, 102, 20, 101),
                ("H6", 11, 99, 21, 100),
            ],
            year=[2010, 2012, 2014, 2016, 2018, 2020],
            device=["a", "a", "b", "b", "a", "b"],
        ),
        # risk ratios from 0.05 to 4 and rates from 1% to 75%: huge heterogeneity
        "heterogeneous": _table(
            [
                ("X1", 1, 100, 20, 100),
                ("X2", 30, 100, 10, 100),
                ("X3", 5, 50, 25, 50),
                ("X4", 60, 80, 20, 80),
                ("X5", 2, 200, 30, 200),
                ("X6", 40, 60, 10, 60),
                ("X7", 15, 150, 5, 150),
            ],
            year=[2005, 2008, 2011, 2014, 2017, 2020, 2023],
            device=["a", "b", "a", "b", "a", "b", "a"],
        ),
        # no events in any closure arm; Z2 has no events in either arm
        "allzero": _table(
            [
                ("Z1", 0, 30, 3, 30),
                ("Z2", 0, 40, 0, 40),
                ("Z3", 0, 25, 5, 25),
                ("Z4", 0, 50, 2, 50),
            ],
            year=[2015, 2016, 2017, 2018],
        ),
    }


def write_datasets() -> list[Path]:
    paths = []
    for name, frame in datasets().items():
        path = DATA / f"meta_{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def test_csv_files_match_the_package():
    for name, frame in datasets().items():
        on_disk = pd.read_csv(DATA / f"meta_{name}.csv")
        expected = frame.reset_index(drop=True)
        assert list(on_disk.columns) == list(expected.columns), name
        for col in ["events_closure", "total_closure", "events_control", "total_control"]:
            pd.testing.assert_series_equal(
                on_disk[col].astype("Float64"),
                expected[col].astype("Float64"),
                check_names=False,
                obj=f"{name}.{col}",
            )
        assert on_disk["study"].tolist() == expected["study"].tolist(), name


if __name__ == "__main__":
    for p in write_datasets():
        print(p)
