"""Sphinx settings of the API reference (built by tests/test_docs_site.py, warnings as
errors; docs/development.md says how to build it by hand)."""

from __future__ import annotations

import importlib

import recurrence

# The packages import their names lazily (module __getattr__), which autodoc's member
# listing does not see: resolve them once for the build.
for _package in (
    "recurrence",
    "recurrence.survival",
    "recurrence.meta",
    "recurrence.design",
    "recurrence.plotting",
    "recurrence.report",
):
    _module = importlib.import_module(_package)
    for _name in _module.__all__:
        setattr(_module, _name, getattr(_module, _name))

project = "recurrence"
author = "recurrence developers"
release = version = recurrence.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# numpydoc renders Parameters/Returns/Examples; the class member tables would repeat the
# fields autodoc already lists.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc sections say the types, with units
autodoc_default_options = {"members": True, "undoc-members": False}

# Markdown pages: heading anchors for the narrative's in-page links.
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]

# Docstrings write absolute values as |x| (|skewness|, |DFFITS|): shown as written.
rst_epilog = "\n".join(
    f".. |{name}| replace:: \\|{name}\\|" for name in ("skewness", "dffits", "dfbetas")
)

html_theme = "alabaster"
html_title = f"recurrence {release}"
