"""PubMed through NCBI's E-utilities (einfo, esearch, efetch) on the generic HTTP client.

Requests follow NCBI's rules as Bio.Entrez does (tool, email and api_key with every request; POST
for long parameter lists and for 200 or more ids), built here from public pieces rather than
Biopython's private `_build_request`, because the server is configurable (NCBI_EUTILS_URL; a
stand-in in tests) where Bio.Entrez's URLs are fixed. With an API key every request is POSTed,
so the key never sits in a URL a proxy might log. Replies are parsed by `replies.py`; anything
unusable there is retried like an HTTP 5xx.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pipeline.errors import BadReply
from pipeline.search import clock as clocks
from pipeline.search.client import HttpClient, Request, Transport
from pipeline.search.clock import Clock
from pipeline.search.ratelimit import RateLimiter
from pipeline.search.replies import SearchResult, efetch_pmids, parse_einfo, parse_esearch
from pipeline.search.settings import Settings

HISTORY_CAP = 9_999          # PubMed: esearch and efetch reach only the first 9,999 records of a query
MAX_BATCH = 10_000           # efetch retmax limit
OPEN_MIN, OPEN_MAX = "1000", "3000"   # fill a one-sided date limit: E-utilities ignore mindate without maxdate
POST_PARAMS = 1_000          # URL-encoded parameters longer than this go by POST (E-utilities' advice)
POST_IDS = 200               # so do lists of this many ids or more (NCBI's advice)
T = TypeVar("T")


class EntrezClient:
    """einfo, esearch and efetch against `settings.base_url`, rate-limited and retried.

    `transport` and `clock` are for tests: a stand-in transport, and a clock that never sleeps
    (by default the system clock, `clock.SYSTEM_CLOCK`, looked up when the client is made).
    """

    def __init__(self, settings: Settings, *, transport: Transport | None = None, clock: Clock | None = None):
        self.settings = settings
        clock = clock or clocks.SYSTEM_CLOCK
        self.http = HttpClient(limiter=RateLimiter(settings.min_interval, clock), retry=settings.retry,
                               timeout=settings.timeout, secrets=(settings.api_key,), transport=transport,
                               clock=clock)

    @property
    def requests(self) -> int:
        """Requests sent so far, retries included."""
        return self.http.requests

    def einfo(self, db: str = "pubmed") -> tuple[bytes, dict[str, str]]:
        return self._call("einfo", {"db": db}, parse_einfo)

    def esearch(self, term: str, *, mindate: str | None = None, maxdate: str | None = None,
                datetype: str = "pdat", retmax: int = HISTORY_CAP) -> tuple[bytes, SearchResult]:
        params: dict[str, Any] = {"db": "pubmed", "term": term, "usehistory": "y", "retmax": retmax}
        if mindate or maxdate:
            params.update(mindate=mindate or OPEN_MIN, maxdate=maxdate or OPEN_MAX, datetype=datetype)
        return self._call("esearch", params, parse_esearch)

    def efetch_history(self, webenv: str, query_key: str, retstart: int, retmax: int) -> tuple[bytes, list[str]]:
        """Records retstart.. of a query held on NCBI's history server."""
        params = {"db": "pubmed", "WebEnv": webenv, "query_key": query_key, "retstart": retstart,
                  "retmax": retmax, "rettype": "xml", "retmode": "xml"}
        return self._call("efetch", params, efetch_pmids)

    def efetch_ids(self, pmids: list[str]) -> tuple[bytes, list[str]]:
        """The records of these PMIDs (POSTed when the list is long); nothing else may come back."""
        wanted = set(pmids)

        def parse(data: bytes) -> list[str]:
            got = efetch_pmids(data)
            if not set(got) <= wanted:
                raise BadReply("efetch returned PMIDs that were not asked for")
            return got

        return self._call("efetch", {"db": "pubmed", "id": pmids, "rettype": "xml", "retmode": "xml"}, parse)

    def _call(self, utility: str, params: dict[str, Any], parse: Callable[[bytes], T]) -> tuple[bytes, T]:
        s = self.settings
        request = build_request(f"{s.base_url}{utility}.fcgi", {**params, "tool": s.tool, "email": s.email,
                                                                 "api_key": s.api_key})
        return self.http.call(request, parse, f"{utility} at {s.base_url}")


def build_request(url: str, params: dict[str, Any]) -> Request:
    """An E-utilities request: None values dropped, an id list comma-joined; POST when there is an
    API key, when the parameters are long or when there are `POST_IDS` ids or more, else GET."""
    values = {k: ",".join(map(str, v)) if k == "id" and not isinstance(v, str) else v
              for k, v in params.items() if v is not None}
    ids = str(values.get("id", "")).count(",") + 1 if "id" in values else 0
    probe = Request.form(url, values, post=True)
    post = "api_key" in values or len(probe.data or b"") > POST_PARAMS or ids >= POST_IDS
    return probe if post else Request.form(url, values, post=False)
