"""The report as a format-free document: headings, paragraphs, tables and figures, with
numbered captions and references, that each renderer turns into one format (PDF through
Typst, HTML, Word). One document, three faces: the same words and numbers in each.

A section builder adds blocks to a :class:`Document`. Figures and tables get their
number when first referenced or added (:meth:`Document.ref`), so a paragraph can name
"Figure 2" before the figure follows it. Text is plain (no markup): each renderer
escapes it for its format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Document", "Figure", "Heading", "PageBreak", "Paragraph", "Table"]


@dataclass
class Heading:
    level: int  # 1: a numbered section; 2: a subsection
    text: str
    label: str = ""


@dataclass
class Paragraph:
    text: str
    style: str = "text"  # text | lead (the summary) | note | opening
    ref: str = ""  # a section label whose page the PDF adds ("… (page 4)")


@dataclass
class Table:
    frame: pd.DataFrame  # already formatted strings
    caption: str
    label: str
    number: int = 0
    text_cols: tuple[str, ...] = ()
    wide: bool = False
    note: str = ""
    refs: dict = field(default_factory=dict)  # (row, column) → section label: the PDF adds its page


@dataclass
class Figure:
    draw: Callable  # () -> matplotlib Axes
    caption: str
    label: str
    number: int = 0
    width: float = 1.0  # share of the text width
    svg: str | None = None  # filled by figures.render(): text as paths (HTML)
    svg_text: str | None = None  # figures.render(text=True): text as text (Typst)
    png: bytes | None = None


@dataclass
class PageBreak:
    pass


@dataclass
class Document:
    title: str
    subtitle: str = ""
    version: str = ""
    blocks: list = field(default_factory=list)
    _numbers: dict = field(default_factory=dict)
    _sections: dict = field(default_factory=dict)

    # ---------------------------------------------------------------- numbering
    def ref(self, label: str) -> str:
        """ "Figure 3" / "Table 2" / "Section 4" for a label (numbers taken in order)."""
        kind = label.split(":", 1)[0]
        if kind == "sec":
            return f"Section {self._sections.get(label, '?')}"
        if label not in self._numbers:
            self._numbers[label] = 1 + sum(1 for k in self._numbers if k.startswith(kind + ":"))
        word = {"fig": "Figure", "tab": "Table"}[kind]
        return f"{word} {self._numbers[label]}"

    def number(self, label: str) -> int:
        self.ref(label)
        return self._numbers[label]

    # ---------------------------------------------------------------- building
    def section(self, label: str, text: str) -> str:
        """A numbered section heading; returns its number as text."""
        n = 1 + len(self._sections)
        self._sections[label] = n
        self.blocks.append(Heading(1, f"{n}. {text}", label))
        return str(n)

    def heading(self, text: str, level: int = 2, label: str = "") -> None:
        self.blocks.append(Heading(level, text, label))

    def paragraph(self, text: str, style: str = "text", ref: str = "") -> None:
        if text:
            self.blocks.append(Paragraph(text, style, ref))

    def table(
        self,
        frame: pd.DataFrame,
        caption: str,
        label: str,
        *,
        text_cols=(),
        wide: bool = False,
        note: str = "",
        refs: dict | None = None,
    ) -> None:
        self.blocks.append(
            Table(
                frame, caption, label, self.number(label), tuple(text_cols), wide, note, refs or {}
            )
        )

    def figure(self, draw: Callable, caption: str, label: str, *, width: float = 1.0) -> None:
        self.blocks.append(Figure(draw, caption, label, self.number(label), width))

    def page_break(self) -> None:
        self.blocks.append(PageBreak())

    # ---------------------------------------------------------------- reading
    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def sections(self) -> dict[str, int]:
        """Section label → number."""
        return dict(self._sections)

    def text(self) -> str:
        """All the words of the document, in order (headings, paragraphs, captions and
        table cells): what a reader reads, for tests and the identifier guard."""
        out = [self.title, self.subtitle]
        for b in self.blocks:
            if isinstance(b, (Heading, Paragraph)):
                out.append(b.text)
            elif isinstance(b, Table):
                out.append(f"Table {b.number}. {b.caption}")
                out.append(" ".join(map(str, b.frame.columns)))
                out += [" ".join(map(str, row)) for row in b.frame.itertuples(index=False)]
                out.append(b.note)
            elif isinstance(b, Figure):
                out.append(f"Figure {b.number}. {b.caption}")
        return "\n".join(x for x in out if x)
