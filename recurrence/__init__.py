"""recurrence: how often a lumbar disc herniates again after discectomy, with and
without closing the annulus fibrosus, and how sure we can be.

Public names (the map of the package: ``docs/architecture.md``): :func:`load_cohort`,
:func:`load_studies`, :func:`simulate_cohort`, :func:`simulate_studies`, :func:`table_one`,
:func:`check_range`, :func:`evalue`,
:func:`impute`, :class:`DataError`, and the subpackages :mod:`recurrence.survival`,
:mod:`recurrence.meta`, :mod:`recurrence.plotting`, :mod:`recurrence.report`.

Everything is imported lazily, so ``import recurrence`` stays fast and has no side
effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach

_LAZY = {
    "load_cohort": "recurrence.cohorts",
    "load_studies": "recurrence.studies",
    "published_studies": "recurrence.studies",
    "simulate_cohort": "recurrence.synthetic",
    "simulate_studies": "recurrence.synthetic",
    "true_cumulative_incidence": "recurrence.synthetic",
    "table_one": "recurrence.tableone",
    "check_range": "recurrence.checks",
    "evalue": "recurrence.confounding",
    "impute": "recurrence.imputation",
    "DataError": "recurrence.errors",
    "DataWarning": "recurrence.errors",
    "StatisticalWarning": "recurrence.errors",
    "ConvergenceWarning": "recurrence.errors",
}
_SUBPACKAGES = {
    "survival",
    "meta",
    "plotting",
    "report",
    "design",
    "checks",
    "errors",
    "synthetic",
    "schema",
    "studies",
    "cohorts",
    "tableone",
    "results",
    "export",
    "confounding",
    "imputation",
}

__all__ = [  # noqa: RUF022 (grouped: functions, warnings, subpackages)
    "check_range",
    "evalue",
    "impute",
    "load_cohort",
    "load_studies",
    "published_studies",
    "simulate_cohort",
    "simulate_studies",
    "table_one",
    "true_cumulative_incidence",
    "ConvergenceWarning",
    "DataError",
    "DataWarning",
    "StatisticalWarning",
    "checks",
    "cohorts",
    "confounding",
    "design",
    "errors",
    "export",
    "imputation",
    "meta",
    "plotting",
    "report",
    "results",
    "schema",
    "studies",
    "survival",
    "synthetic",
    "tableone",
]


_getattr, __dir__ = attach(__name__, _LAZY, _SUBPACKAGES, __all__)


def __getattr__(name: str):
    # the version written in pyproject.toml, read when asked (importlib.metadata costs
    # more than the rest of `import recurrence`)
    if name == "__version__":
        from importlib.metadata import version

        globals()["__version__"] = value = version("recurrence")
        return value
    return _getattr(name)


if TYPE_CHECKING:  # pragma: no cover
    from . import (
        checks,
        cohorts,
        confounding,
        design,
        errors,
        export,
        imputation,
        meta,
        plotting,
        report,
        results,
        schema,
        studies,
        survival,
        synthetic,
        tableone,
    )
    from .checks import check_range
    from .cohorts import load_cohort
    from .confounding import evalue
    from .errors import ConvergenceWarning, DataError, DataWarning, StatisticalWarning
    from .imputation import impute
    from .studies import load_studies, published_studies
    from .synthetic import simulate_cohort, simulate_studies, true_cumulative_incidence
    from .tableone import table_one

    __version__: str
