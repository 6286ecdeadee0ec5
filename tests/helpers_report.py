"""The words of a report in each of its faces, as a reader (or a screen reader) gets
them: extracted from the PDF (pypdf), the Word file (python-docx: paragraphs and table
cells in order) and the HTML (tags removed), whitespace normalized."""

from __future__ import annotations

import html
import re
from pathlib import Path


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return _norm(" ".join(page.extract_text() for page in PdfReader(path).pages))


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = [
                        "".join(t.text or "" for t in c.iter() if t.tag.endswith("}t"))
                        for c in row.iter()
                        if c.tag.endswith("}tc")
                    ]
                    parts.append(" ".join(cells))
    return _norm(" ".join(parts))


def html_text(path: Path) -> str:
    text = Path(path).read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    text = re.sub(r'src="data:[^"]*"', "", text)
    return _norm(html.unescape(re.sub(r"<[^>]+>", " ", text)))
