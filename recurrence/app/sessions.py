"""Sessions of the app: who is who (a random cookie), and where their uploads live.

Every session has its own temporary folder (``mkdtemp``: readable by its owner only),
holding the files uploaded in it and nothing else. The folder is removed when the
session ends: the user ends it ("End session" on every page), it is left idle for
:data:`IDLE_MINUTES`, or the app stops (every folder is removed on shutdown, and at
interpreter exit as a backstop). Nothing is written anywhere else, and nothing leaves
the machine.

Everything a session computed (the loaded tables, the results, the plan) is held in
memory in its :class:`Session` and dropped with it.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["COOKIE", "IDLE_MINUTES", "Session", "SessionStore"]

#: The name of the session cookie (HttpOnly, SameSite=Strict, never sent elsewhere).
COOKIE = "recurrence_session"
#: Minutes without a request after which a session ends and its folder is removed.
IDLE_MINUTES = 60.0


@dataclass(eq=False)
class Session:
    """One user's state: uploads (in ``folder``), the reading options, the loaded
    tables, the plan, and the results computed from them."""

    token: str
    folder: Path
    last_seen: float = field(default_factory=time.monotonic)
    uploads: dict = field(default_factory=dict)  # "cohort"/"studies" -> Path or "builtin"
    reading: dict = field(default_factory=dict)  # "cohort"/"studies" -> loader kwargs
    form: dict = field(default_factory=dict)  # the mapping form as last submitted
    cohort: object | None = None  # canonical DataFrame, once loaded
    studies: object | None = None
    min_cell: int | None = None
    load_warnings: tuple = ()
    plan: dict = field(default_factory=dict)
    design: dict | None = None  # the design form as last submitted
    cache: dict = field(default_factory=dict)  # tab -> computed content
    jobs: dict = field(default_factory=dict)  # name -> background job
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def upload_path(self, role: str, filename: str) -> Path:
        """Where an upload of ``role`` is kept: its own name (so that messages and the
        report name the user's file), made safe, inside this session's folder."""
        safe = "".join(c if c.isalnum() or c in "._- " else "_" for c in Path(filename).name)
        safe = safe.strip(" .") or "upload"
        target = self.folder / role
        target.mkdir(mode=0o700, exist_ok=True)
        for old in target.iterdir():  # one file per role
            old.unlink()
        return target / safe[:120]

    def forget_results(self) -> None:
        """Drop what was computed from the tables (after new tables or a new plan)."""
        self.cache.clear()


class SessionStore:
    """Every live session; ends idle ones and removes every folder on :meth:`close`."""

    def __init__(self, idle_minutes: float = IDLE_MINUTES, root: str | None = None):
        self.idle = idle_minutes * 60.0
        self.root = Path(tempfile.mkdtemp(prefix="recurrence-app-", dir=root))
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        atexit.register(self.close)

    def new(self) -> Session:
        token = secrets.token_urlsafe(32)
        folder = Path(tempfile.mkdtemp(prefix="session-", dir=self.root))
        session = Session(token=token, folder=folder)
        with self._lock:
            self._sessions[token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token`` (``None`` when unknown or ended)."""
        self.sweep()
        with self._lock:
            session = self._sessions.get(token or "")
        if session is not None:
            session.last_seen = time.monotonic()
        return session

    def end(self, session: Session) -> None:
        """End a session: forget it and remove its folder."""
        with self._lock:
            self._sessions.pop(session.token, None)
        for job in session.jobs.values():
            job.cancel()
        session.cohort = session.studies = None
        session.cache.clear()
        shutil.rmtree(session.folder, ignore_errors=True)

    def sweep(self) -> int:
        """End every session idle for longer than the limit; how many were ended."""
        now = time.monotonic()
        with self._lock:
            idle = [s for s in self._sessions.values() if now - s.last_seen > self.idle]
        for session in idle:
            self.end(session)
        return len(idle)

    def __len__(self) -> int:
        return len(self._sessions)

    def close(self) -> None:
        """End every session and remove the app's temporary folder."""
        with self._lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            self.end(session)
        shutil.rmtree(self.root, ignore_errors=True)
