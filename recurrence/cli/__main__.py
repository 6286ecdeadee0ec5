"""``python -m recurrence.cli``: the same as the ``recurrence`` command."""

from . import run

run()
