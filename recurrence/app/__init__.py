"""``recurrence app``: the analyses of the package in a local web page, for colleagues
who do not write Python.

A small Starlette app (pages rendered on the server, htmx for the parts that change),
served by uvicorn on this machine's loopback address. The choice of framework, what was
measured, and how the app keeps patient data on the machine: ``docs/app.md``.

The app is an extra (``pip install 'recurrence[app]'``): the core install does not need
a web server.

Examples
--------
>>> from recurrence.app import create_app                  # doctest: +SKIP
>>> app = create_app()                                      # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRA_MODULES", "INSTALL_HINT", "create_app", "missing_extra", "serve"]

#: The modules of the ``app`` extra, and the packages that provide them.
EXTRA_MODULES = {
    "starlette": "starlette",
    "uvicorn": "uvicorn",
    "python_multipart": "python-multipart",
}
INSTALL_HINT = "pip install 'recurrence[app]' (or: uv sync --extra app)"


def missing_extra() -> list[str]:
    """The packages of the ``app`` extra that are not installed."""
    return [pkg for mod, pkg in EXTRA_MODULES.items() if importlib.util.find_spec(mod) is None]


def create_app(**kwargs):
    """The Starlette app (see :func:`recurrence.app.web.create_app`)."""
    from .web import create_app as _create

    return _create(**kwargs)


def serve(
    host: str = "127.0.0.1", port: int = 8050, *, local: bool = True, log_level: str = "warning"
):
    """Serve the app until interrupted; every session's folder is removed on the way out."""
    import matplotlib as mpl
    import uvicorn

    mpl.use("Agg")  # no window: figures are drawn into the page
    app = create_app(local=local)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        app.state.sessions.close()
