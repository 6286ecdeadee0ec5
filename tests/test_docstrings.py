"""Every public function has a numpydoc docstring with Parameters, Returns and a runnable
Examples section (the examples run as doctests: ``--doctest-modules``); the Parameters
name every parameter of the signature (``*args``/``**kwargs`` aside) and no other.

Public: a function in ``__all__`` of ``recurrence`` or of one of the modules and
subpackages that ``recurrence.__all__`` names (survival, meta, design, plotting, report,
checks, cohorts, ...). Docstrings are parsed by numpydoc's ``docscrape``, the parser the
API reference (docs/, Sphinx) renders them with.
"""

from __future__ import annotations

import importlib
import inspect
import warnings

import pytest
from numpydoc.docscrape import FunctionDoc

import recurrence


def _public_functions() -> dict[str, object]:
    homes = ["recurrence"] + [
        f"recurrence.{name}"
        for name in recurrence.__all__
        if inspect.ismodule(getattr(recurrence, name, None))
    ]
    found: dict[str, object] = {}
    for home in homes:
        module = importlib.import_module(home)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


FUNCTIONS = _public_functions()


def _missing(fn) -> list[str]:
    """The sections a docstring lacks, the parameters it leaves out, and parameters it
    documents that do not exist."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # docscrape warns on unknown sections
        doc = FunctionDoc(fn)
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    missing = []
    if params and not doc["Parameters"]:
        missing.append("Parameters")
    if not (doc["Returns"] or doc["Yields"]):
        missing.append("Returns")
    if ">>>" not in "\n".join(doc["Examples"]):
        missing.append("Examples")
    names = {p.name for p in inspect.signature(fn).parameters.values()}
    documented = {n.strip().lstrip("*") for item in doc["Parameters"] for n in item.name.split(",")}
    missing += [f"no parameter {n!r}" for n in sorted(documented - names) if n]
    if doc["Parameters"]:
        missing += [
            f"parameter {p.name!r} undocumented" for p in params if p.name not in documented
        ]
    return missing


def test_public_functions_found():
    assert len(FUNCTIONS) > 90  # survival, meta, design, plotting, report, loaders, ...
    assert "recurrence.synthetic.simulate_cohort" in FUNCTIONS


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numpydoc_sections(name):
    missing = _missing(FUNCTIONS[name])
    assert not missing, f"{name}: missing {', '.join(missing)}"
