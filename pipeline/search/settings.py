"""Who we are to NCBI and how patiently we ask: E-utilities settings from the environment.

The API key is read from NCBI_API_KEY only and never shown (`repr=False`); the client redacts it
from every message it makes (`redact.py`). The base URL is stored without credentials or query.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import UsageError, UserError
from pipeline.search.ratelimit import min_interval
from pipeline.search.redact import public_url
from pipeline.search.retry import RetryPolicy
from pipeline.textio import printable

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "review-pipeline"
NCBI_INTERVAL = 0.37         # seconds between requests without a key (< 3/s, as Bio.Entrez does)
NCBI_INTERVAL_KEY = 0.11     # with NCBI_API_KEY (< 10/s)


@dataclass(frozen=True)
class Settings:
    """E-utilities identity (email, tool, optional API key), server and patience."""

    email: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_EUTILS_URL
    tool: str = TOOL
    timeout: float = 60.0        # seconds per connection attempt and per read
    tries: int = 5
    backoff: float = 1.0         # wait before the first retry; doubles each time
    max_backoff: float = 60.0
    interval: float | None = None  # seconds between requests; honoured below NCBI's limit only for 127.0.0.1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **options: Any) -> Settings:
        """NCBI_EMAIL (required), NCBI_API_KEY (optional), NCBI_EUTILS_URL (optional) from the environment."""
        email = environ.get("NCBI_EMAIL", "").strip()
        if not email or "@" not in email:
            raise UserError(
                "NCBI_EMAIL is not set to an e-mail address: NCBI asks every E-utilities user for one "
                "(export NCBI_EMAIL=you@example.org; NCBI_API_KEY is optional and allows 10 requests/second)")
        base = environ.get("NCBI_EUTILS_URL", "").strip() or DEFAULT_EUTILS_URL
        try:
            parts = urlsplit(base)
            parts.port           # noqa: B018  (raises ValueError for a port that is not a number 0-65535)
            public = public_url(base)
        except ValueError as exc:
            raise UserError(f"NCBI_EUTILS_URL is not a valid URL ({exc}): {printable(base)[:80]!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"NCBI_EUTILS_URL must be an http(s) URL, not {printable(public)[:80]!r}")
        return cls(email=email, api_key=environ.get("NCBI_API_KEY", "").strip() or None,
                   base_url=public, **options)

    def __post_init__(self) -> None:
        """Patience settings come from command-line options: a bad one is a usage error naming the option."""
        for option, value in (("--timeout", self.timeout), ("--backoff", self.backoff),
                              ("--max-backoff", self.max_backoff)):
            positive = option == "--timeout"
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0 or (positive and value == 0):
                raise UsageError(f"{option} must be a {'positive' if positive else 'non-negative'} number of "
                                 f"seconds, not {value!r}")
        if not isinstance(self.tries, int) or self.tries < 1:
            raise UsageError(f"--tries must be at least 1, not {self.tries!r}")
        if self.interval is not None and (not math.isfinite(self.interval) or self.interval < 0):
            raise UsageError(f"the request interval must be a non-negative number of seconds, not {self.interval!r}")

    @property
    def min_interval(self) -> float:
        """Seconds between two requests: NCBI's limit, unless a test drives a local stand-in faster."""
        return min_interval(NCBI_INTERVAL_KEY if self.api_key else NCBI_INTERVAL, self.interval, self.base_url)

    @property
    def retry(self) -> RetryPolicy:
        """How often and how patiently a failed request is tried again."""
        return RetryPolicy(self.tries, self.backoff, self.max_backoff)
