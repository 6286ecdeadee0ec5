"""``python -m recurrence.cli``: the same as the ``recurrence`` command."""

from . import main

main()
