"""Requests spaced at least `interval` seconds apart, across threads, on an injectable clock."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from pipeline.search.clock import SYSTEM_CLOCK, Clock

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def min_interval(limit: float, requested: float | None, url: str) -> float:
    """Seconds between requests: the service's `limit`, or `requested` when slower; faster only
    for a server on this machine (a stand-in in tests), never for the real service."""
    if requested is not None and urlsplit(url).hostname in LOOPBACK:
        return requested
    return max(limit, requested or 0.0)


class RateLimiter:
    """Spaces calls of `wait` at least `interval` seconds apart, across threads."""

    def __init__(self, interval: float, clock: Clock = SYSTEM_CLOCK):
        self.interval = interval
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next request may go out (at once for the first)."""
        with self._lock:
            now = self.clock.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self.clock.sleep(start - now)
