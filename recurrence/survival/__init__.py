"""Survival analysis of a cohort table: Kaplan-Meier, log-rank, Cox, competing risks
(Aalen-Johansen, Gray, Fine-Gray), RMST, the headline reherniation rates, absolute
effects (risk difference, NNT), confounder-adjusted incidence (G-formula, IPTW),
subgroups; for reherniation seen on imaging, Turnbull's estimate, parametric (AFT) and
cure models.

Every function takes a cohort table (see :func:`recurrence.load_cohort`); ``by`` names
a grouping column (default ``"closure"``, ``None`` for the whole cohort); times are in
months.

The functions are imported here, eagerly, because several of them share their module's
name (``cox``, ``cure``, ``logrank``, ``parametric``, ``rmst``, ``turnbull``): a lazy
import would let the submodule replace the function as the package attribute.
``import recurrence`` stays light: this package is imported only when used.
"""

from __future__ import annotations

from .absolute import risk_difference
from .adjusted import adjusted_incidence
from .competing import cumulative_incidence
from .cox import cause_specific_cox, cox
from .cure import cure
from .finegray import fine_gray
from .iptw import iptw_weights
from .km import kaplan_meier
from .logrank import logrank
from .parametric import compare_distributions, parametric
from .rates import reherniation_rates
from .rmst import rmst
from .turnbull import turnbull

__all__ = [
    "adjusted_incidence",
    "cause_specific_cox",
    "compare_distributions",
    "cox",
    "cumulative_incidence",
    "cure",
    "fine_gray",
    "iptw_weights",
    "kaplan_meier",
    "logrank",
    "parametric",
    "reherniation_rates",
    "risk_difference",
    "rmst",
    "turnbull",
]

from .subgroups import subgroups

__all__ += ["subgroups"]
