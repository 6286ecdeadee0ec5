"""Flow diagrams: how many records entered, which were set aside and why, how many were
analysed (PRISMA 2020's study-selection flow; a cohort's flow of patients)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FlowStep", "plot_flow"]


@dataclass(frozen=True)
class FlowStep:
    """A box of the main column and, beside it, what left the flow at that step."""

    text: str
    aside: str = ""


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join("\n".join(textwrap.wrap(line, width) or [""]) for line in text.splitlines())


def plot_flow(steps: list[FlowStep], ax=None, *, width: int = 38):
    """Draw a top-down flow: one box per step, its exclusions in a box to the right.

    Examples
    --------
    >>> ax = plot_flow([FlowStep("15 reports", "5 set aside: same trial"),
    ...                 FlowStep("10 studies analysed")])
    >>> len(ax.patches) >= 3
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    n = len(steps)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 1.15 * n + 0.3))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, n)
    ax.axis("off")
    box = {"boxstyle": "round,pad=0.02,rounding_size=0.08", "linewidth": 0.8}
    for i, step in enumerate(steps):
        y = n - i - 0.5
        ax.add_patch(
            FancyBboxPatch(
                (0.2, y - 0.33), 4.6, 0.66, facecolor="#eef3f8", edgecolor="#3a5a80", **box
            )
        )
        ax.text(2.5, y, _wrap(step.text, width), ha="center", va="center", fontsize=7.5)
        if i < n - 1:
            ax.add_patch(
                FancyArrowPatch(
                    (2.5, y - 0.34), (2.5, y - 0.66), arrowstyle="-|>", mutation_scale=8
                )
            )
        if step.aside:
            ax.add_patch(
                FancyBboxPatch(
                    (5.6, y - 0.42), 4.2, 0.84, facecolor="#f7f7f7", edgecolor="#888888", **box
                )
            )
            ax.text(7.7, y, _wrap(step.aside, width + 4), ha="center", va="center", fontsize=6.8)
            ax.add_patch(FancyArrowPatch((4.8, y), (5.6, y), arrowstyle="-|>", mutation_scale=8))
    return ax
