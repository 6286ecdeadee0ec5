"""Table 1 against R (validation/r/tableone.R: base R's mean, sd, median, quantile
type 7, counts, and the SMDs of tableone and Yang & Dalton written out, since tableone
is not in Debian's packages), on the files a user would give: the packaged cohort by
closure, and a registry export with missing sex and bmi cells grouped by sex.

Tolerance 1e-12: the same arithmetic in both, and the fixture holds 15 significant
digits (jsonlite's digits = NA)."""

from __future__ import annotations

import warnings

import pytest
from helpers import ROOT, r_reference

from recurrence import load_cohort, table_one

pytestmark = pytest.mark.r_reference

REL = 1e-12
FILES = {
    "closure": ROOT / "data" / "synthetic" / "cohort.csv",
    "sex_missing": ROOT / "tests" / "data" / "tableone_sex_missing.csv",
}


@pytest.fixture(scope="module")
def ref():
    return r_reference("tableone")


@pytest.mark.parametrize("case", list(FILES))
def test_table_one_is_rs_summaries_and_smds(ref, case):
    r = ref[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loader's note on the empty cells
        cohort = load_cohort(FILES[case])
    t = table_one(cohort, by=r["by"])
    assert t.groups == r["sizes"], r["call"]
    if r["unplaced"]:
        assert f"{r['unplaced']} patients with no {r['by']} value left out" in " ".join(t.remarks)
    tab = t.table
    for var, x in r["variables"].items():
        assert t.smd[var] == pytest.approx(x["smd"], rel=REL, abs=1e-14), (var, r["call"])
        for row in x["rows"]:
            got = tab[(tab["variable"] == var) & (tab["group"] == row["group"])]
            if x["kind"] == "continuous":
                (got,) = got.itertuples()
                assert (got.n, got.missing) == (row["n"], row["missing"]), var
                for stat in ("mean", "sd", "median", "q1", "q3"):
                    assert getattr(got, stat) == pytest.approx(row[stat], rel=REL), (var, stat)
            else:
                (got,) = got[got["level"] == row["level"]].itertuples()
                assert (got.n, got.missing, got.count) == (
                    row["n"],
                    row["missing"],
                    row["count"],
                ), (var, row["level"])
                assert got.percent == pytest.approx(row["percent"], rel=REL)
