"""Fixtures of the app's tests: the app served by ``recurrence app`` in a process of its
own (as a user starts it), a small HTTP client with a cookie jar, and Debian's Chromium
driven by Playwright.

Chromium: ``/usr/bin/chromium`` (or ``RECURRENCE_CHROMIUM``). Where it is missing, the
browser tests install it with apt when they run in CI as root (``CI=true``: about 40 s
with Debian's mirrors); anywhere else they skip, saying how to install it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers_app import Client, Server

CHROMIUM = os.environ.get("RECURRENCE_CHROMIUM", "/usr/bin/chromium")
#: The flags of a headless Chromium that talks to nothing but the app.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One app for every test of the folder (each test has its own session cookie)."""
    pytest.importorskip("starlette", reason="the app extra is not installed")
    srv = Server(tmp_path_factory.mktemp("app"))
    yield srv
    if srv.proc.poll() is None:
        srv.stop()


@pytest.fixture()
def client(server):
    return Client(server.url)


def _install_chromium() -> str | None:
    """Install Debian's Chromium (CI, as root); the reason it is missing otherwise."""
    how = "apt-get install chromium (the tests do it themselves in CI as root)"
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return f"Chromium not found at {CHROMIUM}: {how}"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"Chromium not found at {CHROMIUM}, and CI is not root with apt-get: {how}"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open("/tmp/recurrence-chromium.lock", "w") as lock:  # one install for -n 2
        fcntl.flock(lock, fcntl.LOCK_EX)
        if Path(CHROMIUM).exists():
            return None
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
            try:
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
            except subprocess.TimeoutExpired:
                return f"{' '.join(cmd)} took over 15 minutes: browser tests skipped"
            if done.returncode != 0:
                return f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}"
    return None if Path(CHROMIUM).exists() else f"apt-get installed no {CHROMIUM}"


@pytest.fixture(scope="session")
def chromium():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists():
        reason = _install_chromium()
        if reason:
            pytest.skip(reason)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium, server):
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    outside: list[str] = []

    def note(request):
        if not request.url.startswith((server.url, "data:", "blob:")):
            outside.append(request.url)

    page.on("request", note)
    yield page
    context.close()
    assert outside == [], f"the page asked for something outside the app: {outside[:3]}"


@pytest.fixture()
def shoot(page):
    """``shoot(name)``: a full-page screenshot into ``tests/app/screenshots/NAME.png``."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
