"""The caveats a Cox fit carries (its ``remarks``): other causes censored, doubtful
proportional hazards, ties, few events per coefficient, strata, robust variance,
weighting. Used by :mod:`recurrence.survival.cox`."""

from __future__ import annotations

import numpy as np

from .._format import p_text
from ._reg_common import MIN_EVENTS_PER_COEF

#: p-value of cox.zph below which a remark says proportional hazards are doubtful.
PH_ALPHA = 0.05
#: Fewer clusters than this earns a remark on cluster-robust standard errors.
MIN_CLUSTERS = 30


def cox_remarks(data, dead, event, cause, ph, robust, iptw, strata, cluster, weights, p, st, ties):
    out = []
    others = np.unique(data.event[(data.event > 0) & ~dead])
    if len(others):
        k = int(((data.event > 0) & ~dead).sum())
        codes = ", ".join(str(c) for c in others)
        out.append(
            f"cause-specific hazard of {cause}: {k} other events (event {codes}) were "
            "treated as censored at their time; for the probability of "
            f"{cause} use cumulative_incidence() or fine_gray()"
        )
    if len(ph) and ph["chisq"].isna().all():
        out.append("no proportional-hazards test: all events happen at one time")
    for term, row in ph.iterrows():
        if row["pvalue"] < PH_ALPHA:
            what = "overall (global test)" if term == "GLOBAL" else f"for {term}"
            out.append(
                f"proportional hazards doubtful {what} ({p_text(row['pvalue'])}, "
                "cox.zph); the hazard ratio is an average over follow-up"
            )
    tied = sum(int((s.d > 1).sum()) for s in st)
    if tied:
        out.append(
            f"{tied} event times are shared by several patients "
            f"({'Efron' if ties == 'efron' else 'Breslow'} approximation)"
        )
    events = int(dead.sum())
    if events < MIN_EVENTS_PER_COEF * p:
        out.append(
            f"only {events} events for {p} coefficient{'s' if p != 1 else ''} (fewer than "
            f"{MIN_EVENTS_PER_COEF} per coefficient): estimates may be unstable"
        )
    if strata is not None:
        out.append(
            f"stratified by {strata} ({len(data.strata_labels)} strata): a baseline hazard "
            f"per stratum, no hazard ratio for {strata}"
        )
    if robust:
        if cluster is not None:
            nclus = len(np.unique(data.cluster))
            out.append(
                f"intervals and p-values use robust (sandwich) standard errors clustered "
                f"by {cluster} ({nclus} clusters)"
            )
            if nclus < MIN_CLUSTERS:
                out.append(
                    f"only {nclus} clusters: cluster-robust standard errors can be too "
                    f"small with fewer than about {MIN_CLUSTERS} clusters"
                )
        elif iptw is not None:
            out.append(
                "intervals and p-values use robust (sandwich) standard errors, which "
                "allow for the weighting"
            )
        else:
            out.append(
                "intervals and p-values use robust (sandwich) standard errors, as "
                "weights are not whole numbers"
            )
    if iptw is not None:
        kind = "stabilized " if iptw.stabilized else ""
        out.append(
            f"inverse probability of treatment weighting ({kind}weights; propensity of "
            f"closure on {', '.join(iptw.table.index)}): a marginal hazard ratio"
        )
        out += list(iptw.remarks)
    elif weights is not None:
        out.append(
            "case weights" + (f" from column '{weights}'" if isinstance(weights, str) else "")
        )
    return out
