"""How a meta-analysis was made: :class:`Spec`, the counts, labels and options a
result remembers as ``result.spec`` so that it can be fitted again
(:func:`recurrence.meta._fit.refit`). The engine that turns a :class:`Spec` into a
:class:`~recurrence.meta.results.MetaResult` is :mod:`recurrence.meta._fit`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

__all__ = ["Spec"]


@dataclass(frozen=True)
class Spec:
    """How a result was made: the counts (arrays, one entry per input study), the
    labels and the options; ``data`` the study-table rows, when known."""

    kind: str
    counts: tuple
    labels: tuple
    scale: str
    method: str
    hksj: bool | str  # False, True or "adhoc" (pooling.check_hksj)
    level: float
    study_ci: str = "exact"
    data: pd.DataFrame | None = None
    measure: str | None = None
    extra_names: tuple = ()
    tau_prior: str | None = None

    def subset(self, mask) -> Spec:
        mask = np.asarray(mask, bool)
        data = None if self.data is None else self.data.loc[mask].reset_index(drop=True)
        return replace(
            self,
            counts=tuple(np.asarray(c)[mask] for c in self.counts),
            labels=tuple(np.asarray(self.labels, dtype=object)[mask]),
            data=data,
        )
