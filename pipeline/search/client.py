"""A small HTTP client for remote services: rate-limited, retried with backoff, secrets redacted.

Layered as httpx is: `Request`/`Response` are plain values; a `Transport` sends one request and
returns the response whatever its status (`UrllibTransport` on the standard library, or any
callable a test supplies); `HttpClient` adds the policy on top: space requests (`RateLimiter`),
retry HTTP 429/5xx, timeouts, refused or cut-short connections and unusable 200 replies (a parser
raising `BadReply`) with exponential backoff (`RetryPolicy`; longer when a 429 or 503 says so in
Retry-After, up to the policy's `max_backoff`), all on an injectable `Clock`, and
word every error so that no secret (an API key) is ever in it. Nothing here is specific to one
service: the E-utilities client (`entrez.py`), the ClinicalTrials.gov and Europe PMC clients and
the Crossref check (`pipeline.check.retractions`) all use it.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request as UrllibRequest
from urllib.request import urlopen

from pipeline.errors import BadReply, Refused, ServiceUnavailable
from pipeline.search.clock import SYSTEM_CLOCK, Clock
from pipeline.search.ratelimit import RateLimiter
from pipeline.search.redact import redact
from pipeline.search.retry import RETRY_AFTER_STATUSES, RetryPolicy, retry_after

ERROR_BODY = 300             # bytes of an error reply's body quoted in the message
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One HTTP request: GET with the parameters in the URL, or POST with them as a form."""

    method: str
    url: str
    data: bytes | None = field(default=None, repr=False)   # a POST body may hold an API key

    @classmethod
    def form(cls, url: str, params: Mapping[str, str | int], post: bool) -> Request:
        """`params` URL-encoded, in the query string (GET) or the body (POST)."""
        encoded = urlencode(params)
        return cls("POST", url, encoded.encode("utf-8")) if post else cls("GET", f"{url}?{encoded}")


@dataclass(frozen=True)
class Response:
    """What came back: the status, its reason phrase, the body as received and its Retry-After header."""

    status: int
    reason: str
    body: bytes
    retry_after: str | None = None


class Transport(Protocol):
    """Sends one request; returns the response for any status; raises OSError or
    http.client.HTTPException when there is none (refused, timed out, reset, cut short)."""

    def __call__(self, request: Request, timeout: float) -> Response: ...


class UrllibTransport:
    """The standard library's `urlopen`, with no retries or waiting of its own."""

    def __call__(self, request: Request, timeout: float) -> Response:
        outgoing = UrllibRequest(request.url, data=request.data, method=request.method)
        try:
            with urlopen(outgoing, timeout=timeout) as reply:
                return Response(reply.status, reply.reason, reply.read(), reply.headers.get("Retry-After"))
        except HTTPError as exc:
            asked = exc.headers.get("Retry-After") if exc.headers is not None else None
            return Response(exc.code, str(exc.reason), _error_body(exc), asked)


def _error_body(exc: HTTPError) -> bytes:
    try:
        return exc.read(ERROR_BODY)
    except Exception:       # the error body is only a hint; never let reading it mask the error
        return b""
    finally:
        exc.close()


class HttpClient:
    """Sends requests through `transport`, spaced by `limiter` and retried by `retry`.

    `call` returns the body and what `parse` made of it; it raises `Refused` (a `RemoteError`) when the service
    refuses the request (a 4xx other than 429: retrying cannot help) and `ServiceUnavailable`
    after the last failed try. `requests` counts every request sent, retries included.
    """

    def __init__(self, *, limiter: RateLimiter, retry: RetryPolicy, timeout: float,
                 secrets: Sequence[str | None] = (), transport: Transport | None = None,
                 clock: Clock = SYSTEM_CLOCK):
        self.limiter = limiter
        self.retry = retry
        self.timeout = timeout
        self.secrets = tuple(secrets)
        self.transport: Transport = transport or UrllibTransport()
        self.clock = clock
        self.requests = 0

    def call(self, request: Request, parse: Callable[[bytes], T], label: str) -> tuple[bytes, T]:
        """Send `request` until `parse` accepts a reply; `label` names it in errors ("einfo at <url>")."""
        last = ""
        for attempt in range(1, self.retry.tries + 1):
            asked: float | None = None           # seconds the service asked us to wait (Retry-After)
            self.limiter.wait()
            self.requests += 1
            try:
                response = self.transport(request, self.timeout)
                if 200 <= response.status < 300:
                    return response.body, parse(response.body)
                if not self.retry.retryable(response.status):
                    hint = response.body[:ERROR_BODY].decode("utf-8", "replace").strip()
                    raise Refused(self.redact(f"{label} refused the request: HTTP {response.status} "
                                              f"{response.reason} {hint}").strip(), response.status,
                                  self.redact(hint).encode("utf-8"))
                last = f"HTTP {response.status} {response.reason}"
                if response.status in RETRY_AFTER_STATUSES:
                    asked = retry_after(response.retry_after)
            except BadReply as exc:
                last = str(exc)
            except (OSError, http.client.HTTPException) as exc:   # refused, DNS, timeout, reset, cut short
                last = describe(exc)
            if attempt < self.retry.tries:
                self.clock.sleep(self.retry.delay(attempt, asked))
        raise ServiceUnavailable(self.redact(f"{label} failed {self.retry.tries} times; last: {last}"))

    def redact(self, text: str) -> str:
        """`text` with this client's secrets replaced by '***'."""
        return redact(text, *self.secrets)


def describe(exc: BaseException) -> str:
    """A short cause for a failed request: 'timed out', 'reply cut short (N bytes received)', ..."""
    reason = getattr(exc, "reason", None)
    if isinstance(exc, http.client.IncompleteRead):
        return f"reply cut short ({len(exc.partial)} bytes received)"
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"
