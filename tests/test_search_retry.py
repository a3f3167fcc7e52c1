"""How long a failed request waits before the next try: the backoff, or what Retry-After asks, capped."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.search.retry import RetryPolicy, retry_after

NOW = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 0 ", 0.0),
    ("Tue, 01 Dec 2026 12:01:30 GMT", 90.0),       # an HTTP-date: seconds from now
    ("Tue, 01 Dec 2026 11:00:00 GMT", 0.0),        # already past: no wait asked
    (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None),
])
def test_retry_after_reads_delay_seconds_and_http_dates(header, seconds):
    assert retry_after(header, NOW) == seconds


def test_the_wait_is_the_longer_of_backoff_and_what_was_asked_never_past_max_backoff():
    policy = RetryPolicy(tries=5, backoff=1.0, max_backoff=30.0)
    assert [policy.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert [policy.delay(n, asked=3.0) for n in (1, 2, 3)] == [3.0, 3.0, 4.0]
    assert policy.delay(1, asked=3600.0) == 30.0
