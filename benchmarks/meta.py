"""Meta-analysis against metafor and statsmodels: many pooled analyses at once, the
GLMM, Bayesian pooling and the few-studies sensitivity panel."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._harness import Goal, median_time, record, run_r


def effects(m: int, k: int = 20, seed: int = 7):
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.2, (m, k))
    yi = rng.normal(-0.7, np.sqrt(vi + 0.05))
    return yi, vi


def _effects_csv(path, yi, vi):
    m, k = yi.shape
    frame = pd.DataFrame(
        {"analysis": np.repeat(np.arange(m), k), "yi": yi.ravel(), "vi": vi.ravel()}
    )
    frame.to_csv(path, index=False)


def meta_suite(m, repeat, r_ok, ref_m):
    from statsmodels.stats.meta_analysis import combine_effects

    from recurrence.meta.pooling import pool_many

    print("Meta-analysis", flush=True)
    yi, vi = effects(m)
    k = yi.shape[1]
    sub = min(ref_m, m)
    for method in ("REML", "DL"):
        ours = median_time(lambda meth=method: pool_many(yi, vi, method=meth), repeat)
        sm_method = {"REML": "iterated", "DL": "chi2"}[method]

        def statsmodels_loop(meth=sm_method, sub=sub):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i in range(sub):
                    combine_effects(yi[i], vi[i], method_re=meth)

        sm = median_time(statsmodels_loop, repeat) * m / sub
        ref = None
        if r_ok:
            with tempfile.TemporaryDirectory() as tmp:
                _effects_csv(Path(tmp) / "e.csv", yi[:sub], vi[:sub])
                ref = run_r("meta.R", Path(tmp) / "e.csv", repeat, method)["seconds"] * m / sub
        note = f"references timed on {sub:,} analyses and scaled ×{m / sub:g}" if sub < m else ""
        if method == "REML":
            note += "; statsmodels' 'iterated' is Paule-Mandel, its closest to REML"
        record(
            f"{m:,} random-effects meta-analyses ({method})",
            f"k={k}",
            ours,
            {"metafor": ref, "statsmodels": sm},
            note.strip("; "),
            goal=Goal("10,000 REML in < 1 s", at_most=m / 10_000) if method == "REML" else None,
        )


def bayes_suite(m, repeat, r_ok, ref_m):
    """``pool_many(method="bayes")`` is vectorised over analyses (one quadrature for
    all rows); R computes one posterior at a time (benchmarks/r/bayes.R)."""
    from recurrence.meta.pooling import pool_many

    yi, vi = effects(m, seed=11)
    prior = "halfnormal(0.5)"
    res = None

    def ours_run():
        nonlocal res
        res = pool_many(yi, vi, method="bayes", tau_prior=prior)

    ours = median_time(ours_run, repeat)
    sub = min(ref_m, m)
    ref, note = (
        None,
        f"R: our own integrate()/uniroot() version (bayesmeta is not in Debian), {prior} prior",
    )
    if r_ok:
        with tempfile.TemporaryDirectory() as tmp:
            _effects_csv(Path(tmp) / "e.csv", yi[:sub], vi[:sub])
            out = run_r("bayes.R", Path(tmp) / "e.csv", repeat, 0.5)
        ref = out["seconds"] * m / sub
        diff = np.max(np.abs(np.asarray(out["median"]) - res.estimate[:sub]))
        note += (
            f"; timed on {sub:,} analyses and scaled ×{m / sub:g}; "
            f"posterior medians of μ agree to {diff:.1g}"
        )
    record(
        f"{m:,} Bayesian meta-analyses (vectorised)",
        "k=20",
        ours,
        {"R loop": ref},
        note,
        goal=Goal("10,000 in a few seconds (< 5 s)", at_most=5 * m / 10_000),
    )


def sensitivity_row(panels, repeat, r_ok):
    """One few-studies sensitivity panel (``meta.sensitivity``, 11 methods) of the
    packaged two-arm studies, OR. Panels are computed one at a time: not vectorised."""
    from recurrence import load_studies, meta

    st = load_studies()
    two = st.dropna(subset=["events_closure", "total_closure", "events_control", "total_control"])

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(panels):
                meta.sensitivity(two, measure="OR")

    ours = median_time(run, repeat) / panels
    ref = None
    if r_ok:
        with tempfile.TemporaryDirectory() as tmp:
            two.to_csv(Path(tmp) / "s.csv", index=False)
            ref = run_r("sensitivity.R", Path(tmp) / "s.csv", repeat, panels)["seconds"]
    record(
        "one sensitivity panel (11 methods, OR)",
        f"k={len(two)}",
        ours,
        {"metafor (8 frequentist methods)": ref},
        f"mean of {panels} panels; panels are not vectorised over analyses (10,000 panels ≈ "
        f"{10_000 * ours:,.0f} s); R runs the panel's frequentist methods only (no Bayesian rows)",
    )


def glmm_row(repeat, r_ok):
    """The binomial-normal GLMM of the packaged studies' closure arms against
    ``metafor::rma.glmm`` (lme4, nAGQ = 7) on the same counts."""
    from recurrence import load_studies
    from recurrence.meta.glmm import glmm_proportions

    st = load_studies()
    arm = st[st["total_closure"].notna()]
    x = arm["events_closure"].to_numpy(float)
    n = arm["total_closure"].to_numpy(float)
    fits = 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = median_time(lambda: [glmm_proportions(x, n) for _ in range(fits)], repeat) / fits
    ref = None
    if r_ok:
        with tempfile.TemporaryDirectory() as tmp:
            pd.DataFrame({"events": x, "total": n}).to_csv(Path(tmp) / "c.csv", index=False)
            ref = run_r("glmm.R", Path(tmp) / "c.csv", repeat, fits)["seconds"]
    record(
        "GLMM of one arm's proportions (binomial-normal, 7-node AGHQ)",
        f"k={len(x)}",
        ours,
        {"metafor rma.glmm": ref},
        f"closure arms of the packaged studies; one fit timed as the mean of {fits}",
        goal=Goal("no slower than rma.glmm", ratio=1),
    )
