"""The shape of the package (docs/architecture.md): module-level imports inside
``recurrence/`` form no cycle, and ``design/`` reaches into the survival code only
through the arrays-only core ``recurrence.survival._core``.

The graph is read from the source with ``ast`` (nothing is imported): an edge
``a -> b`` for every ``import``/``from ... import`` at module level of ``a`` (including
inside ``try`` and plain ``if`` blocks, excluding ``if TYPE_CHECKING:``), where ``b`` is
a module of this package. Importing ``a.b.c`` also runs ``a`` and ``a.b``; edges from a
module to its own parent packages are left out (Python has already started those when
the module runs).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "recurrence"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: str, is_package: bool, body, modules) -> set[str]:
    """Names of this package's modules imported by the statements ``body``."""
    out: set[str] = set()
    for node in body:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "recurrence")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "recurrence":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else target)
        elif isinstance(node, ast.If) and not _is_type_checking(node.test):
            out |= _imported(module, is_package, node.body + node.orelse, modules)
        elif isinstance(node, ast.Try):
            blocks = node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                blocks = blocks + handler.body
            out |= _imported(module, is_package, blocks, modules)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module-level import graph of ``recurrence/``: module -> modules it runs."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        direct = _imported(name, path.name == "__init__.py", tree.body, files)
        edges = set()
        for target in direct:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                step = ".".join(parts[:i])
                if step in files and step != name and not name.startswith(step + "."):
                    edges.add(step)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or ``None``."""
    state: dict[str, int] = {}  # 1 on the stack, 2 finished
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_relative_and_absolute_imports():
    graph = import_graph()
    # plotting/funnel.py: "from ..meta.results import MetaResult" at module level
    assert "recurrence.meta.results" in graph["recurrence.plotting.funnel"]
    assert "recurrence.meta" in graph["recurrence.plotting.funnel"]


def test_no_module_level_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle)


def _all_imports(path: Path, files) -> set[str]:
    """Every module of this package that ``path`` imports, at any level (functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    return _imported(_module_name(path), path.name == "__init__.py", nodes, files)


def test_design_uses_only_the_numeric_core_of_survival():
    """``design/`` may use ``survival._core`` (arrays only) and the public survival
    modules, never another private survival module (docs/architecture.md)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    used = set()
    for path in (PACKAGE / "design").rglob("*.py"):
        used |= {m for m in _all_imports(path, files) if m.startswith("recurrence.survival.")}
    assert any(m.startswith("recurrence.survival._core") for m in used)  # the check sees them
    private = sorted(
        m
        for m in used
        if not m.startswith("recurrence.survival._core")
        and any(part.startswith("_") for part in m.split(".")[2:])
    )
    assert private == [], f"design/ imports private survival modules: {private}"


LAZY_PACKAGES = ("recurrence", "recurrence.meta", "recurrence.design", "recurrence.plotting")


def _type_checking_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for sub in node.body:
                if isinstance(sub, ast.ImportFrom):
                    names |= {a.asname or a.name for a in sub.names}
    return names


def test_lazy_packages_show_their_names_to_type_checkers():
    """Each lazily imported name is also imported under ``if TYPE_CHECKING:`` (so IDEs
    and type checkers see it), is in ``__all__``, and resolves to the object of the
    module the table names."""
    import importlib

    for package in LAZY_PACKAGES:
        module = importlib.import_module(package)
        path = PACKAGE.parent.joinpath(*package.split("."), "__init__.py")
        lazy = module._LAZY
        seen = _type_checking_names(path)
        assert set(lazy) <= seen, (package, sorted(set(lazy) - seen))
        assert set(lazy) <= set(module.__all__), (package, sorted(set(lazy) - set(module.__all__)))
        for name, where in lazy.items():
            assert getattr(module, name) is getattr(importlib.import_module(where), name)


def test_unknown_lazy_names_raise_attribute_error():
    import pytest

    for package in LAZY_PACKAGES:
        module = __import__(package, fromlist=["_"])
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            module.nope  # noqa: B018


def test_version_is_the_one_in_pyproject():
    import tomllib

    import recurrence

    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert recurrence.__version__ == pyproject["project"]["version"]


MAX_LINES = 500
#: Modules over the limit, waiting to be split (none today); one leaves this list when it
#: is split (the test says so).
TOO_LONG_FOR_NOW: set[str] = set()


def test_no_module_over_500_lines():
    lengths = {
        path.relative_to(PACKAGE.parent).as_posix(): len(
            path.read_text(encoding="utf-8").splitlines()
        )
        for path in PACKAGE.rglob("*.py")
    }
    too_long = {m: n for m, n in lengths.items() if n > MAX_LINES and m not in TOO_LONG_FOR_NOW}
    assert too_long == {}, f"split these along statistical lines: {too_long}"
    split_already = sorted(m for m in TOO_LONG_FOR_NOW if lengths.get(m, 0) <= MAX_LINES)
    assert split_already == [], f"remove from TOO_LONG_FOR_NOW: {split_already}"


def test_nothing_below_imports_the_report_the_app_or_the_command_line():
    """The report, the app and the command line sit on top: the engines, results and
    plots never import them (at any level), so they can change without touching the
    statistics (docs/architecture.md)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    top = ("recurrence.report", "recurrence.app", "recurrence.cli")
    wrong = {}
    for name, path in files.items():
        if name.startswith(top) or name == "recurrence":
            continue
        hits = sorted(m for m in _all_imports(path, files) if m.startswith(top))
        if hits:
            wrong[name] = hits
    assert wrong == {}, wrong
    # the check sees such imports: the command line imports the report
    assert any(
        m.startswith("recurrence.report")
        for m in _all_imports(files["recurrence.cli.report"], files)
    )
