"""The report's figures, drawn from result objects only, as SVG (vector, text as paths).

Each figure is drawn by the public plotting function of its result, inside the house
style, then serialised; nothing here computes a statistic.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

from markupsafe import Markup

from .analyses import MAX_STUDIES_SHOWN, Analyses

__all__ = ["figures", "svg_image"]

#: Width of the text block of an A4 page with the report's margins, in inches.
PAGE_WIDTH = 7.0


def svg_image(draw: Callable[[], object], *, width: float = PAGE_WIDTH, alt: str = "") -> Markup:
    """Run ``draw()`` (returns an Axes), save its figure as SVG, return an ``<img>`` tag."""
    import matplotlib.pyplot as plt

    from ..plotting import style

    with style():
        ax = draw()
        fig = ax.figure
        w, h = fig.get_size_inches()
        if w > width:
            fig.set_size_inches(width, h * width / w)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        plt.close(fig)
    data = base64.b64encode(buf.getvalue().encode()).decode()
    return Markup(f'<img alt="{alt}" src="data:image/svg+xml;base64,{data}"/>')


def _hazard_models(a: Analyses) -> dict:
    models = {"Cox, closure only": a.cox, "Fine-Gray, closure only": a.fine_gray}
    if a.cox_adjusted is not None:
        models["Cox, adjusted"] = a.cox_adjusted
    if a.fine_gray_adjusted is not None:
        models["Fine-Gray, adjusted"] = a.fine_gray_adjusted
    return models


def _zoomed_km(a: Analyses):
    """Kaplan-Meier curves with the y axis from a little below the lowest curve to 100%:
    on a 0–100% axis the curves of a 10% event would sit flat against the top."""
    ax = a.km.plot(min_cell=a.options.min_cell)
    low = float(a.km.table["ci_low"].min())
    if low == low:  # not NaN
        bottom = max(0.0, 10 * ((100 * low - 2) // 10))
        ax.set_ylim(bottom, 100.5)
    return ax


def figures(a: Analyses) -> dict[str, Markup]:
    """Every figure of the report, keyed by its place in the template."""
    from ..plotting import plot_hazard_ratios, plot_range

    out = {}
    if a.has_cohort:
        mc = a.options.min_cell
        out["cif"] = svg_image(
            lambda: a.incidence.plot(min_cell=mc), alt="cumulative incidence by arm"
        )
        out["km"] = svg_image(lambda: _zoomed_km(a), width=5.6, alt="Kaplan-Meier by arm")
        out["hr"] = svg_image(
            lambda: plot_hazard_ratios(_hazard_models(a), terms=["closure"]),
            width=PAGE_WIDTH,
            alt="hazard ratios of closure",
        )
    if a.ranges:
        out["range"] = svg_image(lambda: plot_range(list(a.ranges)), alt="rates against the range")
    optional = {
        "forest_control": a.pooled_control,
        "forest_closure": a.pooled_closure,
        "forest_rr": a.effect_rr if a.options.measure == "RR" else a.effect_or,
        "forest_cohort": a.with_cohort,
    }
    for key, result in optional.items():
        if result is not None and len(result.table) <= MAX_STUDIES_SHOWN:
            out[key] = svg_image(lambda r=result: r.plot(), alt=key.replace("_", " "))
    main = optional["forest_rr"]
    if main is not None and 3 <= main.k and len(main.table) <= MAX_STUDIES_SHOWN:
        out["funnel"] = svg_image(lambda: main.plot_funnel(), width=5.6, alt="funnel plot")
    return out
