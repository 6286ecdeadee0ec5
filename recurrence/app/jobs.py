"""Long computations (simulated power) in a background thread, with their progress.

The page polls the job's progress (``done`` of ``total``) and shows a bar; the result
or the error is kept in the job when it ends. Ending the session cancels the job: its
next progress report stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Cancelled", "Job"]


class Cancelled(Exception):
    """Raised inside a job's progress report once the job was cancelled."""


class Job:
    """Run ``work(job)`` in a thread; ``job.progress(done, total)`` is what the
    computation calls as it goes, ``job.warnings`` what it has to say."""

    def __init__(self, work: Callable[[Job], object]):
        self.done = 0
        self.total = 0
        self.result: object | None = None
        self.error: str | None = None
        self.warnings: tuple[str, ...] = ()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def progress(self, done: int, total: int) -> None:
        if self._cancelled.is_set():
            raise Cancelled
        self.done, self.total = int(done), int(total)

    def _run(self, work) -> None:
        from ..errors import DataError

        try:
            self.result = work(self)
        except Cancelled:
            self.error = "cancelled"
        except DataError as exc:
            self.error = "\n".join(p.describe() for p in exc.problems)
        except Exception as exc:  # shown on the page rather than lost in a thread
            self.error = f"{type(exc).__name__}: {exc}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
