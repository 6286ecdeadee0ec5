"""Flow diagrams: how many records entered, which were set aside and why, how many were
analysed (PRISMA 2020's study-selection flow; a cohort's flow of patients)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

__all__ = ["FlowStep", "flow_layout", "plot_flow"]

#: Height of one line of box text, and the padding of a box, in inches.
LINE = 0.15
PAD = 0.14
#: Gap between two rows of boxes, inches.
GAP = 0.28


@dataclass(frozen=True)
class FlowStep:
    """A box of the main column and, beside it, what left the flow at that step."""

    text: str
    aside: str = ""


def _wrap(text: str, width: int) -> list[str]:
    return [line for part in text.splitlines() for line in (textwrap.wrap(part, width) or [""])]


def flow_layout(steps: list[FlowStep], *, width: int = 34, aside_width: int = 46) -> list[dict]:
    """Where each box goes (pure, no drawing): per step the wrapped lines of the main and
    the side box and the row's top and height in inches, from the top of the figure.

    Examples
    --------
    >>> rows = flow_layout([FlowStep("15 reports", "a\\nb\\nc"), FlowStep("10 studies")])
    >>> [len(r["aside"]) for r in rows], rows[1]["top"] > rows[0]["top"]
    ([3, 0], True)
    """
    rows, top = [], 0.0
    for step in steps:
        main, aside = _wrap(step.text, width), _wrap(step.aside, aside_width) if step.aside else []
        height = LINE * max(len(main), len(aside), 1) + 2 * PAD
        rows.append({"main": main, "aside": aside, "top": top, "height": height})
        top += height + GAP
    return rows


def plot_flow(steps: list[FlowStep], ax=None):
    """Draw a top-down flow: one box per step, its exclusions in a box to the right,
    each box as tall as its text.

    Examples
    --------
    >>> ax = plot_flow([FlowStep("15 reports", "5 set aside: same trial"),
    ...                 FlowStep("10 studies analysed")])
    >>> len(ax.patches) >= 3
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    rows = flow_layout(steps)
    total = rows[-1]["top"] + rows[-1]["height"]
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, total + 0.1))
    ax.set_xlim(0, 7.0)
    ax.set_ylim(total, 0)  # inches from the top
    ax.axis("off")
    box: dict[str, Any] = {"boxstyle": "round,pad=0.0,rounding_size=0.06", "linewidth": 0.8}
    main_x, main_w, side_x, side_w = 0.1, 2.7, 3.5, 3.4
    for i, row in enumerate(rows):
        top, h = row["top"], row["height"]
        ax.add_patch(
            FancyBboxPatch(
                (main_x, top), main_w, h, facecolor="#eef3f8", edgecolor="#3a5a80", **box
            )
        )
        ax.text(
            main_x + main_w / 2,
            top + h / 2,
            "\n".join(row["main"]),
            ha="center",
            va="center",
            fontsize=7.5,
            linespacing=1.25,
        )
        if i < len(rows) - 1:
            ax.add_patch(
                FancyArrowPatch(
                    (main_x + main_w / 2, top + h),
                    (main_x + main_w / 2, rows[i + 1]["top"]),
                    arrowstyle="-|>",
                    mutation_scale=8,
                )
            )
        if row["aside"]:
            ax.add_patch(
                FancyBboxPatch(
                    (side_x, top), side_w, h, facecolor="#f7f7f7", edgecolor="#888888", **box
                )
            )
            ax.text(
                side_x + 0.1,
                top + h / 2,
                "\n".join(row["aside"]),
                ha="left",
                va="center",
                fontsize=6.8,
                linespacing=1.25,
            )
            ax.add_patch(
                FancyArrowPatch(
                    (main_x + main_w, top + h / 2),
                    (side_x, top + h / 2),
                    arrowstyle="-|>",
                    mutation_scale=8,
                )
            )
    return ax
