"""The PDF face of the report: the document as JSON, typeset by Typst (the ``typst``
package, which carries the compiler and its fonts: nothing to install on the system).

Why Typst. The report used to be HTML turned into PDF by WeasyPrint, which needs the
system's Pango library and took 4.2–8 s on the default report, most of it drawing the
figures' SVG glyph paths; Typst typesets the same document, with the same SVG figures,
in about 0.1 s (measured on this machine: ``docs/report.md``). Text never passes through
Typst markup: the template reads the blocks from JSON (``sys.inputs``), so no character
of a study label or a caption can be read as a command. Fonts are Typst's own embedded
Libertinus Serif for the text, and matplotlib's DejaVu Sans (the files matplotlib ships)
for the figures' text: the PDF looks the same on every machine.
"""

from __future__ import annotations

import json
from importlib import resources

from .document import Document, Figure, Heading, PageBreak, Paragraph, Table

__all__ = ["document_json", "render_pdf"]


def _table(b: Table) -> dict:
    frame = b.frame
    return {
        "kind": "table",
        "label": b.label,
        "number": b.number,
        "caption": b.caption,
        "header": [str(c) for c in frame.columns],
        "rows": [[str(v) for v in row] for row in frame.itertuples(index=False)],
        "left": [str(c) in b.text_cols or i == 0 for i, c in enumerate(frame.columns)],
        "wide": b.wide,
        "note": b.note,
        "refs": [[r, c, label] for (r, c), label in b.refs.items()],
    }


def document_json(doc: Document) -> str:
    """The document as the JSON the Typst template reads."""
    blocks = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            blocks.append({"kind": "heading", "level": b.level, "text": b.text, "label": b.label})
        elif isinstance(b, Paragraph):
            blocks.append({"kind": "para", "text": b.text, "style": b.style, "ref": b.ref})
        elif isinstance(b, Table):
            blocks.append(_table(b))
        elif isinstance(b, Figure):
            blocks.append(
                {
                    "kind": "figure",
                    "label": b.label,
                    "number": b.number,
                    "caption": b.caption,
                    "svg": b.svg_text if b.svg_text is not None else b.svg,
                    "width": b.width,
                }
            )
        elif isinstance(b, PageBreak):
            blocks.append({"kind": "pagebreak"})
    return json.dumps(
        {"title": doc.title, "subtitle": doc.subtitle, "version": doc.version, "blocks": blocks}
    )


def render_pdf(doc: Document) -> bytes:
    """The PDF bytes of ``doc`` (its figures drawn already: :func:`figures.render`)."""
    import datetime as dt

    import typst

    from .figures import font_dirs

    template = (resources.files("recurrence.report") / "templates" / "report.typ").read_bytes()
    # Typst's own fonts, and matplotlib's DejaVu Sans for the figures' SVG text; never the
    # system's (the same PDF on every machine)
    fonts = typst.Fonts(include_system_fonts=False, font_paths=font_dirs())
    return typst.compile(
        template,
        sys_inputs={"doc": document_json(doc)},
        font_paths=fonts,
        timestamp=int(dt.datetime.now(dt.UTC).timestamp()),
    )
