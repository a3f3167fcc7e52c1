"""Running the screening app for tests: in a thread (uvicorn) or as a real process, and plain HTTP calls."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from pipeline.app.server import Config, create_app
from pipeline.layout import Layout
from pipeline.protocol import Protocol

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class Client:
    """HTTP/1.1 to the app with one kept-alive connection; `token` goes in as a Bearer header."""

    def __init__(self, port: int, token: str | None = None, host: str = "127.0.0.1"):
        self.port, self.token, self.host = port, token, host
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, data: object = None, headers: dict[str, str] | None = None) -> Reply:
        head = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.token:
            head["Authorization"] = f"Bearer {self.token}"
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            head.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=head)
                r = self.conn.getresponse()
                return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
            except (ConnectionError, http.client.RemoteDisconnected):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str, **kw: object) -> Reply:
        return self.request("GET", path, **kw)  # type: ignore[arg-type]

    def post(self, path: str, data: object, csrf: str = "", **kw: object) -> Reply:
        headers = {"X-CSRF-Token": csrf, **kw.pop("headers", {})}  # type: ignore[dict-item]
        return self.request("POST", path, data, headers=headers)


def csrf_of(page: bytes) -> str:
    found = re.search(rb'data-csrf="([0-9a-f]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1).decode()


@contextlib.contextmanager
def serve(layout: Layout, protocol: Protocol, config: Config | None = None) -> Iterator[int]:
    """The app on a free loopback port in a thread of this process; yields the port."""
    port = free_port()
    app = create_app(layout, protocol, config or Config())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Process:
    """`python -m pipeline app` as a real process (so it can be killed with SIGKILL)."""

    def __init__(self, root: Path, *extra: str):
        self.root, self.extra = root, extra
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self) -> Process:
        cmd = [sys.executable, "-m", "pipeline", "app", "--root", str(self.root), "--port", str(self.port), *self.extra]
        env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300"}
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        lines = []
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the app exited: " + "".join(lines))
            lines.append(line)
            if line.startswith("app: serving"):
                break
        self.output = "".join(lines)
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return self
            time.sleep(0.05)
        raise RuntimeError("the app does not listen: " + self.output)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
