"""Write the data sets that validation/r/cohort_analyses.R reads (run this first).

    uv run python validation/cohort_analyses_data.py
    Rscript validation/r/cohort_analyses.R

* tests/data/cohort_untied.csv: ``simulate_cohort(600, seed=31, confounded=True)`` with
  a different small offset added to every time (no two times equal), for the G-formula
  and IPTW checks where R's influence function and the exact one coincide or are
  computed by numerical differentiation.
* tests/data/impute_completed.csv: the m = 5 completed cohorts of
  ``impute(simulate_cohort(1000, seed=41, missing=MISSING), m=5, seed=42)`` stacked,
  with the imputation number in ``imp`` (1-5) and ids ``P00001-1`` …: ``mice::pool``
  pools R's Cox fits of the same completed data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import recurrence

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
MISSING = {"smoker": 0.2, "defect_width_mm": 0.3, "level": 0.15}


def untied():
    cohort = recurrence.simulate_cohort(600, seed=31, confounded=True)
    rng = np.random.default_rng(31)
    offsets = rng.permutation(len(cohort)) * 1e-4 + 1e-5  # distinct, < 0.06 months
    cohort["time"] = cohort["time"] + offsets
    assert not cohort["time"].duplicated().any()
    return cohort[["patient_id", "closure", "time", "event", "age", "smoker", "defect_width_mm"]]


def completed():
    cohort = recurrence.simulate_cohort(1000, seed=41, missing=MISSING)
    imp = recurrence.impute(cohort, m=5, seed=42)
    cols = ["patient_id", "closure", "time", "event", "age", "smoker", "defect_width_mm", "level"]
    # one row per patient and imputation: ids made unique so that load_cohort reads it
    frames = [
        d[cols].assign(imp=i, patient_id=d["patient_id"] + f"-{i}")
        for i, d in enumerate(imp.datasets, 1)
    ]
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def main():
    untied().to_csv(DATA / "cohort_untied.csv", index=False, float_format="%.17g")
    completed().to_csv(DATA / "impute_completed.csv", index=False, float_format="%.17g")
    print("wrote tests/data/cohort_untied.csv, tests/data/impute_completed.csv")


if __name__ == "__main__":
    main()
