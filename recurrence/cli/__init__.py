"""The ``recurrence`` command: one module per subcommand, shared helpers in
:mod:`._common` (errors, interrupts, reading options).

Heavy modules are imported inside the commands, so ``recurrence --help`` is quick.
A bad input ends with the file and its problems on stderr, one per line, and exit
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys

import click

from ._common import OneLineGroup

__all__ = ["main", "run"]


@click.group(cls=OneLineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of short errors.")
@click.version_option(package_name="recurrence")
def main(debug: bool) -> None:
    """recurrence: reherniation after lumbar discectomy, with and without annulus closure.

    Reherniation rates over time per arm, the effect of closure, pooled published
    evidence, and a PDF report. With no input files every command uses the packaged
    synthetic cohort and the packaged table of published studies.
    """


def run() -> None:
    """The ``recurrence`` command in a process of its own (the console script and
    ``python -m recurrence.cli``): :func:`main`, in a process no one else imports into.

    pandera imports hypothesis whenever it is installed (for its data-synthesis
    strategies, which no command uses), as in the development environment: 0.12-0.19 s
    of every command's start here. Such a process hides it from pandera. :func:`main`
    itself, as tests and other programs call it, leaves the process's modules alone.
    """
    sys.modules.setdefault("hypothesis", None)  # type: ignore[arg-type]
    main()


def _register() -> None:
    from .app import app
    from .describe import describe
    from .design import design
    from .plan import plan
    from .report import report

    for command in (describe, report, plan, design, app):
        main.add_command(command)


_register()
