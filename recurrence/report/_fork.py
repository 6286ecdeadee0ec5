"""Work done beside this process in a forked copy of it (POSIX): the copy inherits the
data and the imported modules, so nothing is pickled but what it returns.

The report uses two: the study analyses run beside the cohort's (:mod:`.analyses`), and
the figures are drawn by this process and one worker per extra core (:mod:`.figures`).
Anything that goes wrong in a copy (an error, a result that does not pickle, a copy that
dies) makes the caller do the work itself, in order, as without a copy: the outcome
never depends on the fork.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["Forked", "can_fork", "cores", "quiet_worker"]


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Fork is cheap and safe here only on POSIX, from the main thread (a forked copy of
    a multi-threaded process may deadlock), with a second core to run on."""
    import threading

    return os.name == "posix" and threading.active_count() == 1 and cores() > 1


def quiet_worker() -> None:
    """A forked worker ends quietly when it is ended: not through the command's own
    SIGTERM handler (which would print a traceback for a clean shutdown)."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


class Forked:
    """``fn()`` started now in a forked copy; :meth:`result` waits for its return value,
    or runs ``fn()`` here if the copy failed in any way."""

    def __init__(self, fn: Callable):
        import multiprocessing

        self._fn = fn
        ctx = multiprocessing.get_context("fork")
        self._conn, send = ctx.Pipe(duplex=False)

        def target() -> None:
            quiet_worker()
            try:
                send.send(("ok", fn()))
            except BaseException:  # the parent runs fn itself
                try:
                    send.send(("failed", None))
                except BaseException:
                    pass
            finally:
                send.close()
                os._exit(0)

        self._proc = ctx.Process(target=target, daemon=True)
        self._proc.start()
        send.close()

    def result(self):
        try:
            status, value = self._conn.recv()
        except (EOFError, OSError):  # the copy died
            status, value = "failed", None
        finally:
            self._conn.close()
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.terminate()
        return value if status == "ok" else self._fn()
