"""Lazy attributes of a package: ``import recurrence`` (and ``recurrence.meta``, …)
imports no submodule; a public name is imported on first use and then cached.

Each package's ``__init__.py`` names its attributes once, in a table, and imports
them again under ``if TYPE_CHECKING:`` so that type checkers and IDEs see them
(``tests/test_architecture.py`` checks that the two lists agree)::

    from ._lazy import attach

    _LAZY = {"load_cohort": "recurrence.cohorts"}
    __getattr__, __dir__ = attach(__name__, _LAZY)

    if TYPE_CHECKING:
        from .cohorts import load_cohort
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["attach"]


def attach(
    package: str,
    lazy: Mapping[str, str],
    submodules: Iterable[str] = (),
    names: Iterable[str] | None = None,
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    lazy
        Attribute name -> module that defines it (absolute module name).
    submodules
        Submodules imported as attributes on first use (``recurrence.meta``).
    names
        What ``dir()`` lists (the package's ``__all__``); default: the keys of ``lazy``.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)`` to assign in the package.

    Examples
    --------
    >>> getattr_, dir_ = attach("recurrence", {"DataError": "recurrence.errors"})
    >>> getattr_("DataError").__name__, dir_()
    ('DataError', ['DataError'])
    """
    lazy = dict(lazy)
    submodules = frozenset(submodules)
    listed = sorted(lazy) if names is None else list(names)

    def __getattr__(name: str):
        if name in lazy:
            value = getattr(importlib.import_module(lazy[name]), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # cached: __getattr__ runs once
        return value

    def __dir__() -> list[str]:
        return list(listed)

    return __getattr__, __dir__
