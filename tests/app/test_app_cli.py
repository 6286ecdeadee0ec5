"""``recurrence app``: bound to this machine unless told otherwise, in words.

The server itself is replaced by a recorder (``recurrence.app.serve``): these tests are
about the command's choices, the browser tests about the server.
"""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

import recurrence.app
from recurrence.cli import main

pytest.importorskip("starlette", reason="the app extra is not installed")


@pytest.fixture()
def served(monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(
        recurrence.app, "serve", lambda host, port, *, local: calls.append((host, port, local))
    )
    return calls


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_localhost_by_default(served):
    port = _free_port()
    result = CliRunner().invoke(main, ["app", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", port, True)]
    assert f"recurrence app: http://127.0.0.1:{port}/" in result.stdout
    assert "warning" not in result.stderr


@pytest.mark.parametrize("host", ["localhost", "::1"])
def test_other_names_of_this_machine_need_no_flag(served, host):
    port = _free_port()
    result = CliRunner().invoke(main, ["app", "--host", host, "--port", str(port)])
    if result.exit_code == 2 and "cannot listen" in result.stderr:
        pytest.skip(f"{host} cannot be listened on here: {result.stderr.strip()}")
    assert result.exit_code == 0, result.output
    assert served == [(host, port, True)]
    assert "warning" not in result.stderr


def test_another_address_needs_the_flag_and_says_so(served):
    port = _free_port()
    refused = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--port", str(port)])
    assert refused.exit_code == 2
    assert served == []  # nothing was served
    assert (
        "--host 0.0.0.0 would let other computers reach the app and its patient data; "
        "add --allow-remote if that is what you want"
    ) in refused.stderr

    allowed = CliRunner().invoke(
        main, ["app", "--host", "0.0.0.0", "--port", str(port), "--allow-remote"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert served == [("0.0.0.0", port, False)]  # no loopback-only Host check then
    assert (
        "recurrence: warning: listening on 0.0.0.0: anyone who can reach this address can "
        "open the app and the data uploaded to it"
    ) in allowed.stderr


def test_a_port_in_use_is_one_line(served):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert served == []
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "try another --port" in result.stderr
    assert "Traceback" not in result.output
