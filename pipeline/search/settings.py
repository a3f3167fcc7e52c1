"""Who we are to NCBI and how patiently we ask: E-utilities settings from the environment.

The API key is read from NCBI_API_KEY only and never shown (`repr=False`); the client redacts it
from every message it makes (`redact.py`). The base URL is stored without credentials or query.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import UserError
from pipeline.search.ratelimit import min_interval
from pipeline.search.redact import public_url
from pipeline.search.retry import RetryPolicy

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
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"NCBI_EUTILS_URL must be an http(s) URL, not {public_url(base)!r}")
        return cls(email=email, api_key=environ.get("NCBI_API_KEY", "").strip() or None,
                   base_url=public_url(base), **options)

    @property
    def min_interval(self) -> float:
        """Seconds between two requests: NCBI's limit, unless a test drives a local stand-in faster."""
        return min_interval(NCBI_INTERVAL_KEY if self.api_key else NCBI_INTERVAL, self.interval, self.base_url)

    @property
    def retry(self) -> RetryPolicy:
        """How often and how patiently a failed request is tried again."""
        return RetryPolicy(self.tries, self.backoff, self.max_backoff)
