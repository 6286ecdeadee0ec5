"""Tables as TOML text: the analysis plan (``recurrence plan --init``, the report's
appendix) and the app's data dictionary. ``tomllib`` reads TOML but the standard library
writes none, and the two documents need only scalars, lists and nested tables: a
dependency for that is not worth it."""

from __future__ import annotations

__all__ = ["toml_text", "toml_value"]


def toml_value(v) -> str:
    """One TOML value: a string, number, boolean or list (``None`` as ``""``)."""
    if v is None:
        return '""'  # TOML has no null; the loader reads "" as "missing"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"{v:g}" if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(k) -> str:
    k = str(k)
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else toml_value(k)


def toml_text(data: dict, prefix: str = "") -> str:
    """Nested dicts as TOML (scalars first, then one ``[table]`` per dict).

    Examples
    --------
    >>> print(toml_text({"time_unit": "days", "values": {"event": {"alive": 0}}}))
    time_unit = "days"
    <BLANKLINE>
    [values.event]
    alive = 0
    <BLANKLINE>
    """
    lines = [f"{_key(k)} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    text = "\n".join(lines) + ("\n" if lines else "")
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            if any(not isinstance(x, dict) for x in v.values()):
                text += f"\n[{name}]\n"
            text += toml_text(v, name)
    return text
