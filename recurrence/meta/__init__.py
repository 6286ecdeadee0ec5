"""Meta-analysis of published studies: pooled reherniation rates and the effect of
annulus closure, heterogeneity, small-study effects, sensitivity, subgroups,
meta-regression, and a hospital's own cohort as one more study.

The public names (:func:`proportions`, :func:`compare`, :func:`egger_test`,
:func:`begg_test`, :func:`trim_and_fill`, :func:`leave_one_out`, :func:`regression`; for
few studies :func:`generic`, :func:`sensitivity`, :func:`summary_of_findings`,
:func:`sequential`) and the conveniences around them are imported on first use.
Modules are named for what they hold, never for a public function (``meta.sensitivity``
is the function, in ``method_sensitivity.py``; leave-one-out is in ``leave_out.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

_LAZY = {
    # pooling
    "proportions": "recurrence.meta.models",
    "compare": "recurrence.meta.models",
    # reported effects (HR, RR, OR with CI or SE)
    "generic": "recurrence.meta.reported",
    # straight from a study table
    "pool_arm": "recurrence.meta.tables",
    "compare_studies": "recurrence.meta.tables",
    # bias
    "egger_test": "recurrence.meta.bias",
    "begg_test": "recurrence.meta.bias",
    "trim_and_fill": "recurrence.meta.bias",
    # sensitivity
    "leave_one_out": "recurrence.meta.leave_out",
    "influence": "recurrence.meta.leave_out",
    "cumulative": "recurrence.meta.leave_out",
    # one table across methods
    "sensitivity": "recurrence.meta.method_sensitivity",
    # few studies: certainty of the evidence, risk of bias, trial sequential analysis
    "summary_of_findings": "recurrence.meta.grade",
    "sequential": "recurrence.meta.tsa",
    "check_rob": "recurrence.meta.rob",
    "without_high_risk": "recurrence.meta.rob",
    "published_rob": "recurrence.meta.rob",
    # subgroups and meta-regression
    "subgroups": "recurrence.meta.subgroup",
    "regression": "recurrence.meta.metaregression",
    # a cohort as one more study
    "cohort_as_study": "recurrence.meta.cohort",
    # many analyses at once, and the pieces
    "pool_many": "recurrence.meta.pooling",
    "MetaResult": "recurrence.meta.results",
    "TrimFillResult": "recurrence.meta.results",
    "SubgroupResult": "recurrence.meta.results",
    "RegressionResult": "recurrence.meta.results",
    "BiasTest": "recurrence.meta.results",
    "InfluenceResult": "recurrence.meta.results",
}

__all__ = [  # the keys of _LAZY (tests/test_architecture.py)
    "BiasTest",
    "InfluenceResult",
    "MetaResult",
    "RegressionResult",
    "SubgroupResult",
    "TrimFillResult",
    "begg_test",
    "check_rob",
    "cohort_as_study",
    "compare",
    "compare_studies",
    "cumulative",
    "egger_test",
    "generic",
    "influence",
    "leave_one_out",
    "pool_arm",
    "pool_many",
    "proportions",
    "published_rob",
    "regression",
    "sensitivity",
    "sequential",
    "subgroups",
    "summary_of_findings",
    "trim_and_fill",
    "without_high_risk",
]

__getattr__, __dir__ = attach(__name__, _LAZY, names=__all__)

if TYPE_CHECKING:  # pragma: no cover
    from .bias import begg_test, egger_test, trim_and_fill
    from .cohort import cohort_as_study
    from .grade import summary_of_findings
    from .leave_out import cumulative, influence, leave_one_out
    from .metaregression import regression
    from .method_sensitivity import sensitivity
    from .models import compare, proportions
    from .pooling import pool_many
    from .reported import generic
    from .results import (
        BiasTest,
        InfluenceResult,
        MetaResult,
        RegressionResult,
        SubgroupResult,
        TrimFillResult,
    )
    from .rob import check_rob, published_rob, without_high_risk
    from .subgroup import subgroups
    from .tables import compare_studies, pool_arm
    from .tsa import sequential
