"""When a failed request is worth another try, and how long to wait first (exponential backoff)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """`tries` attempts in all; the first retry waits `backoff` seconds, doubling up to `max_backoff`."""

    tries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1)."""
        return min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)

    @staticmethod
    def retryable(status: int) -> bool:
        """Whether an HTTP error status may pass: 429 (too many requests) and 5xx; other 4xx never will."""
        return status == 429 or status >= 500
