"""The distribution functions the package computes with: normal, chi-squared, Student's
t, F and beta, as ``norm.ppf(p)``, ``chi2.sf(x, df)``, ``student_t.ppf(q, df)``, … with
scipy.stats' names, arguments and values.

Why not ``scipy.stats`` itself: importing it takes 0.4-0.5 s on top of scipy.special and
scipy.optimize (it loads scipy.spatial, ndimage, interpolate and fft: measured with
``python -X importtime`` on the 2-core machine of ``docs/report.md``), paid by every
command, report and notebook that needs one p-value. Each function here is the
scipy.special routine that scipy.stats' own method calls (``norm.sf(x)`` is
``ndtr(-x)``, ``chi2.ppf`` is ``2·gammaincinv(df/2, p)``, …), so the numbers are the
same to the last bit; ``tests/test_dist.py`` holds every function to scipy.stats.

Examples
--------
>>> from recurrence._dist import chi2, norm, student_t
>>> round(float(norm.ppf(0.975)), 6), round(float(chi2.sf(3.841459, 1)), 6)
(1.959964, 0.05)
>>> round(float(student_t.ppf(0.975, 10)), 6)
2.228139
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["beta_dist", "chi2", "fisher_f", "norm", "student_t"]

_SQRT_2PI = np.sqrt(2 * np.pi)  # scipy.stats' _norm_pdf_C
_LOG_SQRT_2PI = np.log(_SQRT_2PI)


def _outside(x, value, lo: float, below: float, above: float):
    """scipy.stats' values outside the support [lo, ∞): ``below`` left of it, ``above``
    at +∞ (its generic methods set these before calling the routine)."""
    x = np.asarray(x, float)
    out = np.where(x < lo, below, np.where(x == np.inf, above, value))
    return out[()] if out.ndim == 0 else out


def _ends(q, value, lo: float, hi: float):
    """scipy.stats' quantiles at q = 0 and 1 (the ends of the support), NaN outside."""
    q = np.asarray(q, float)
    out = np.where(q == 0, lo, np.where(q == 1, hi, value))
    out = np.where((q < 0) | (q > 1), np.nan, out)
    return out[()] if out.ndim == 0 else out


class norm:
    """The standard normal distribution (``scipy.stats.norm`` without loc and scale)."""

    @staticmethod
    def cdf(x):
        return special.ndtr(x)

    @staticmethod
    def sf(x):
        return special.ndtr(np.negative(x))

    @staticmethod
    def ppf(q):
        return special.ndtri(q)

    @staticmethod
    def isf(q):
        return np.negative(special.ndtri(q))

    @staticmethod
    def pdf(x):
        x = np.asarray(x, float)
        return np.exp(-(x**2) / 2.0) / _SQRT_2PI

    @staticmethod
    def logpdf(x):
        x = np.asarray(x, float)
        return -(x**2) / 2.0 - _LOG_SQRT_2PI

    @staticmethod
    def logsf(x):
        return special.log_ndtr(np.negative(x))


class chi2:
    """The chi-squared distribution with ``df`` degrees of freedom."""

    @staticmethod
    def cdf(x, df):
        return _outside(x, special.chdtr(df, np.maximum(x, 0)), 0.0, 0.0, 1.0)

    @staticmethod
    def sf(x, df):
        return _outside(x, special.chdtrc(df, np.maximum(x, 0)), 0.0, 1.0, 0.0)

    @staticmethod
    def ppf(q, df):
        return _ends(q, 2 * special.gammaincinv(np.multiply(df, 0.5), q), 0.0, np.inf)


class student_t:
    """Student's t distribution with ``df`` degrees of freedom."""

    @staticmethod
    def cdf(x, df):
        return special.stdtr(df, x)

    @staticmethod
    def sf(x, df):
        return special.stdtr(df, np.negative(x))

    @staticmethod
    def ppf(q, df):
        return _ends(q, special.stdtrit(df, q), -np.inf, np.inf)


class fisher_f:
    """The F distribution with ``dfn`` and ``dfd`` degrees of freedom."""

    @staticmethod
    def sf(x, dfn, dfd):
        return _outside(x, special.fdtrc(dfn, dfd, np.maximum(x, 0)), 0.0, 1.0, 0.0)


class beta_dist:
    """The beta distribution with shapes ``a`` and ``b``."""

    @staticmethod
    def ppf(q, a, b):
        # scipy.stats calls Boost's beta quantile through a private ufunc
        # (scipy.special._ufuncs._beta_ppf); betaincinv is the public inverse of the
        # same regularised incomplete beta: equal to about 1e-15 (tests/test_dist.py)
        with special.errstate(all="ignore"):  # scipy.stats returns NaN without a word
            return _ends(q, special.betaincinv(a, b, q), 0.0, 1.0)
