"""The HTML face of the report: one self-contained file (styles and SVG figures
inline), the same document as the PDF and the Word file. Every text is escaped."""

from __future__ import annotations

import base64
import html
from importlib import resources

from .document import Document, Figure, Heading, PageBreak, Paragraph, Table

__all__ = ["render_html"]


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(b: Table) -> str:
    cols = [str(c) for c in b.frame.columns]
    left = [c in b.text_cols or i == 0 for i, c in enumerate(cols)]
    cls = lambda i: ' class="text"' if left[i] else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{_e(c)}</th>" for i, c in enumerate(cols))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{_e(v)}</td>" for i, v in enumerate(row)) + "</tr>"
        for row in b.frame.itertuples(index=False)
    )
    note = f'<p class="note">{_e(b.note)}</p>' if b.note else ""
    wide = ' class="wide"' if b.wide else ""
    return (
        f'<table id="{_e(b.label)}"{wide}><caption><b>Table {b.number}.</b> {_e(b.caption)}'
        f"</caption><tr>{head}</tr>{rows}</table>{note}"
    )


def _figure(b: Figure) -> str:
    data = base64.b64encode((b.svg or "").encode()).decode()
    return (
        f'<figure id="{_e(b.label)}"><img alt="{_e(b.caption)}" style="width:{b.width * 100:.0f}%"'
        f' src="data:image/svg+xml;base64,{data}"/><figcaption><b>Figure {b.number}.</b> '
        f"{_e(b.caption)}</figcaption></figure>"
    )


def render_html(doc: Document) -> str:
    """The whole report as one HTML document (figures drawn already)."""
    css = (resources.files("recurrence.report") / "templates" / "report.css").read_text("utf-8")
    parts = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            tag = "h2" if b.level == 1 else "h3"
            ident = f' id="{_e(b.label)}"' if b.label else ""
            parts.append(f"<{tag}{ident}>{_e(b.text)}</{tag}>")
        elif isinstance(b, Paragraph):
            cls = {"lead": "summary", "note": "note", "opening": "opening"}.get(b.style, "")
            parts.append(f'<p class="{cls}">{_e(b.text)}</p>' if cls else f"<p>{_e(b.text)}</p>")
        elif isinstance(b, Table):
            parts.append(_table(b))
        elif isinstance(b, Figure):
            parts.append(_figure(b))
        elif isinstance(b, PageBreak):
            parts.append('<div class="page-break"></div>')
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(doc.title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        f'<h1>{_e(doc.title)}</h1>\n<div class="subtitle">{_e(doc.subtitle)}</div>\n'
        f'{body}\n<footer class="note">recurrence {_e(doc.version)}</footer>\n</body>\n</html>\n'
    )
