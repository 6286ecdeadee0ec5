"""Multiple imputation of missing covariates by chained equations, and Rubin's rules.

:func:`impute` fills the missing covariate values of a cohort ``m`` times. Each
incomplete column is imputed from every other column of the imputation model *and the
outcome* (White & Royston, Stat Med 2009;28:1982-1998): the indicator of a reherniation
and the Nelson-Aalen cumulative hazard of reherniation at the patient's own time, and
the same two for competing events when there are any (for competing risks, as Bartlett
& Taylor 2016 recommend). Leaving the outcome out would bias every covariate effect
towards 0. Numbers are imputed by predictive mean matching, yes/no and two-level
categories by logistic regression, categories with more levels by multinomial logistic
regression, each with its parameters drawn from their posterior (the draws are in
:mod:`recurrence._mice`, the categorical models fitted by statsmodels in
:mod:`recurrence._mice_statsmodels`, which also says why statsmodels' ``MICEData``
is not used for the chain).

Each of the ``m`` imputations is its own chain (as R's ``mice``): starting from random
draws of the observed values, ``iterations`` cycles over the incomplete columns. The
chains are seeded by ``numpy.random.SeedSequence(seed).spawn(m)``, so a seed gives the
same imputations on every machine and the chains are independent streams.

:meth:`Imputation.fit` runs an analysis on each completed cohort and pools its
coefficients by Rubin's rules (:func:`recurrence._mice.rubin`), exactly as
``mice::pool``: Barnard-Rubin degrees of freedom, with the complete-data degrees of
freedom of ``mice`` (events − coefficients for a Cox model, patients − coefficients
otherwise), and the fraction of missing information.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _mice
from ._validate import check_cohort
from .errors import DataError, Problem
from .results import ResultMixin
from .rubin import PooledResult, _estimates, pool
from .synthetic import DEFAULT_SEED

__all__ = ["Imputation", "PooledResult", "impute", "pool"]  # pooling lives in rubin.py

#: Columns never imputed nor used as covariates: identifiers and the outcome.
NOT_COVARIATES = ("patient_id", "time", "event", "time_left")
#: Text columns with more levels than this are left out of the default model (free
#: text, identifiers).
MAX_LEVELS = 20
METHODS = {"number": "predictive mean matching", "yes/no": "logistic", "category": ""}


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Imputation(ResultMixin):
    """The ``m`` completed cohorts of :func:`impute`.

    Attributes
    ----------
    datasets
        The completed cohorts (copies of the input with the missing values filled).
    table
        One row per column of the imputation model (index ``column``): ``kind``
        (number, yes/no, category), ``method``, ``missing`` (count), ``percent``.
    n, n_incomplete
        Patients, and patients with at least one missing value in the model's columns.
    m, iterations, seed
        Imputations, cycles per chain, the seed.
    predictors
        The outcome terms added to every imputation model.
    """

    datasets: tuple = field(repr=False)
    table: pd.DataFrame
    n: int
    n_incomplete: int
    m: int
    iterations: int
    seed: object
    predictors: tuple[str, ...]
    remarks: tuple[str, ...] = ()

    title = "Multiple imputation by chained equations"

    def summary_lines(self) -> list[str]:
        return [
            f"{self.m} imputations, {self.iterations} cycles each; "
            f"{self.n_incomplete:,} of {self.n:,} patients had a missing value; outcome "
            f"terms in every model: {', '.join(self.predictors)}"
        ]

    def fit(self, function, *args, **kwargs) -> PooledResult:
        """Run ``function(cohort, *args, **kwargs)`` on every completed cohort and pool.

        Examples
        --------
        >>> import recurrence
        >>> from recurrence import survival
        >>> cohort = recurrence.simulate_cohort(800, seed=4, missing={"smoker": 0.2})
        >>> imp = impute(cohort, m=5, seed=1)
        >>> pooled = imp.fit(survival.cox, ["closure", "smoker"])
        >>> list(pooled.table.columns[:7])
        ['coef', 'se', 'ci_low', 'ci_high', 'pvalue', 'df', 'fmi']
        """
        fits = [function(d, *args, **kwargs) for d in self.datasets]
        return pool(fits, analysis=getattr(function, "__name__", "analysis"))

    def compare(self, function, *args, original: pd.DataFrame | None = None, **kwargs):
        """Complete-case and imputed estimates side by side (``original``: the cohort
        with its missing values, analysed by ``function`` leaving incomplete rows out).

        Returns a DataFrame indexed by (``analysis``, term) with ``coef``, ``se``,
        ``ci_low``, ``ci_high``, ``n``. The complete-case interval is the analysis' own
        normal interval of ``coef``; the imputed one is Rubin's (t, Barnard-Rubin df).

        Examples
        --------
        >>> import recurrence
        >>> from recurrence import survival
        >>> cohort = recurrence.simulate_cohort(800, seed=4, missing={"smoker": 0.2})
        >>> side = impute(cohort, m=3, seed=1).compare(
        ...     survival.cox, ["closure", "smoker"], original=cohort)
        >>> side["n"].tolist()
        [639, 639, 800, 800]
        """
        if original is None:
            raise DataError(
                Problem("compare needs the original cohort", fix="pass original=cohort")
            )
        cc = function(original, *args, **kwargs)
        pooled = self.fit(function, *args, **kwargs)
        est, se, _ = _estimates(cc)
        z = 1.959963984540054
        rows = pd.DataFrame(
            {"coef": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se}
        )
        rows["n"] = getattr(cc, "n", np.nan)
        mi = pooled.table[["coef", "se", "ci_low", "ci_high"]].copy()
        mi["n"] = self.n
        return pd.concat({"complete case": rows, "multiple imputation": mi}, names=["analysis"])


# ---------------------------------------------------------------------------------------
# imputation
# ---------------------------------------------------------------------------------------


def impute(
    cohort: pd.DataFrame,
    m: int = 20,
    *,
    seed: int | np.random.SeedSequence | None = DEFAULT_SEED,
    columns=None,
    iterations: int = 10,
    donors: int = 5,
) -> Imputation:
    """Multiple imputation of missing covariates by chained equations.

    Parameters
    ----------
    cohort
        A cohort table (:func:`recurrence.load_cohort`); ``time`` and ``event`` must be
        complete.
    m
        Number of imputed cohorts (20 or more when the fraction of missing information
        is large).
    seed
        Seed of ``numpy.random.SeedSequence`` (or a SeedSequence): the same seed gives
        the same imputations.
    columns
        The columns of the imputation model: imputed when incomplete, predictors of the
        others. Default: every covariate column (not ``patient_id``, ``time``,
        ``event``, nor text columns with more than 20 distinct values).
    iterations
        Cycles of the chained equations per imputation.
    donors
        Candidate donors of predictive mean matching.

    Returns
    -------
    Imputation
        ``.datasets``, ``.table`` (what was missing and how it was imputed), ``.fit()``.

    Examples
    --------
    >>> import recurrence
    >>> cohort = recurrence.simulate_cohort(600, seed=2, missing={"bmi": 0.2, "level": 0.1})
    >>> imp = impute(cohort, m=3, seed=7)
    >>> imp.table.loc[["bmi", "level"], ["kind", "method", "missing"]]
             kind                           method  missing
    column
    bmi        number         predictive mean matching      117
    level    category  multinomial logistic (3 levels)       67
    >>> int(imp.datasets[0]["bmi"].isna().sum())
    0
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise DataError(Problem(f"m must be a whole number ≥ 2, not {m!r}", fix="e.g. m=20"))
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)):
        raise DataError(Problem(f"iterations must be a whole number, not {iterations!r}"))
    check_cohort(cohort)  # time and event complete and valid
    cols, skipped = _model_columns(cohort, columns)
    specs = [_spec(cohort, c) for c in cols]
    outcome, names = _outcome_terms(cohort)
    missing = {s["name"]: s["missing"] for s in specs}
    n_incomplete = int(np.any([s["missing"] for s in specs], axis=0).sum()) if specs else 0
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    root = np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key)  # fresh counter
    datasets = []
    for child in root.spawn(int(m)):
        rng = np.random.default_rng(child)
        state = _chain(specs, outcome, rng, int(iterations), int(donors))
        datasets.append(_complete(cohort, specs, state))
    table = pd.DataFrame(
        [
            {
                "column": s["name"],
                "kind": s["kind"],
                "method": _method(s) if s["missing"].any() else "complete (predictor)",
                "missing": int(s["missing"].sum()),
                "percent": 100 * float(s["missing"].mean()),
            }
            for s in specs
        ]
    ).set_index("column")
    remarks = []
    if skipped:
        remarks.append(
            f"left out of the imputation model (text with more than {MAX_LEVELS} values): "
            + ", ".join(skipped)
        )
    if not any(v.any() for v in missing.values()):
        remarks.append("no missing values in the model's columns: the datasets are copies")
    return Imputation(
        datasets=tuple(datasets),
        table=table,
        n=len(cohort),
        n_incomplete=n_incomplete,
        m=int(m),
        iterations=int(iterations),
        seed=seed,
        predictors=tuple(names),
        remarks=tuple(remarks),
    )


def _model_columns(cohort, columns):
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        absent = [c for c in columns if c not in cohort.columns]
        if absent:
            raise DataError(
                Problem(
                    f"column(s) {absent} are not in the cohort",
                    fix=f"use some of {list(cohort.columns)}",
                )
            )
        refused = [c for c in columns if c in NOT_COVARIATES]
        if refused:
            raise DataError(
                Problem(
                    f"{refused} cannot be imputed: identifiers and the outcome must be complete"
                )
            )
        return columns, []
    cols, skipped = [], []
    for c in cohort.columns:
        if c in NOT_COVARIATES:
            continue
        s = cohort[c]
        if _kind(s) == "category" and s.dropna().astype(str).nunique() > MAX_LEVELS:
            skipped.append(c)
        else:
            cols.append(c)
    return cols, skipped


def _kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "yes/no"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    values = set(s.dropna().unique())
    if values and values <= {True, False} and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "yes/no"
    return "category"


def _spec(cohort, name) -> dict:
    """How one column is coded: kind, current values (codes or numbers), levels."""
    s = cohort[name]
    kind = _kind(s)
    miss = s.isna().to_numpy()
    if miss.all():
        raise DataError(
            Problem(
                "every value is missing: nothing to impute it from",
                column=name,
                fix="leave the column out (columns=[...])",
            )
        )
    if kind == "number":
        values, levels = s.to_numpy(float, na_value=np.nan), None
    elif kind == "yes/no":
        values = s.astype("boolean").astype("Float64").to_numpy(float, na_value=np.nan)
        levels = (False, True)
    else:
        levels = tuple(sorted(s.dropna().unique(), key=str))
        lookup = {v: i for i, v in enumerate(levels)}
        values = np.array([np.nan if pd.isna(v) else lookup[v] for v in s], float)
    return {"name": name, "kind": kind, "values": values, "missing": miss, "levels": levels}


def _method(spec) -> str:
    if spec["kind"] == "number":
        return "predictive mean matching"
    k = len(spec["levels"])
    return "logistic" if k <= 2 else f"multinomial logistic ({k} levels)"


def _outcome_terms(cohort):
    """The outcome as predictors: event indicators and Nelson-Aalen cumulative hazards
    (standardized), for reherniation and, when there are any, competing events."""
    time = cohort["time"].to_numpy(float)
    event = cohort["event"].to_numpy(np.int64)
    cols, names = [], []
    for code, word in ((1, "reherniation"), (2, "competing event")):
        dead = event == code
        if not dead.any():
            continue
        cols += [dead.astype(float), _mice.nelson_aalen_at(time, dead)]
        names += [f"{word} (yes/no)", f"Nelson-Aalen H(T) of {word}"]
    x = np.column_stack(cols) if cols else np.zeros((len(cohort), 0))
    return _standardize(x), names


def _standardize(x):
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _encode(spec, values) -> np.ndarray:
    if spec["kind"] == "number":
        return _standardize(values[:, None])
    if spec["kind"] == "yes/no" or len(spec["levels"]) == 2:
        return values[:, None].astype(float)
    codes = values.astype(np.int64)
    return (codes[:, None] == np.arange(1, len(spec["levels"]))[None, :]).astype(float)


def _chain(specs, outcome, rng, iterations, donors) -> list[np.ndarray]:
    """One chain: random observed values first, then ``iterations`` cycles."""
    state = []
    for s in specs:
        v = s["values"].copy()
        miss = s["missing"]
        if miss.any():
            v[miss] = rng.choice(v[~miss], miss.sum())
        state.append(v)
    todo = [j for j, s in enumerate(specs) if s["missing"].any()]
    for _ in range(iterations if todo else 0):
        for j in todo:
            s = specs[j]
            others = [_encode(specs[i], state[i]) for i in range(len(specs)) if i != j]
            x = np.column_stack([np.ones(len(outcome)), *others, outcome])
            miss = s["missing"]
            state[j][miss] = _draw(s, state[j][~miss], x[~miss], x[miss], rng, donors)
    return state


def _draw(spec, y_obs, x_obs, x_mis, rng, donors) -> np.ndarray:
    from ._mice_statsmodels import fit_binomial, fit_multinomial

    if spec["kind"] == "number":
        return _mice.pmm_draw(y_obs, x_obs, x_mis, rng, donors)
    k = len(spec["levels"])
    present = np.unique(y_obs.astype(np.int64))
    if len(present) == 1:  # one observed level: nothing else can be drawn
        return np.full(len(x_mis), float(present[0]))
    x_obs, x_mis = _drop_constant(x_obs, x_mis)
    if k == 2:
        b, v = fit_binomial(y_obs, x_obs)
        return _mice.logistic_draw(b, v, x_mis, rng).astype(float)
    # categories absent among the fitting rows stay absent: fit on the present ones
    codes = np.searchsorted(present, y_obs.astype(np.int64))
    b, v = fit_multinomial(codes, x_obs, len(present))
    return present[_mice.polytomous_draw(b, v, x_mis, rng)].astype(float)


def _drop_constant(x_obs, x_mis):
    """Predictors constant among the fitting rows (besides the intercept) carry no
    information and make the logistic fits singular."""
    keep = np.ones(x_obs.shape[1], bool)
    keep[1:] = np.ptp(x_obs[:, 1:], axis=0) > 0
    return x_obs[:, keep], x_mis[:, keep]


def _complete(cohort, specs, state) -> pd.DataFrame:
    out = cohort.copy()
    for s, v in zip(specs, state, strict=True):
        if not s["missing"].any():
            continue
        name = s["name"]
        if s["kind"] == "number":
            out[name] = v
        elif s["kind"] == "yes/no":
            out[name] = v.astype(bool)
        else:
            levels = np.asarray(s["levels"], dtype=object)
            out[name] = levels[v.astype(np.int64)]
    out.attrs = dict(cohort.attrs)
    return out
