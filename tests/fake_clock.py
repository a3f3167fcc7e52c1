"""A clock for the search tests that never sleeps, and a transport that notes when each request left."""

from __future__ import annotations

from pipeline.search.client import Request, Response, Transport, UrllibTransport


class FakeClock:
    """Time stands still until someone sleeps; every sleep is recorded and moves time on at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Timed:
    """A transport that records the clock's time as each request is sent (by default over real HTTP)."""

    def __init__(self, clock: FakeClock, inner: Transport | None = None) -> None:
        self.clock = clock
        self.inner = inner or UrllibTransport()
        self.times: list[float] = []
        self.sent: list[Request] = []

    def __call__(self, request: Request, timeout: float) -> Response:
        self.times.append(self.clock.monotonic())
        self.sent.append(request)
        return self.inner(request, timeout)
