"""What every stand-in service on 127.0.0.1 shares: a real HTTP server, a request log, faults.

The E-utilities, ClinicalTrials.gov, Europe PMC and Crossref stand-ins (tests/eutils_server.py,
tests/ctgov_server.py, tests/europepmc_server.py, tests/crossref_server.py) subclass `StandIn` and
answer `route()`. This base serves them on a free port in a background thread, records every
request (time, path, parameters, the fault it got) and injects faults on demand, per route:

    429, 500, 503, 400   that HTTP status (`status_reply`; a Retry-After header as `retry_after` says:
                         by default "0" on a 429)
    delay                answer only after `delay` seconds (past the client's timeout)
    truncate             announce the full Content-Length, send half the body, close
    malformed            a complete 200 reply holding half a JSON document
    html                 a 200 reply holding an HTML error page (a proxy or gateway in the way)

Service-specific faults (an expired page token, a count larger than served, an <ERROR> document)
live in the subclasses: `route()` gets them as its `fault`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

HTTP_FAULTS = ("400", "429", "500", "503", "delay", "truncate", "malformed", "html")


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    time: float                  # time.monotonic() on arrival
    method: str
    route: str                   # the subclass's name for what was asked ("studies", "works", "efetch", ...)
    path: str                    # the URL path, percent-decoded
    params: dict[str, str]
    headers: dict[str, str]
    fault: str | None


@dataclass(frozen=True)
class Reply:
    """What `route()` answers: status, body and content type."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(value, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def text(cls, text: str, status: int) -> Reply:
        return cls(status, text.encode("utf-8"), "text/plain")


class StandIn:
    """A stand-in service; a context manager that serves on a free port in a background thread."""

    faults_known: tuple[str, ...] = HTTP_FAULTS
    accepts_post = False                        # POST with the parameters as a form body (the E-utilities)

    def __init__(self, *, port: int = 0, delay: float = 1.0):
        self.delay = delay                      # seconds a "delay" fault waits before answering
        self.verbose = False                    # print one line per request (path only, never parameters)
        self.retry_after: dict[int, str] = {429: "0"}   # status fault -> its Retry-After header
        self.requests: list[Hit] = []
        self.faults: dict[str, deque[str | None]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- what subclasses provide -----------------------------------------------------------------

    def route_name(self, path: str) -> str | None:
        """The route a path belongs to (used to pick faults), or None for 404."""
        raise NotImplementedError

    def route(self, name: str, path: str, params: dict[str, str], fault: str | None) -> Reply:
        """The reply for one request; `fault` is a service-specific fault to apply, if any."""
        raise NotImplementedError

    def status_reply(self, status: int, params: dict[str, str], client: str) -> Reply:
        """The reply of a 400/429/500/503 fault (`client`: the caller's address)."""
        text = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error",
                503: "Service Unavailable"}[status]
        return Reply.text(text, status)

    # --- running ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, fault: str, route: str, times: int = 1, after: int = 0) -> None:
        """Make `times` requests to `route` get `fault`, after `after` good ones."""
        if fault not in self.faults_known:
            raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(self.faults_known)}")
        with self._lock:
            self.faults.setdefault(route, deque()).extend([None] * after + [fault] * times)

    def hits(self, route: str | None = None) -> list[Hit]:
        """Requests seen so far, optionally only those to one route."""
        with self._lock:
            return [h for h in self.requests if route is None or h.route == route]

    def start(self) -> StandIn:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command-line use)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def serve_by_hand(self, faults: list[str], banner: str) -> None:
        """The command-line use: inject each `ROUTE:KIND[:TIMES]` fault, print `banner`, serve until Ctrl-C."""
        self.verbose = True
        for spec in faults:
            route, kind, *times = spec.split(":")
            self.inject(kind, route, int(times[0]) if times else 1)
        print(f"{banner} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            self.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, method: str, route: str, path: str, params: dict[str, str], headers: dict[str, str]) -> str | None:
        with self._lock:
            queue = self.faults.get(route)
            fault = queue.popleft() if queue else None
            self.requests.append(Hit(time.monotonic(), method, route, path, params, headers, fault))
        return fault


def command_line(description: str, port: int, example: str, metavar: str = "ROUTE:KIND[:TIMES]") -> argparse.ArgumentParser:
    """The by-hand command's parser, with --port and --fault; a service adds its own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=port, help="port to listen on (0: any free port)")
    parser.add_argument("--fault", action="append", default=[], metavar=metavar, help=f"inject a fault, e.g. {example}")
    return parser


def _handler_for(server: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET", urlsplit(self.path).query)

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve("POST", self.rfile.read(length).decode("utf-8"))

        def _serve(self, method: str, query: str) -> None:
            path = unquote(urlsplit(self.path).path)
            params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            name = server.route_name(path)
            if name is None:
                return self._send(Reply.text(f"no such resource: {path}", 404))
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = server._record(method, name, path, params, headers)
            if fault in ("400", "429", "500", "503"):
                status = int(fault)
                reply = server.status_reply(status, params, self.client_address[0])
                if status in server.retry_after:
                    reply = replace(reply, headers=(*reply.headers, ("Retry-After", server.retry_after[status])))
                return self._send(reply)
            if fault == "delay":
                time.sleep(server.delay)
            reply = server.route(name, path, params, fault if fault not in HTTP_FAULTS else None)
            if fault == "malformed":
                reply = Reply(reply.status, reply.body[: len(reply.body) // 2], reply.content_type)
            elif fault == "html":
                reply = Reply(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
            self._send(reply, cut=len(reply.body) // 2 if fault == "truncate" else None)

        def _send(self, reply: Reply, cut: int | None = None) -> None:
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", f"{reply.content_type}; charset=UTF-8")
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers:
                    self.send_header(key, value)
                if cut is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body if cut is None else reply.body[:cut])
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass                                    # the client gave up (timeout test)
            if cut is not None:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            if server.verbose:                          # never print query strings: they may hold api_key
                print(f"{self.command} {urlsplit(self.path).path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    if server.accepts_post:
        Handler.do_POST = Handler._post                 # type: ignore[attr-defined]
    return Handler


def words_match(expression: str, text: str) -> bool:
    """A small stand-in for a search engine's boolean syntax: OR-groups of phrases, ANDed.

    `(a OR "b c") AND d` matches a text holding d and either a or the phrase "b c". Terms ending in
    `*` match as prefixes; field tags like `TITLE:` or `[tiab]` are ignored; NOT is not supported.
    """
    import re

    text = " " + re.sub(r"[^a-z0-9*]+", " ", text.lower()) + " "
    expression = re.sub(r"\b[A-Z_]+:", "", expression)
    expression = re.sub(r"\[[a-z]+\]", "", expression)
    for group in re.split(r"\)\s+AND\s+\(|\s+AND\s+", expression.strip()):
        alternatives = [a.strip(' ()"') for a in re.split(r"\s+OR\s+", group)]
        found = False
        for alt in alternatives:
            phrase = re.sub(r"[^a-z0-9*]+", " ", alt.lower()).strip()
            if not phrase:
                continue
            if phrase.endswith("*"):
                found = (" " + phrase[:-1]) in text
            else:
                found = (" " + phrase + " ") in text
            if found:
                break
        if not found:
            return False
    return True
