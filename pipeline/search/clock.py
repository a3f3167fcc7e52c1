"""Time as the HTTP layer sees it: a monotonic clock and a sleep, injectable so tests never wait."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """What the rate limiter and the retry loop need of time."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock: `time.monotonic` and `time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()
