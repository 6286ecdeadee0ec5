"""``recurrence app``: the local web app (an extra: ``recurrence[app]``)."""

from __future__ import annotations

import ipaddress

import click

from ._common import OneLineErrors, fail

__all__ = ["app"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command(cls=OneLineErrors)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8050,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but this machine needs --allow-remote.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Listen on an address other computers can reach (cohorts hold patient data: "
    "anyone on that network could open the app).",
)
def app(port: int, host: str, allow_remote: bool) -> None:
    """Start the local web app: upload a table, map its columns, see the results, download
    the report. Open the address it prints in a browser; Ctrl-C stops it."""
    from ..app import INSTALL_HINT, missing_extra

    missing = missing_extra()
    if missing:
        fail(f"the app needs {', '.join(missing)}: {INSTALL_HINT}")
    local = _loopback(host)
    if not local and not allow_remote:
        fail(
            f"--host {host} would let other computers reach the app and its patient data; "
            "add --allow-remote if that is what you want"
        )
    if not local:
        click.echo(
            f"recurrence: warning: listening on {host}: anyone who can reach this address can "
            "open the app and the data uploaded to it",
            err=True,
        )
    from ..app import serve

    _check_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"recurrence app: http://{shown}:{port}/ (Ctrl-C stops it; uploads are deleted then)"
    )
    serve(host, port, local=local)


def _check_port(host: str, port: int) -> None:
    """One line and exit 2 when the address cannot be listened on (in use, not ours),
    rather than the web server's log and traceback."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; try another --port")
