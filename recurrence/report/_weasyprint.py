"""The one place that talks to WeasyPrint (HTML + CSS → PDF).

WeasyPrint needs the system Pango library (≥ 1.44; Debian/Ubuntu packages
``libpango-1.0-0 libpangoft2-1.0-0``). If it cannot load, the error says so and the
HTML version of the report still works.
"""

from __future__ import annotations

import logging
import warnings

from ..errors import DataError, Problem

__all__ = ["html_to_pdf"]


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes."""
    try:
        with warnings.catch_warnings():
            # WeasyPrint ≥ 66 warns at import when the system lacks libharfbuzz-subset
            # (Debian 12 ships HarfBuzz without it); PDFs are still complete.
            warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
            import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise DataError(
            Problem(
                f"the PDF engine (WeasyPrint) cannot load: {str(exc).splitlines()[0][:120]}",
                fix="install the system Pango library (apt install libpango-1.0-0 "
                "libpangoft2-1.0-0; brew install pango on macOS); the HTML report "
                "(--out report.html) works without it",
            )
        ) from exc
    # WeasyPrint logs every unsupported CSS property at WARNING: keep the terminal clean.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf()
