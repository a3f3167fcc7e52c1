"""The JSON services besides PubMed: where they are, how politely we ask, and who we say we are.

ClinicalTrials.gov (API v2), Europe PMC (REST) and Crossref (REST) need no key. Each has a base
URL from the environment (`CTGOV_API_URL`, `EUROPEPMC_API_URL`, `CROSSREF_API_URL`, stored
without credentials or query), a polite pace (a request at most every `limit` seconds; faster only
against a stand-in on this machine) and the shared retry policy. Crossref asks polite clients for
a contact address (`mailto`), taken from `CONTACT_EMAIL` or else `NCBI_EMAIL`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import UserError
from pipeline.search.client import HttpClient, Transport
from pipeline.search.clock import SYSTEM_CLOCK, Clock
from pipeline.search.ratelimit import RateLimiter, min_interval
from pipeline.search.redact import public_url
from pipeline.search.retry import RetryPolicy


@dataclass(frozen=True)
class Service:
    """One service: its name, the environment variable of its base URL, its default and its pace."""

    name: str
    env: str
    default_url: str
    limit: float                # seconds between requests, at least


CTGOV = Service("ClinicalTrials.gov", "CTGOV_API_URL", "https://clinicaltrials.gov/api/v2/", 1.2)   # ~50/minute
EUROPEPMC = Service("Europe PMC", "EUROPEPMC_API_URL", "https://www.ebi.ac.uk/europepmc/webservices/rest/", 0.2)
CROSSREF = Service("Crossref", "CROSSREF_API_URL", "https://api.crossref.org/", 0.2)


@dataclass(frozen=True)
class ServiceSettings:
    """How to reach one service and how patiently to ask it."""

    service: Service
    base_url: str
    mailto: str | None = None    # Crossref's polite pool; never required by the other two
    timeout: float = 60.0
    tries: int = 5
    backoff: float = 1.0
    max_backoff: float = 60.0
    interval: float | None = None  # seconds between requests; below the service's pace only for 127.0.0.1

    @classmethod
    def from_env(cls, service: Service, environ: Mapping[str, str] = os.environ, **options: Any) -> ServiceSettings:
        """The base URL from `service.env` (default `service.default_url`); mailto from CONTACT_EMAIL or NCBI_EMAIL."""
        base = environ.get(service.env, "").strip() or service.default_url
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"{service.env} must be an http(s) URL, not {public_url(base)!r}")
        mailto = (environ.get("CONTACT_EMAIL", "").strip() or environ.get("NCBI_EMAIL", "").strip()) or None
        if mailto is not None and "@" not in mailto:
            raise UserError(f"CONTACT_EMAIL / NCBI_EMAIL is not an e-mail address: {mailto!r}")
        return cls(service=service, base_url=public_url(base), mailto=mailto, **options)

    @property
    def min_interval(self) -> float:
        return min_interval(self.service.limit, self.interval, self.base_url)

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.tries, self.backoff, self.max_backoff)

    def client(self, transport: Transport | None = None, clock: Clock = SYSTEM_CLOCK) -> HttpClient:
        """An HTTP client paced and retried for this service."""
        return HttpClient(limiter=RateLimiter(self.min_interval, clock), retry=self.retry, timeout=self.timeout,
                          transport=transport, clock=clock)
