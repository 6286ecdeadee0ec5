"""The files one command writes, as one transaction: checked before any work is done,
then written all together or not at all.

Checks (:meth:`Outputs.target`): an output may never be one of the command's inputs
(same resolved path, or the same file through a hard link: same device and inode), nor
anything that is not a regular file (a directory, a FIFO, a character device such as
``/dev/null`` or a terminal). A symbolic link is written through (the file it points to
is replaced, the link stays), never replaced by a file.

Writing (:meth:`Outputs.commit`): every file is first written to a temporary ``*.part``
beside its target and flushed to disk; then the targets are replaced one after the other,
an existing one kept as a hard-linked backup until all are in place. Any failure or
interruption (Ctrl-C, SIGTERM) before the end restores the previous files, removes the
new ones, the temporary files and the folders it created: all the outputs appear, or
none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import DataError, Problem

__all__ = ["Outputs", "check_input"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_input(path: str | os.PathLike) -> Path:
    """An input file that can be opened without blocking: refuse FIFOs (a pipe would
    block, or read as empty), devices and symbolic-link loops before anything opens it."""
    p = Path(path)
    name = p.name or str(p)
    try:
        st = os.stat(p)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise DataError(
                Problem(
                    "is a symbolic link that leads back to itself (a loop)",
                    fix="point the link at the table file",
                ),
                source=name,
            ) from exc
        raise DataError(
            Problem("file not found", fix=f"check the path ({p})"), source=name
        ) from exc
    if stat.S_ISFIFO(st.st_mode):
        raise DataError(
            Problem(
                "is a pipe (FIFO), not a file: it cannot be read twice, or may never end",
                fix="save the table to a file and give its path",
            ),
            source=name,
        )
    if stat.S_ISDIR(st.st_mode):
        raise DataError(
            Problem("is a directory, not a file", fix="give the path of a table file"),
            source=name,
        )
    if not stat.S_ISREG(st.st_mode):
        raise DataError(
            Problem("is not a regular file (a device?)", fix="give the path of a table file"),
            source=name,
        )
    return p


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        return real, (st.st_dev, st.st_ino)
    except OSError:
        return real, None


#: Called with no argument before anything is written; one that raises stops the commit.
#: The command line puts its signal check here: Python runs a signal handler between
#: any two bytecodes, also inside a weakref callback or ``__del__``, where the exception
#: it raises is printed and dropped ("Exception ignored in ...") and the command would
#: go on to write what it was told to abandon.
BEFORE_COMMIT: list[Callable[[], None]] = []


class Outputs:
    """The outputs of one command.

    Parameters
    ----------
    inputs
        The paths the command reads: no output may be one of them.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> out = Outputs(inputs=[])
    >>> out.add(folder / "a.txt", "first")
    >>> out.add(folder / "tables" / "b.csv", "x,y\\n")
    >>> [p.name for p in out.commit()]
    ['a.txt', 'b.csv']
    """

    def __init__(self, inputs=()):
        self._inputs = [_identity(Path(p)) for p in inputs if p is not None]
        self._files: list[tuple[Path, bytes]] = []

    def target(self, path: str | os.PathLike, role: str = "output") -> Path:
        """Check one output path (before any work); returns the path to write, a
        symbolic link resolved to the file it points to."""
        p = Path(path)
        name = p.name or str(p)
        real, ident = _identity(p)
        for in_real, in_ident in self._inputs:
            if real == in_real or (ident is not None and ident == in_ident):
                raise DataError(
                    Problem(
                        f"the {role} would overwrite an input of this command",
                        fix="write the output under another name",
                    ),
                    source=name,
                )
        try:
            st = os.stat(real)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise DataError(
                Problem(f"cannot be written ({exc.strerror or exc})"), source=name
            ) from exc
        if st is not None and not stat.S_ISREG(st.st_mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(st.st_mode)
                else "a pipe (FIFO)"
                if stat.S_ISFIFO(st.st_mode)
                else "a device"
                if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "not a regular file"
            )
            raise DataError(
                Problem(
                    f"the {role} is {kind}, not a file",
                    fix="give the path of the file to write",
                ),
                source=name,
            )
        parent = Path(real).parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise DataError(
                Problem(f"the {role}'s folder is a file", fix="give a path inside a folder"),
                source=name,
            )
        return Path(real)

    def folder(self, path: str | os.PathLike, role: str = "tables folder") -> Path:
        """Check a folder the command writes files into."""
        p = Path(path)
        if p.exists() and not p.is_dir():
            raise DataError(
                Problem(f"the {role} is a file, not a folder", fix="give a folder path"),
                source=p.name or str(p),
            )
        return p

    def add(self, path: str | os.PathLike, data: bytes | str, role: str = "output") -> None:
        """Stage one file (checked now, written by :meth:`commit`)."""
        target = self.target(path, role)
        if any(t == target for t, _ in self._files):
            raise DataError(
                Problem(f"is written twice by this command ({role})"), source=target.name
            )
        self._files.append((target, data.encode("utf-8") if isinstance(data, str) else data))

    @property
    def paths(self) -> list[Path]:
        return [t for t, _ in self._files]

    def commit(self) -> list[Path]:
        """Write every staged file, all or none (see the module docstring)."""
        for check in BEFORE_COMMIT:  # e.g. the command line's: was it told to stop?
            check()
        created: list[Path] = []
        temps: dict[Path, str] = {}
        backups: dict[Path, str] = {}
        placed: list[Path] = []
        mode = 0o666 & ~_umask()
        try:
            for target, data in self._files:
                for parent in reversed(target.parents):
                    if not parent.exists():
                        parent.mkdir()
                        created.append(parent)
                fd, tmp = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".part", dir=target.parent
                )
                temps[target] = tmp
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, mode)  # mkstemp makes files private (0600)
            for target, _ in self._files:
                if target.exists():
                    backup = f"{temps[target][: -len('.part')]}.bak"
                    try:
                        os.link(target, backup)
                    except OSError:
                        shutil.copy2(target, backup)
                    backups[target] = backup
                os.replace(temps[target], target)
                del temps[target]
                placed.append(target)
        except BaseException:
            for target in reversed(placed):
                with contextlib.suppress(OSError):
                    if target in backups:
                        os.replace(backups.pop(target), target)
                    else:
                        os.unlink(target)
            for leftover in [*temps.values(), *backups.values()]:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise
        for backup in backups.values():
            with contextlib.suppress(OSError):
                os.unlink(backup)
        return self.paths
