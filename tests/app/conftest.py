"""Fixtures of the app's tests: the app served by ``recurrence app`` in a process of its
own (as a user starts it), a small HTTP client with a cookie jar, and Debian's Chromium
driven by Playwright.

Chromium: ``/usr/bin/chromium`` (or ``RECURRENCE_CHROMIUM``). Where it is missing, the
browser tests install it with apt when they run in CI as root (``CI=true``: about 40 s
with Debian's mirrors); anywhere else they skip, saying how to install it.
"""

from __future__ import annotations

import fcntl
import http.cookiejar
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``recurrence app --port N`` in its own process, with its own temporary folder."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "TMPDIR": str(tmp)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "recurrence.cli", "app", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/static/app.css", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError) as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    _, err = self.proc.communicate(timeout=5)
                    raise RuntimeError(f"recurrence app did not start: {err[-2000:]}") from exc
                time.sleep(0.1)

    def folders(self) -> list[Path]:
        """The app's temporary folders (one root, one folder per session in it)."""
        return sorted(self.tmp.glob("recurrence-app-*/**/"))

    def stop(self) -> tuple[int, str, str]:
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err


class Client:
    """A browser without a browser: cookies kept, redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data=None, headers=None):
        if isinstance(data, dict):
            data = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as r:
                return r.status, r.geturl(), dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.geturl(), dict(e.headers), e.read()

    def get(self, path: str):
        return self.request(path)

    def post(self, path: str, data: dict):
        return self.request(path, data)

    def upload(self, files: dict[str, Path], fields: dict | None = None):
        boundary = "----recurrence-test-boundary"
        parts = []
        for name, value in (fields or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, path in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + path.read_bytes()
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("/upload", body, headers)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
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
