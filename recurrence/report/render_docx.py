"""The Word face of the report (python-docx): real Word tables a journal's editor can
restyle, figures embedded (PNG: Word reads no SVG), headings in the navigation pane,
numbered captions. The same document as the PDF and the HTML."""

from __future__ import annotations

import io

from .document import Document, Figure, Heading, PageBreak, Paragraph, Table

__all__ = ["render_docx"]

#: Width of the text block, inches (A4 with 2 cm margins).
TEXT_WIDTH = 6.5


def _caption(document, label: str, text: str) -> None:
    p = document.add_paragraph(style="Caption")
    p.add_run(label + " ").bold = True
    p.add_run(text)


def _border(name: str, size: int = 8):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(f"w:{name}")
    el.set(qn("w:val"), "single" if size else "nil")
    if size:
        el.set(qn("w:sz"), str(size))  # eighths of a point
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    return el


def _three_rules(table) -> None:
    """A journal's table: a rule above, one under the header, one below; no other lines
    (set on the table itself, so Word and LibreOffice draw the same)."""
    from docx.oxml import OxmlElement

    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for name, size in (
        ("top", 8),
        ("left", 0),
        ("bottom", 8),
        ("right", 0),
        ("insideH", 0),
        ("insideV", 0),
    ):
        borders.append(_border(name, size))
    props.append(borders)


def _rule_below(cell) -> None:
    from docx.oxml import OxmlElement

    props = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    borders.append(_border("bottom", 4))
    props.append(borders)


def _table(document, b: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    _caption(document, f"Table {b.number}.", b.caption)
    cols = [str(c) for c in b.frame.columns]
    left = [c in b.text_cols or i == 0 for i, c in enumerate(cols)]
    table = document.add_table(rows=1, cols=len(cols))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _three_rules(table)
    for i, c in enumerate(cols):
        cell = table.rows[0].cells[i]
        cell.text = c
        head = cell.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.LEFT if left[i] else WD_ALIGN_PARAGRAPH.RIGHT
        head.paragraph_format.space_after = Pt(0)
        run = head.runs[0]
        run.bold = True
        run.font.size = Pt(8)
        _rule_below(cell)
    for row in b.frame.itertuples(index=False):
        cells = table.add_row().cells
        for i, v in enumerate(row):
            cells[i].text = str(v)
            par = cells[i].paragraphs[0]
            par.alignment = WD_ALIGN_PARAGRAPH.LEFT if left[i] else WD_ALIGN_PARAGRAPH.RIGHT
            par.paragraph_format.space_after = Pt(0)
            for run in par.runs:
                run.font.size = Pt(8)
    if b.note:
        p = document.add_paragraph(b.note)
        for run in p.runs:
            run.font.size = Pt(8)


def render_docx(doc: Document) -> bytes:
    """The report as .docx bytes (figures drawn already, with their PNG copies)."""
    import docx
    from docx.shared import Cm, Inches, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.0))
    document.styles["Normal"].font.name = "Calibri"
    document.styles["Normal"].font.size = Pt(10)
    document.core_properties.title = doc.title
    document.add_heading(doc.title, level=0)
    if doc.subtitle:
        document.add_paragraph(doc.subtitle)
    for b in doc.blocks:
        if isinstance(b, Heading):
            document.add_heading(b.text, level=1 if b.level == 1 else 2)
        elif isinstance(b, Paragraph):
            p = document.add_paragraph(b.text)
            if b.style == "lead":  # the summary: set off by an indent, not by colour
                p.paragraph_format.left_indent = Cm(0.6)
                p.paragraph_format.right_indent = Cm(0.6)
            elif b.style == "note":
                for run in p.runs:
                    run.font.size = Pt(8)
            elif b.style == "opening":
                for run in p.runs:
                    run.bold = True
        elif isinstance(b, Table):
            _table(document, b)
        elif isinstance(b, Figure):
            assert b.png is not None  # Report.docx() draws the figures with png=True first
            document.add_picture(io.BytesIO(b.png), width=Inches(TEXT_WIDTH * b.width))
            _caption(document, f"Figure {b.number}.", b.caption)
        elif isinstance(b, PageBreak):
            document.add_page_break()
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
