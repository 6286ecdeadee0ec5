"""The numeric core of the survival estimators: pure functions of NumPy arrays.

Private to the package, but an internal API with a contract, used by the survival
estimators (``recurrence.survival``) and by the trial simulations
(``recurrence.design``), which may import nothing else of ``recurrence.survival``:

* inputs and outputs are NumPy arrays, scalars and small frozen dataclasses; no
  DataFrame, no column names, no display, no warnings. What a user typed is checked
  before it gets here (``recurrence._validate``); axis ticks live in
  ``recurrence.plotting``;
* the formulas follow R (survival, cmprsk), and the tests hold them to R's numbers.

Modules:

:mod:`~recurrence.survival._core.nonparametric`
    Risk tables, Kaplan-Meier with Greenwood's variance, Aalen-Johansen with cmprsk's
    variance, log-rank sums, medians and restricted means.
:mod:`~recurrence.survival._core.gray`
    Gray's test score of cumulative incidences (cmprsk's ``crstm``).
:mod:`~recurrence.survival._core.cox`
    The Cox partial likelihood (Breslow and Efron ties, strata, weights), Newton fit,
    score residuals, baseline hazard, robust variance, ``timefix``, ``cox.zph``.
:mod:`~recurrence.survival._core.finegray`
    The Fine-Gray subdistribution-hazard likelihood and ``crr``'s variance.
:mod:`~recurrence.survival._core.concordance`
    Harrell's concordance (survival's ``concordance``).
"""
