"""Where Monte Carlo work runs: in this process, on local processes, or on Dask.

The simulation hands over a list of independent *tasks* (picklable, each a few hundred
milliseconds of work) and one module-level function; this module runs them and returns
the results **in task order**, whatever order they finished in. Nothing here touches
random numbers: every task carries its own seeds, so the backend and the number of
workers change how fast the answer comes, never the answer.

Backends (docs/design.md, "Where it runs"; timings in ``benchmarks/README.md``):

``"serial"``
    A loop in this process: no start-up cost, the right choice below a few seconds.
``"processes"``
    joblib's loky pool on this machine (``n_jobs`` workers, all cores by default). The
    pool is reused between calls, so only the first call pays its ~1 s start-up.
``"dask"``
    Dask directly (``client.submit`` and ``as_completed``): on ``client`` if given, on a
    new connection to ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) if
    given, else on a :class:`distributed.LocalCluster` of ``n_jobs`` single-threaded
    worker processes started for the call and closed after it. Workers of a real
    cluster need ``recurrence`` installed (the tasks name its functions).
``"auto"``
    Dask when a client or scheduler is given; otherwise serial when the job is
    estimated to take less than :data:`AUTO_SERIAL_SECONDS` in this process (or the
    machine has one core), local processes beyond.

Progress: ``progress=None`` shows a ``tqdm.auto`` bar (a widget in Jupyter, text in a
terminal) only when someone can see it: in a Jupyter kernel or when stderr is a
terminal, never under pytest or with ``RECURRENCE_PROGRESS=0``. ``True``/``False``
force it; a callable ``progress(done, total)`` receives the count of finished units
after every task (the command line draws a rich bar with it).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import DataError, Problem

__all__ = [
    "AUTO_SERIAL_SECONDS",
    "BACKENDS",
    "Execution",
    "local_cluster",
    "progress_wanted",
    "resolve_backend",
    "run_tasks",
]

BACKENDS = ("auto", "serial", "processes", "dask")
#: ``backend="auto"`` stays in this process below this estimated run time (seconds):
#: a loky pool takes about a second to start, a LocalCluster 1.1–1.6 s.
AUTO_SERIAL_SECONDS = 5.0
#: Seconds to wait for a Dask scheduler given by address (at most ``timeout``).
CONNECT_SECONDS = 10.0
#: Default bound (seconds) of every other wait on Dask: for a worker to join, and for
#: the next result (a scheduler that accepted the job and never answers).
WAIT_SECONDS = 60.0
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx)://[^\s/:]+(:\d{1,5})?$|^[^\s/:]+:\d{1,5}$")


def check_scheduler(scheduler: str | None) -> None:
    """A Dask scheduler address, ``tcp://host:port`` (or ``host:port``)."""
    if scheduler is None:
        return
    if not isinstance(scheduler, str) or not _ADDRESS.match(scheduler.strip()):
        raise DataError(
            Problem(
                f"{scheduler!r} is not a Dask scheduler address",
                fix="give it as tcp://host:8786 (the address the scheduler prints)",
            ),
            loading=False,
        )
    port = scheduler.rsplit(":", 1)[-1]
    if port.isdigit() and not 0 < int(port) < 65536:
        raise DataError(Problem(f"{scheduler!r}: the port must be 1 to 65535"), loading=False)


@dataclass(frozen=True)
class Execution:
    """How a job ran: the backend used, its workers and the wall time in seconds."""

    backend: str
    workers: int
    seconds: float


def check_backend(backend: str, client, scheduler, n_jobs) -> None:
    """A DataError for a backend argument that cannot work."""
    if backend not in BACKENDS:
        raise DataError(
            Problem(
                f"backend must be one of {list(BACKENDS)}, not {backend!r}",
                fix="'auto' chooses for you",
            ),
            loading=False,
        )
    if client is not None and scheduler is not None:
        raise DataError(
            Problem(
                "give client= or scheduler=, not both",
                fix="a client is already connected to its scheduler",
            ),
            loading=False,
        )
    if (client is not None or scheduler is not None) and backend not in ("auto", "dask"):
        raise DataError(
            Problem(
                f"client=/scheduler= run on Dask, but backend={backend!r}",
                fix="use backend='dask' (or 'auto')",
            ),
            loading=False,
        )
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1
    ):
        raise DataError(
            Problem(
                f"n_jobs must be a positive number of workers or -1 (all cores), not {n_jobs!r}"
            ),
            loading=False,
        )


def resolve_backend(backend: str, client, scheduler, estimated_seconds: float) -> str:
    """The backend ``"auto"`` stands for (others are returned as given)."""
    if backend != "auto":
        return backend
    if client is not None or scheduler is not None:
        return "dask"
    if estimated_seconds < AUTO_SERIAL_SECONDS or (os.cpu_count() or 1) < 2:
        return "serial"
    return "processes"


def _workers(n_jobs: int | None) -> int:
    cores = os.cpu_count() or 1
    return cores if n_jobs in (None, -1) else int(n_jobs)


# ---------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------


def _in_jupyter() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_wanted() -> bool:
    """Whether an automatic progress bar would be seen (see the module docstring)."""
    if os.environ.get("RECURRENCE_PROGRESS", "").lower() in ("0", "false", "no", "off"):
        return False
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if _in_jupyter():
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


@contextlib.contextmanager
def _progress(
    progress, total: int, description: str, unit: str = "trial"
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(k)``, drawing a bar or calling the user's callback."""
    if callable(progress):
        done = 0

        def advance(k: int) -> None:
            nonlocal done
            done += k
            progress(done, total)

        yield advance
        return
    show = progress_wanted() if progress is None else bool(progress)
    if not show:
        yield lambda k: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=description, unit=unit, leave=False, dynamic_ncols=True) as bar:
        yield bar.update


# ---------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------


def _indexed(fn, index: int, task):
    """Run one task and return it with its index (results may arrive out of order)."""
    return index, fn(task)


def _serial(fn, tasks, sizes, advance) -> list:
    out = []
    for task, size in zip(tasks, sizes, strict=True):
        out.append(fn(task))
        advance(size)
    return out


def _processes(fn, tasks, sizes, advance, n_jobs) -> list:
    from joblib import Parallel, delayed

    results: list = [None] * len(tasks)
    parallel = Parallel(n_jobs=n_jobs or -1, backend="loky", return_as="generator_unordered")
    for index, value in parallel(delayed(_indexed)(fn, i, t) for i, t in enumerate(tasks)):
        results[index] = value
        advance(sizes[index])
    return results


def _dask(fn, tasks, sizes, advance, client, wait: float = WAIT_SECONDS) -> list:
    """Run the tasks on a Dask client; a cluster that gives no result for ``wait``
    seconds (no worker left, a worker that cannot import recurrence) is an error, not a
    hang."""
    from distributed import as_completed

    futures = client.map(_indexed, [fn] * len(tasks), range(len(tasks)), tasks, pure=False)
    results: list = [None] * len(tasks)
    done = as_completed(futures)
    ready: list = []
    try:
        for _ in range(len(futures)):
            deadline = time.monotonic() + wait
            while not ready:
                ready = list(done.next_batch(block=False))
                if not ready:
                    if time.monotonic() >= deadline:
                        raise DataError(
                            Problem(
                                f"no result from the Dask cluster for {wait:g} s",
                                fix="check that its workers run and can import recurrence, "
                                "or raise --timeout",
                            ),
                            loading=False,
                        )
                    time.sleep(0.05)
            index, value = ready.pop(0).result()
            results[index] = value
            advance(sizes[index])
    finally:
        client.cancel([f for f in futures if not f.done()])
    return results


def _probe(scheduler: str, seconds: float) -> None:
    """Refuse, within ``seconds``, an address where no Dask scheduler answers.

    A Dask scheduler speaks first: it sends its handshake as soon as a connection is
    accepted. ``distributed.Client`` waits for that handshake without a bound, so a server
    that accepts and stays silent (a proxy, a stopped process's port reused) would hang
    the call forever; a plain socket with a timeout tells the two apart. Only TCP
    addresses are probed (``tls://`` and others go straight to the client)."""
    import socket

    address = scheduler.strip()
    if address.startswith("tcp://"):
        address = address[len("tcp://") :]
    elif "://" in address:
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return
    problem = None
    try:
        with socket.create_connection((host, int(port)), timeout=seconds) as sock:
            sock.settimeout(seconds)
            if not sock.recv(1):
                problem = "it closed the connection"
    except TimeoutError:
        problem = f"nothing answered within {seconds:g} s"
    except OSError as exc:
        problem = f"{type(exc).__name__}: {str(exc)[:80]}"
    if problem is not None:
        raise DataError(
            Problem(
                f"could not connect to a Dask scheduler at {scheduler!r} ({problem})",
                fix="check the address (tcp://host:8786) and that a Dask scheduler, not "
                "another server, runs there",
            ),
            loading=False,
        )


@contextlib.contextmanager
def _dask_client(
    client, scheduler, n_jobs, wait: float = WAIT_SECONDS
) -> Iterator[tuple[object, int]]:
    """The client to use and its number of workers; closes what it opened."""
    from distributed import Client

    if client is not None:
        yield client, max(len(client.scheduler_info().get("workers", {})), 1)
        return
    if scheduler is not None:
        _probe(scheduler, min(CONNECT_SECONDS, wait))
        try:
            own = Client(scheduler, timeout=f"{min(CONNECT_SECONDS, wait):g}s")
        except (OSError, TimeoutError, MemoryError, OverflowError, ValueError) as exc:
            # MemoryError/OverflowError: the address answers, but not as Dask (a web or
            # SSH server: its first bytes read as a frame length of exabytes)
            raise DataError(
                Problem(
                    f"could not connect to a Dask scheduler at {scheduler!r} "
                    f"({type(exc).__name__}: {str(exc)[:80]})",
                    fix="check the address (tcp://host:8786) and that a Dask scheduler, not "
                    "another server, runs there",
                ),
                loading=False,
            ) from exc
        with own:
            try:
                own.wait_for_workers(1, timeout=wait)
            except (TimeoutError, OSError) as exc:
                raise DataError(
                    Problem(
                        f"the Dask scheduler at {scheduler!r} has no worker (waited {wait:g} s)",
                        fix="start workers (dask worker tcp://host:8786), or raise --timeout",
                    ),
                    loading=False,
                ) from exc
            yield own, max(len(own.scheduler_info().get("workers", {})), 1)
        return
    workers = _workers(n_jobs)
    with local_cluster(workers) as cluster, Client(cluster) as own:
        yield own, workers


def local_cluster(n_workers: int):
    """A :class:`distributed.LocalCluster` of single-threaded worker processes, with no
    dashboard and its HTTP endpoint on a free port of 127.0.0.1. (With
    ``dashboard_address=None`` alone the scheduler still binds port 8787 and warns when
    another cluster holds it: an error under ``filterwarnings = error``.)"""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )


def run_tasks(
    fn: Callable,
    tasks: Sequence,
    *,
    sizes: Sequence[int],
    backend: str = "auto",
    client=None,
    scheduler: str | None = None,
    n_jobs: int | None = None,
    progress=None,
    estimated_seconds: float = 0.0,
    description: str = "simulating",
    timeout: float = WAIT_SECONDS,
) -> tuple[list, Execution]:
    """Run ``fn(task)`` for every task; results in task order and how it ran.

    ``sizes`` are the units of work in each task (replicates), for the progress bar.

    Examples
    --------
    >>> out, how = run_tasks(abs, [-1, 2, -3], sizes=[1, 1, 1], backend="serial")
    >>> out, how.backend
    ([1, 2, 3], 'serial')
    """
    check_backend(backend, client, scheduler, n_jobs)
    check_scheduler(scheduler)
    chosen = resolve_backend(backend, client, scheduler, estimated_seconds)
    start = time.perf_counter()
    with _progress(progress, int(sum(sizes)), description) as advance:
        if chosen == "serial":
            results, workers = _serial(fn, tasks, sizes, advance), 1
        elif chosen == "processes":
            results, workers = _processes(fn, tasks, sizes, advance, n_jobs), _workers(n_jobs)
        else:
            with _dask_client(client, scheduler, n_jobs, timeout) as (dask_client, workers):
                results = _dask(fn, tasks, sizes, advance, dask_client, timeout)
    return results, Execution(backend=chosen, workers=workers, seconds=time.perf_counter() - start)
