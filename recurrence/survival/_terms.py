"""Model terms with interactions, coded as R's ``model.matrix`` codes them.

A covariate list such as ``["closure", "age", "closure:approach"]`` or
``["closure*sex"]`` is read as an R formula's right-hand side: ``a:b`` is the
interaction, ``a*b`` means ``a + b + a:b`` (``a*b*c`` every main effect and
interaction). Terms are ordered as R orders them (main effects first, then two-way
interactions, …; in the order written within a degree) and the variables within a
term by their first appearance.

Coding (R's rule for a model with an intercept, which ``coxph`` drops afterwards): a
number enters as itself; a yes/no or text variable in a term is coded by contrasts
against its first level when the term without it is in the model (for a main effect,
the intercept), and by one indicator per level otherwise; a term's columns are the
products of its variables' columns, the first variable varying fastest. So
``closure + closure:sex`` gives R's nested coding ``closureTRUE, closureFALSE:sexM,
closureTRUE:sexM``.

Names follow the project's main-effect names, joined by ``:``:

=====================================  ==================================
R (``model.matrix``)                   here
=====================================  ==================================
``closureTRUE``                        ``closure``
``approachPELD``                       ``approach[PELD]``
``closureTRUE:approachPELD``           ``closure:approach[PELD]``
``closureFALSE:sexM`` (nested coding)  ``closure[False]:sex[M]``
``age:sexM``                           ``age:sex[M]``
=====================================  ==================================
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..errors import DataError, Problem

__all__ = [
    "column_term",
    "model_matrix",
    "parse_terms",
    "term_label",
    "term_variables",
    "yes_no_as_float",
]


def parse_terms(covariates) -> list[tuple[str, ...]]:
    """The terms of a covariate list, in R's order, each a tuple of variable names.

    Examples
    --------
    >>> parse_terms(["closure*sex", "age"])
    [('closure',), ('sex',), ('age',), ('closure', 'sex')]
    >>> parse_terms(["closure", "sex:closure"])
    [('closure',), ('closure', 'sex')]
    """
    written: list[frozenset] = []
    order: dict[str, int] = {}
    for item in covariates:
        if not isinstance(item, str) or not item.strip():
            raise DataError(
                Problem(
                    f"a covariate must be a column name or a term such as 'closure:sex' "
                    f"(got {item!r})"
                )
            )
        parts = []
        for part in item.split("*"):
            names = [v.strip() for v in part.split(":")]
            if any(not v for v in names):
                raise DataError(
                    Problem(
                        f"the term {item!r} has an empty name",
                        fix="write interactions as 'closure:approach' or 'closure*approach'",
                    )
                )
            for v in names:
                order.setdefault(v, len(order))
            parts.append(frozenset(names))
        for k in range(1, len(parts) + 1):
            for combo in itertools.combinations(parts, k):
                term = frozenset().union(*combo)
                if term not in written:
                    written.append(term)
    ranked = sorted(range(len(written)), key=lambda i: (len(written[i]), i))
    return [tuple(sorted(written[i], key=order.__getitem__)) for i in ranked]


def term_label(term: tuple[str, ...]) -> str:
    """R's label of a term: its variables joined by ``:``."""
    return ":".join(term)


def term_variables(covariates) -> list[str]:
    """The cohort columns a covariate list uses, in order of appearance.

    Examples
    --------
    >>> term_variables(["closure*sex", "age:approach"])
    ['closure', 'sex', 'age', 'approach']
    """
    return list(dict.fromkeys(v for t in parse_terms(covariates) for v in t))


def column_term(name: str) -> str:
    """The term label of a design column name (``closure:approach[PELD]`` →
    ``closure:approach``)."""
    return ":".join(part.split("[", 1)[0] for part in name.split(":"))


def yes_no_as_float(s: pd.Series) -> pd.Series:
    """A yes/no column (NumPy or nullable booleans) as 0/1 floats, NaN where missing.

    Not ``astype("Float64").astype(float)``: the same numbers, but from NumPy booleans
    pandas converts them one by one (18 ms for 100,000 here, against 0.1 ms), and
    closure is in every model.
    """
    return pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index, name=s.name)


def _columns(s: pd.Series, name: str, contrasts: bool) -> list[tuple[str, pd.Series]]:
    """A variable's (name, values) columns, NaN where it is missing."""
    if pd.api.types.is_bool_dtype(s):
        values = yes_no_as_float(s)
        if contrasts:
            return [(name, values)]
        return [(f"{name}[False]", 1.0 - values), (f"{name}[True]", values)]
    if pd.api.types.is_numeric_dtype(s):
        return [(name, s.astype(float))]
    # the values as codes once (missing: -1); a level is every value that prints as it
    # (the string comparisons per level were most of a large model's matrix)
    codes, uniques = pd.factorize(s)
    printed = np.array([str(u) for u in uniques], dtype=object)
    levels = sorted(set(printed))
    missing = codes < 0
    out = []
    for level in levels[1:] if contrasts else levels:
        col = np.isin(codes, np.flatnonzero(printed == level)).astype(float)
        col[missing] = np.nan
        out.append((f"{name}[{level}]", pd.Series(col, index=s.index, name=s.name)))
    return out


def model_matrix(cohort: pd.DataFrame, covariates) -> tuple[pd.DataFrame, list[str]]:
    """The numeric design matrix (one column per coefficient, NaN where a value used
    is missing) and its column names.

    Examples
    --------
    >>> df = pd.DataFrame({"closure": [True, False, True, False],
    ...                    "sex": ["F", "M", "M", "F"], "age": [40.0, 50, 60, 70]})
    >>> x, names = model_matrix(df, ["closure", "closure:sex"])
    >>> names
    ['closure', 'closure[False]:sex[M]', 'closure[True]:sex[M]']
    >>> model_matrix(df, ["age*sex"])[1]
    ['age', 'sex[M]', 'age:sex[M]']
    """
    terms = parse_terms(covariates)
    for v in dict.fromkeys(v for t in terms for v in t):
        if v not in cohort.columns:
            raise DataError(
                Problem(
                    f"covariate '{v}' is not in the cohort",
                    fix=f"use one of {list(cohort.columns)}",
                )
            )
    present: set[frozenset[str]] = {frozenset(t) for t in terms} | {
        frozenset()
    }  # with the intercept
    parts: dict[str, pd.Series] = {}
    for term in terms:
        per_variable = [
            _columns(cohort[v], v, frozenset(term) - {v} in present)
            for v in term  # the first variable varies fastest, as in R
        ]
        for combo in itertools.product(*reversed(per_variable)):
            combo = combo[::-1]
            name = ":".join(n for n, _ in combo)
            values = combo[0][1]
            for _, col in combo[1:]:
                values = values * col
            parts[name] = values.rename(name)
    if not parts:
        return pd.DataFrame(index=cohort.index), []
    frame = pd.concat(list(parts.values()), axis=1)
    return frame, list(parts)


def interaction_columns(names: list[str]) -> np.ndarray:
    """Which design columns belong to interaction terms."""
    return np.array([":" in column_term(n) for n in names], dtype=bool)
