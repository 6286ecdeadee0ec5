"""What every command shares: how errors, interrupts and progress look, and how a
table's reading options are given (flags, or one data-dictionary file).

Only click (and the standard library) is imported at module level, so that
``recurrence --help`` stays quick; the statistics load inside the commands.

Errors. A bad input ends with a heading line naming the file and the number of
problems, then one problem per line, exit status 2 and no traceback (``--debug``
shows it). No line is longer than :data:`MAX_LINE` characters: longer ones are wrapped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
import textwrap
import threading
from pathlib import Path

import click

__all__ = [
    "EXIT_DATA",
    "MAX_LINE",
    "OneLineErrors",
    "OneLineGroup",
    "cohort_options",
    "cohort_options_need_a_cohort",
    "echo_error",
    "fail",
    "friendly",
    "given_options",
    "loader_kwargs",
    "shown_warnings",
    "study_options",
    "study_options_need_studies",
]

EXIT_DATA = 2
#: The longest line an error prints before wrapping.
MAX_LINE = 200


def debugging() -> bool:
    """Whether ``recurrence --debug`` was given (tracebacks instead of short errors)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def echo_error(message: str) -> None:
    """Print an error: ``recurrence: error:`` then the message, one problem per line,
    long lines wrapped (continuation indented)."""
    lines = f"recurrence: error: {message}".splitlines()
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 4)
        for part in textwrap.wrap(
            line, width=MAX_LINE, subsequent_indent=indent, break_on_hyphens=False
        ) or [""]:
            click.echo(part, err=True)


@contextlib.contextmanager
def shown_warnings():
    """Collect the package's warnings while a command works and print each once, as
    "warning: …" lines on stderr, when it has finished (not Python's file:line form)."""
    import warnings

    from ..errors import RecurrenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RecurrenceWarning)
        yield
    for message in dict.fromkeys(str(w.message) for w in caught):
        click.echo(click.style("warning: ", fg="yellow") + message, err=True)


def fail(message: str) -> None:
    echo_error(message)
    sys.exit(EXIT_DATA)


class _OneLine:
    """Usage errors (a bad option value, an unknown option or command) as one line on
    stderr and exit status 2, as every other error."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            fail(exc.format_message())


class OneLineErrors(_OneLine, click.Command):
    """A command whose usage errors are one line."""


class OneLineGroup(_OneLine, click.Group):
    """The command group, whose usage errors are one line too."""

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message())


class Terminated(BaseException):
    """SIGTERM, raised where the command is, so that its cleanup runs (no ``*.part``)."""


#: Set by the SIGTERM and SIGINT handlers: the exception they raise may land where
#: Python drops it (a weakref callback), so the outputs' commit asks again
#: (_outputs.BEFORE_COMMIT).
_SIGNALLED: list[int] = []


def _terminate(signum, frame):
    _SIGNALLED.append(signum)
    raise Terminated


def _interrupt(signum, frame):
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt


def _stop_if_signalled() -> None:
    if signal.SIGTERM in _SIGNALLED:
        raise Terminated
    if signal.SIGINT in _SIGNALLED:
        raise KeyboardInterrupt


def _forget_unhandled_interrupt() -> None:
    """CPython (3.11) marks a KeyboardInterrupt that escapes code run from a string
    (``exec``/``eval`` of text: every namedtuple and dataclass an import defines) as
    unhandled, and a process so marked ends by killing itself with SIGINT at exit,
    whatever exit code it asked for: a Ctrl-C that landed in an import exited -2, not
    130 (one run in ten, ``tests/hostile/test_interrupt.py``). The mark is cleared at
    the start of each such evaluation; an empty one clears it here."""
    exec("")  # an empty string: nothing runs


def friendly(fn):
    """DataError → its problems on stderr, exit 2; a file that cannot be written → one
    line, exit 2; Ctrl-C → one line, exit 130; SIGTERM → one line, exit 143. Outputs
    are one transaction (``_outputs.Outputs``): an interrupted command wrote nothing."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .._outputs import BEFORE_COMMIT
        from ..errors import DataError

        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if main else None
        previous_int = signal.signal(signal.SIGINT, _interrupt) if main else None
        if main and _stop_if_signalled not in BEFORE_COMMIT:
            BEFORE_COMMIT.append(_stop_if_signalled)
        try:
            return fn(*args, **kwargs)
        except DataError as exc:
            if debugging():
                raise
            fail(str(exc))
        except OSError as exc:  # writing: a read-only file system, a full disk, …
            if debugging():
                raise
            where = f" {Path(exc.filename).name}" if getattr(exc, "filename", None) else ""
            fail(f"cannot write{where}: {exc.strerror or exc}; nothing was written")
        except MemoryError:
            fail("out of memory; nothing was written (a smaller input, or more memory)")
        except KeyboardInterrupt:
            click.echo("recurrence: interrupted; nothing was written", err=True)
            _forget_unhandled_interrupt()
            sys.exit(130)
        except Terminated:
            click.echo("recurrence: terminated; nothing was written", err=True)
            sys.exit(143)
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGINT, previous_int)

    return wrapper


# --------------------------------------------------------------------------- reading options

#: Keys of a data-dictionary file, with the loader argument each one sets.
COHORT_KEYS = (
    "columns",
    "values",
    "time_unit",
    "header_row",
    "sheet",
    "time_from",
    "date_format",
    "types",
    "time_left_from",
)
STUDY_KEYS = ("columns", "values", "header_row", "sheet", "outcome", "one_per_trial", "types")


def _read_structured(path: str, what: str) -> dict:
    """A JSON or TOML file (a two-column CSV for a plain column mapping)."""
    from .._outputs import check_input
    from ..errors import DataError, Problem

    p = check_input(path)  # not a FIFO, a folder, a device
    name = p.name
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            Problem(f"is not UTF-8 text ({what})", fix="save it as UTF-8"), source=name
        ) from exc
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            return tomllib.loads(text)
        if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            rows = [line.split(",", 1) for line in text.splitlines() if "," in line]
            data = {k.strip(): v.strip() for k, v in rows}
            data.pop("their_name", None)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        first = str(exc).splitlines()[0][:120]
        raise DataError(
            Problem(
                f"is not a {what} ({first})",
                fix='use JSON {"their_name": "time", ...}, TOML, or a CSV of two columns',
            ),
            source=name,
        ) from exc
    if not isinstance(data, dict):
        raise DataError(
            Problem(f"is not a {what}", fix='use JSON {"their_name": "time", ...}'), source=name
        )
    return data


def read_dictionary(path: str | None, keys: tuple[str, ...]) -> dict:
    """A ``--columns`` file: a plain mapping ``{"their_name": "canonical"}``, or a data
    dictionary holding any of ``keys`` (``columns``, ``values``, ``time_unit``, …)."""
    from ..errors import DataError, Problem

    if path is None:
        return {}
    data = _read_structured(path, "column mapping or data dictionary")
    name = Path(path).name
    if any(k in data for k in keys) and not all(isinstance(v, str) for v in data.values()):
        unknown = [k for k in data if k not in keys]
        if unknown:
            raise DataError(
                Problem(
                    f"has keys a data dictionary does not know: {unknown[:8]}",
                    fix=f"use {', '.join(keys)}",
                ),
                source=name,
            )
        out = dict(data)
    else:
        out = {"columns": data}
    columns = out.get("columns")
    if columns is not None and not (
        isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())
    ):
        raise DataError(
            Problem("its column mapping is not {their_name: canonical_name}"), source=name
        )
    for key in ("time_from", "time_left_from"):
        if isinstance(out.get(key), list):
            out[key] = tuple(out[key])
    return out


def _split_pair(value: str | None, flag: str):
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 2 or not all(parts):
        fail(f"{flag} takes two column names separated by a comma, e.g. surgery_date,last_visit")
    return tuple(parts)


def loader_kwargs(params: dict, prefix: str = "", keys: tuple[str, ...] = COHORT_KEYS) -> dict:
    """The loader's keyword arguments from a command's options: the data dictionary
    (``--columns``) first, then the flags, which win."""
    out = read_dictionary(params.get(f"{prefix}columns_path"), keys)
    values = params.get(f"{prefix}values_path")
    if values is not None:
        out["values"] = _read_structured(values, "values file ({column: {label: value}})")
    for key in ("time_unit", "header_row", "sheet", "date_format"):
        if params.get(prefix + key) is not None and key in keys:
            out[key] = params[prefix + key]
    if "time_from" in keys and params.get(f"{prefix}time_from") is not None:
        out["time_from"] = _split_pair(params[f"{prefix}time_from"], "--time-from")
    return out


def _file_option(flag: str, dest: str, help: str):
    return click.option(flag, dest, type=click.Path(), default=None, help=help)


#: The destinations of :func:`cohort_options`.
COHORT_OPTIONS = (
    "columns_path",
    "values_path",
    "time_unit",
    "header_row",
    "sheet",
    "time_from",
    "date_format",
)


def given_options(ctx: click.Context) -> list[click.Parameter]:
    """The command's options the user typed (not their defaults)."""
    return [
        p
        for p in ctx.command.params
        if ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE
    ]


def cohort_options_need_a_cohort(cohort_path) -> None:
    """Refuse the cohort table's reading options when no cohort file is read (the
    packaged cohort, or none with ``--studies``): they would be ignored without a word,
    and ``--columns`` given for a study table is the likely slip."""
    if cohort_path not in (None, "builtin"):
        return
    ctx = click.get_current_context()
    given = [p.opts[0] for p in given_options(ctx) if p.name in COHORT_OPTIONS]
    if given:
        study = any(p.name == "study_columns_path" for p in ctx.command.params)
        fail(
            f"{', '.join(given)} read{'s' if len(given) == 1 else ''} the cohort table, and no "
            "--cohort file was given: nothing was done. Give --cohort FILE"
            + (", or for the study table --study-columns, --study-values, …" if study else "")
        )


def study_options_need_studies(studies_path) -> None:
    """Refuse the study table's reading options (``--study-…``) when no study file is
    read (the packaged table): they would be ignored without a word."""
    if studies_path not in (None, "builtin"):
        return
    ctx = click.get_current_context()
    given = [p.opts[0] for p in given_options(ctx) if p.name.startswith("study_")]
    if given:
        fail(
            f"{', '.join(given)} read{'s' if len(given) == 1 else ''} the study table, and no "
            "--studies file was given: nothing was done. Give --studies FILE"
        )


def cohort_options(fn):
    """The cohort table's reading options, the same on every command."""
    for decorator in reversed(
        [
            _file_option(
                "--columns",
                "columns_path",
                'Column mapping (JSON {"their_name": "canonical"}) or data dictionary '
                "(JSON/TOML with columns, values, time_unit, header_row, …).",
            ),
            _file_option(
                "--values",
                "values_path",
                'What the labels mean, JSON {"closure": {"Closure": true, "Standard": false}}.',
            ),
            click.option(
                "--time-unit",
                type=click.Choice(["days", "weeks", "months", "years"]),
                default=None,
                help="Unit of the time column (default months).",
            ),
            click.option(
                "--header-row",
                type=click.IntRange(min=1),
                default=None,
                help="Row holding the column names (1-based, as the spreadsheet shows it).",
            ),
            click.option("--sheet", default=None, help="Excel sheet to read."),
            click.option(
                "--time-from",
                metavar="START,END",
                default=None,
                help="Compute time from two date columns (surgery, last follow-up).",
            ),
            click.option(
                "--date-format",
                default=None,
                help="Format of those dates when not ISO, e.g. %d.%m.%Y.",
            ),
        ]
    ):
        fn = decorator(fn)
    return fn


def study_options(fn):
    """The study table's reading options (``--study-…``)."""
    for decorator in reversed(
        [
            _file_option(
                "--study-columns",
                "study_columns_path",
                "Column mapping or data dictionary of the study table.",
            ),
            _file_option(
                "--study-values", "study_values_path", "What the study table's labels mean (JSON)."
            ),
            click.option(
                "--study-header-row",
                type=click.IntRange(min=1),
                default=None,
                help="Row holding the study table's column names.",
            ),
            click.option("--study-sheet", default=None, help="Excel sheet of the study table."),
        ]
    ):
        fn = decorator(fn)
    return fn
