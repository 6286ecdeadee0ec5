"""What the app's tests share (``from helpers_app import Client, Server``): the app
served by ``recurrence app`` in a process of its own, as a user starts it, and a small
HTTP client with a cookie jar that submits the app's forms as a browser would."""

from __future__ import annotations

import html.parser
import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["Client", "Server", "form_fields", "free_port"]


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


class FormFields(html.parser.HTMLParser):
    """What a browser would submit from a page's forms, untouched: each input's value
    (ticked checkboxes only), each select's selected option (else its first)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [v for v, on in self._options if on] or [v for v, _ in self._options[:1]]
            self.fields += [(self._select, v) for v in chosen]
            self._select = None


def form_fields(page_html: str) -> list[tuple[str, str]]:
    parser = FormFields()
    parser.feed(page_html)
    return parser.fields


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

    def map(self, choices: dict | None = None, labels: dict | None = None):
        """Submit the mapping form as the page proposes it, with ``choices`` (field:
        value) changed and the labels of ``labels`` (label: choice) picked."""
        status, _, _, body = self.get("/map")
        assert status == 200, body[:500]
        fields = form_fields(body.decode())
        data = dict(fields)
        data.update(choices or {})
        for name, value in fields:  # cohort.labeltext.ROLE.I holds label I's text
            if ".labeltext." in name and value in (labels or {}):
                data[name.replace(".labeltext.", ".label.")] = labels[value]
        return self.post("/map", data)

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
