"""When a failed request is worth another try, and how long to wait first (exponential backoff,
or longer when the service says so in a Retry-After header)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRY_AFTER_STATUSES = (429, 503)     # the replies whose Retry-After header is honoured (RFC 6585, RFC 9110)


@dataclass(frozen=True)
class RetryPolicy:
    """`tries` attempts in all; the first retry waits `backoff` seconds, doubling up to `max_backoff`."""

    tries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1): the backoff, or the `asked`
        seconds of a Retry-After when longer; never more than `max_backoff`, whatever a service asks."""
        return min(max(self.backoff * 2.0 ** (attempt - 1), asked or 0.0), self.max_backoff)

    @staticmethod
    def retryable(status: int) -> bool:
        """Whether an HTTP error status may pass: 429 (too many requests) and 5xx; other 4xx never will."""
        return status == 429 or status >= 500


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delay-seconds, or an HTTP-date from `now`); None when
    absent or unreadable, 0 for a date already past."""
    text = (value or "").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())
