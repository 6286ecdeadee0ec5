"""GRADE's summary of findings: the pooled relative effect, absolute effects per 1,000
at an assumed control risk, participants and studies, and the certainty of the
evidence from its five domains (Guyatt et al. 2011, J Clin Epidemiol 64:383; the
GRADE handbook, Schünemann et al. 2013).

Absolute effects at the assumed control risk ACR (per 1,000): RR: ACR·RR; OR:
ACR·OR/(1 − ACR + ACR·OR); RD: ACR + RD; HR: 1 − (1 − ACR)^HR; each at the estimate
and at the two ends of its interval.

Certainty starts *high* when every study is randomized (``design`` of the study table
mentions RCT or randomized) and *low* otherwise; it moves down one level per −1 of
the five domains (and up for ``upgrade``, observational evidence only), to *very low*
at least. The software suggests downgrades where it can compute them, each with its
reason; the user's judgement (``certainty={"domain": -1, …}``) overrides:

* **risk of bias**: from the study table's ``rob`` column (:mod:`.rob`): −1 when half
  or more of the weight comes from studies at high risk, −2 from 80%; not assessed
  (0) without judgements;
* **inconsistency**: −1 when I² ≥ 50% or the prediction interval includes the null
  while the confidence interval does not; −2 when I² ≥ 75% and the prediction
  interval includes the null;
* **indirectness**: the user's judgement only (populations, devices, outcomes);
* **imprecision**: −1 when the participants fall short of the optimal information size
  (the participants of one trial powered at 80%, two-sided α = 5%, for a 25% relative
  risk reduction at the ACR: GRADE's rule of thumb), −1 when the interval includes the
  decision threshold (the null by default); −2 for both;
* **publication bias**: −1 when Egger's test has p < 0.10 with at least 10 studies;
  with fewer, not assessable by tests (0, with that reason).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from .._format import p_text
from ..errors import DataError, Problem
from ..results import ResultMixin
from .results import MetaResult

__all__ = ["DOMAINS", "LEVELS", "SummaryOfFindings", "absolute_risk", "summary_of_findings"]

DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
LEVELS = ("very low", "low", "moderate", "high")


def absolute_risk(effect, control_risk: float, measure: str):
    """Risk with closure at ``control_risk`` for a relative ``effect`` (natural scale).

    Examples
    --------
    >>> [round(float(absolute_risk(0.5, 0.2, m)), 4) for m in ("RR", "OR", "HR")]
    [0.1, 0.1111, 0.1056]
    """
    e = np.asarray(effect, float)
    acr = float(control_risk)
    if measure == "RR":
        return acr * e
    if measure == "OR":
        return acr * e / (1 - acr + acr * e)
    if measure == "RD":
        return acr + e
    if measure == "HR":
        return 1 - (1 - acr) ** e
    raise DataError(Problem(f"absolute effects need RR, OR, RD or HR, not {measure}"))


@dataclass(frozen=True, repr=False)
class SummaryOfFindings(ResultMixin):
    """A GRADE summary of findings.

    ``table``: one row: ``measure``, ``relative``, ``ci_low``, ``ci_high``,
    ``assumed_per_1000``, ``corresponding_per_1000`` with ``corresponding_low`` and
    ``corresponding_high``, ``difference_per_1000`` with ``difference_low`` and
    ``difference_high``, ``participants``, ``studies``, ``certainty``.
    ``domains``: one row per domain with ``suggested``, ``applied``, ``source``
    (``suggested`` or ``user``) and ``reason``. ``certainty``: the level.
    """

    title: ClassVar[str] = "Summary of findings (GRADE)"

    table: pd.DataFrame
    domains: pd.DataFrame
    certainty: str
    start: str
    control_risk: float
    remarks: tuple[str, ...] = ()
    result: MetaResult | None = field(default=None, repr=False)

    def summary_lines(self) -> list[str]:
        r = self.table.iloc[0]
        return [
            f"{r['measure']} {r['relative']:.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f}); "
            f"{r['corresponding_per_1000']:.0f} per 1,000 with closure "
            f"({r['corresponding_low']:.0f} to {r['corresponding_high']:.0f}) against "
            f"{r['assumed_per_1000']:.0f} without; {int(r['participants']):,} participants, "
            f"{int(r['studies'])} studies; certainty {self.certainty}",
        ]

    def _repr_html_(self) -> str:
        from .._format import html_table

        return super()._repr_html_() + html_table(self.domains, index=False)


def _weights(result):
    t = result.table.loc[result.table["included"]]
    return t, t["weight"].to_numpy(float) / 100


def _risk_of_bias(result):
    from .rob import HIGH_RISK, normalize_rob

    data = getattr(result.spec, "data", None)
    if data is None or "rob" not in data or data["rob"].isna().all():
        return 0, "not assessed: the study table has no risk-of-bias judgements (rob column)"
    inc = result.table["included"].to_numpy(bool)
    rob = normalize_rob(data["rob"]).to_numpy(object)[inc]
    w = result.table.loc[inc, "weight"].to_numpy(float) / 100
    high = np.array([isinstance(v, str) and v in HIGH_RISK for v in rob])
    missing = np.array([not isinstance(v, str) for v in rob])
    share = float(w[high].sum())
    note = f"; {int(missing.sum())} studies not assessed" if missing.any() else ""
    if share >= 0.8:
        return -2, f"{100 * share:.0f}% of the weight from studies at high risk of bias{note}"
    if share >= 0.5:
        return -1, f"{100 * share:.0f}% of the weight from studies at high risk of bias{note}"
    return 0, f"{100 * share:.0f}% of the weight from studies at high risk of bias{note}"


def _null(result):
    return 1.0 if result.is_ratio else 0.0


def _includes(lo, hi, x):
    return lo is not None and hi is not None and lo <= x <= hi


def _inconsistency(result):
    if result.k < 2:
        return 0, "one study: inconsistency cannot be assessed"
    null = _null(result)
    pi = result.pi_low is not None
    pi_null = pi and _includes(result.pi_low, result.pi_high, null)
    ci_null = _includes(result.ci_low, result.ci_high, null)
    text = f"I² = {result.i2:.0f}%"
    if pi:
        text += f", prediction interval {result.pi_low:.2f} to {result.pi_high:.2f}"
    if result.i2 >= 75 and pi_null:
        return -2, f"{text}: considerable heterogeneity, and a new setting could show no effect"
    if result.i2 >= 50:
        return -1, f"{text}: substantial heterogeneity"
    if pi_null and not ci_null:
        return -1, f"{text}: the prediction interval includes no effect, the CI does not"
    if result.i2 == 0 and result.k < 10:
        return 0, f"{text} (with {result.k} studies heterogeneity is hard to detect)"
    return 0, text


def _imprecision(result, control_risk, threshold):
    from .tsa import required_information

    t, _ = _weights(result)
    n = float((t["total_closure"] + t["total_control"]).sum()) if "total_closure" in t else math.nan
    reasons, score = [], 0
    ois = required_information(control_risk, 0.25, 0.05, 0.8) if 0 < control_risk < 1 else math.nan
    if np.isfinite(n) and np.isfinite(ois) and n < ois:
        score -= 1
        reasons.append(
            f"{n:,.0f} participants, fewer than the optimal information size ({ois:,.0f} for "
            f"a 25% relative risk reduction at {1000 * control_risk:.0f} per 1,000, α 5%, "
            "power 80%)"
        )
    elif np.isfinite(ois):
        reasons.append(f"{n:,.0f} participants meet the optimal information size ({ois:,.0f})")
    if _includes(result.ci_low, result.ci_high, threshold):
        score -= 1
        reasons.append(
            f"the interval ({result.ci_low:.2f} to {result.ci_high:.2f}) includes the decision "
            f"threshold {threshold:g}"
        )
    else:
        reasons.append(f"the interval excludes the decision threshold {threshold:g}")
    return score, "; ".join(reasons)


def _publication_bias(result):
    from .bias import egger_test

    if result.k < 10:
        return 0, (
            f"{result.k} studies: too few for funnel-plot tests (10 or more); not downgraded "
            "on tests, judge it yourself"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        egger = egger_test(result)
    if egger.pvalue < 0.10:
        return -1, f"Egger's test {p_text(egger.pvalue)} (asymmetric funnel)"
    return 0, f"Egger's test {p_text(egger.pvalue)}"


def _start(result):
    data = getattr(result.spec, "data", None)
    if data is None or "design" not in data:
        return "high", "randomized trials assumed (no design column): pass certainty={'start': ...}"
    inc = result.table["included"].to_numpy(bool)
    design = data["design"].astype("string").str.casefold().fillna("").to_numpy(object)[inc]
    rct = np.array(["rct" in d or "randomi" in d for d in design])
    if rct.all():
        return "high", "every study is randomized"
    return "low", f"{int((~rct).sum())} of {rct.size} studies are not randomized"


def summary_of_findings(
    result: MetaResult,
    *,
    control_risk: float | None = None,
    certainty: dict | None = None,
    threshold: float | None = None,
    outcome: str = "reherniation",
) -> SummaryOfFindings:
    """GRADE's summary of findings for a comparison.

    Parameters
    ----------
    result
        A comparison (:func:`~recurrence.meta.compare` or :func:`~recurrence.meta.generic`
        with RR, OR, RD or HR).
    control_risk
        Assumed risk without closure; default the median control-arm risk of the
        studies (for reported effects without counts it must be given).
    certainty
        The reviewer's judgements, overriding the suggestions: ``{"risk_of_bias": -1,
        "indirectness": -1, …}`` (0, −1 or −2 per domain), ``"upgrade"`` (0, 1 or 2)
        and ``"start"`` (``"high"`` or ``"low"``).
    threshold
        Decision threshold for imprecision on the effect's scale (default: no effect).
    outcome
        Name of the outcome in the table.

    Returns
    -------
    SummaryOfFindings
        ``table`` (relative effect and interval, assumed and corresponding risks per 1,000
        patients), ``domains`` (each GRADE domain: suggested and applied rating, reason)
        and ``certainty`` (``"high"``, ``"moderate"``, ``"low"`` or ``"very low"``).

    Examples
    --------
    >>> from recurrence.meta import compare
    >>> from recurrence.meta.datasets import bcg
    >>> b = bcg()
    >>> res = compare(b.events_closure, b.total_closure, b.events_control, b.total_control)
    >>> sof = summary_of_findings(res, certainty={"indirectness": -1})
    >>> sof.certainty, int(sof.domains.set_index("domain").loc["inconsistency", "applied"])
    ('very low', -2)
    """
    if not isinstance(result, MetaResult) or result.kind != "compare":
        raise DataError(
            Problem("a summary of findings needs a comparison", fix="pass a compare() result")
        )
    if result.measure not in ("RR", "OR", "RD", "HR"):
        raise DataError(Problem(f"absolute effects need RR, OR, RD or HR, not {result.measure}"))
    certainty = dict(certainty or {})
    unknown = set(certainty) - {*DOMAINS, "upgrade", "start"}
    if unknown:
        raise DataError(
            Problem(
                f"certainty has unknown keys {sorted(unknown)}",
                fix=f"use {', '.join(DOMAINS)}, upgrade, start",
            )
        )
    for key, value in certainty.items():
        ok = (
            value in ("high", "low")
            if key == "start"
            else value in (0, 1, 2)
            if key == "upgrade"
            else value in (0, -1, -2)
        )
        if not ok:
            raise DataError(
                Problem(
                    f"certainty[{key!r}] = {value!r} is not allowed",
                    fix="domains take 0, -1 or -2; upgrade 0, 1 or 2; start 'high' or 'low'",
                )
            )
    t, _ = _weights(result)
    given = control_risk is not None
    if control_risk is None:
        if "events_control" not in t:
            raise DataError(
                Problem(
                    "no control-arm counts to take the control risk from", fix="pass control_risk="
                )
            )
        control_risk = float(np.median(t["events_control"] / t["total_control"]))
    if not 0 < control_risk < 1:
        raise DataError(Problem(f"control_risk must lie in (0, 1), got {control_risk}"))
    threshold = _null(result) if threshold is None else float(threshold)
    suggested = {
        "risk_of_bias": _risk_of_bias(result),
        "inconsistency": _inconsistency(result),
        "indirectness": (0, "judged by the reviewer (populations, devices, outcomes)"),
        "imprecision": _imprecision(result, control_risk, threshold),
        "publication_bias": _publication_bias(result),
    }
    rows = []
    for domain in DOMAINS:
        score, reason = suggested[domain]
        user = domain in certainty
        applied = certainty[domain] if user else max(score, -2)
        rows.append(
            {
                "domain": domain,
                "suggested": max(score, -2),
                "applied": applied,
                "source": "user" if user else "suggested",
                "reason": reason,
            }
        )
    domains = pd.DataFrame(rows)
    start, why = (
        (certainty["start"], "given by the reviewer") if "start" in certainty else _start(result)
    )
    level = LEVELS.index(start) + int(domains["applied"].sum())
    if start == "low":
        level += int(certainty.get("upgrade", 0))
    level = min(max(level, 0), len(LEVELS) - 1)
    est = [result.estimate, result.ci_low, result.ci_high]
    corr = 1000 * absolute_risk(est, control_risk, result.measure)
    acr = 1000 * control_risk
    lo, hi = sorted(corr[1:])
    n = int((t["total_closure"] + t["total_control"]).sum()) if "total_closure" in t else np.nan
    table = pd.DataFrame(
        [
            {
                "outcome": outcome,
                "measure": result.measure,
                "relative": result.estimate,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "assumed_per_1000": acr,
                "corresponding_per_1000": corr[0],
                "corresponding_low": lo,
                "corresponding_high": hi,
                "difference_per_1000": corr[0] - acr,
                "difference_low": lo - acr,
                "difference_high": hi - acr,
                "participants": n,
                "studies": result.k,
                "certainty": LEVELS[level],
            }
        ]
    )
    remarks = [f"certainty starts {start}: {why}"]
    remarks.append(
        f"assumed control risk {acr:.0f} per 1,000 "
        + ("(given)" if given else "(median of the control arms)")
    )
    return SummaryOfFindings(
        table=table,
        domains=domains,
        certainty=LEVELS[level],
        start=start,
        control_risk=float(control_risk),
        remarks=tuple(remarks),
        result=result,
    )
