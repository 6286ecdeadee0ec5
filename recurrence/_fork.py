"""Work done in a forked copy of this process, on the second core: the report's study
analyses beside its cohort analyses, and its figures (:mod:`recurrence.report.figures`).

A forked copy inherits everything this process holds (the loaded tables, the imported
modules), so only the result travels back, pickled through a pipe. Whatever goes wrong
in the copy (an error, a result that does not pickle, a copy that is killed) comes back
as "nothing": the caller then does the work itself, in this process, where an error is
raised as usual. No fork where it is unsafe or useless: off POSIX, with a second thread
running (a forked copy of a multi-threaded process may deadlock), or on one core.

Examples
--------
>>> from recurrence._fork import fork_call
>>> job = fork_call(lambda: sum(range(10)))
>>> (job.result() if job is not None else 45)
45
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["NOTHING", "Forked", "can_fork", "cores", "fork_call", "quiet_worker", "share"]

#: What :meth:`Forked.result` returns when the copy sent nothing back.
NOTHING: Any = object()


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is cheap and safe here only on POSIX, from the main thread (a forked copy of
    a multi-threaded process may deadlock)."""
    import threading

    return os.name == "posix" and threading.active_count() == 1


def quiet_worker() -> None:
    """A forked worker ends quietly when it is ended: not through the command's own
    SIGTERM handler (which would print a traceback for a clean shutdown)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


class Forked:
    """A call running in a forked copy; :meth:`result` waits for its value."""

    def __init__(self, proc, conn) -> None:
        self._proc, self._conn = proc, conn

    def result(self) -> Any:
        """The call's value, or :data:`NOTHING` if the copy failed or sent nothing."""
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            return NOTHING
        finally:
            self.close()

    def close(self) -> None:
        """End the copy (if it still runs) and release the pipe."""
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.terminate()


def fork_call(fn: Callable[[], Any]) -> Forked | None:
    """Start ``fn()`` in a forked copy of this process; ``None`` where no fork is made
    (one core, a second thread, not POSIX): then the caller calls ``fn`` itself."""
    if cores() < 2 or not can_fork():
        return None
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe(duplex=False)

    def work(conn) -> None:
        quiet_worker()
        # the copy holds the reading end too: closed here, or a result larger than the
        # pipe's buffer would wait forever for a parent that was killed (the copy itself
        # would still count as a reader) instead of failing with a broken pipe
        parent_end.close()
        try:
            conn.send(fn())
        except BaseException:  # nothing sent: the parent does the work (and raises)
            pass
        finally:
            conn.close()
            os._exit(0)

    proc = ctx.Process(target=work, args=(child_end,), daemon=True)
    proc.start()
    child_end.close()
    return Forked(proc, parent_end)


def share(items, here: float, there: float) -> tuple[tuple, tuple]:
    """Items of about equal cost split between a forked copy (the first ones) and this
    process, which have ``there`` and ``here`` items' worth of other work: the split
    that makes the longer of the two shortest."""
    items = tuple(items)
    k = min(len(items), max(0, round((len(items) + here - there) / 2)))
    return items[:k], items[k:]
