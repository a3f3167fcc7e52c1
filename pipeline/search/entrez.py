"""PubMed through NCBI's E-utilities, on Biopython's Bio.Entrez, made safe for an unattended search.

Bio.Entrez builds the requests (`_build_request`: tool, email, api_key, POST for long id lists) and
parses esearch/einfo replies (`Entrez.read`, against the DTDs it ships). What it does not do, we
do here: its URLs are hard-coded (we send requests to NCBI_EUTILS_URL), and its `_open` retries
5xx replies at once and never a truncated or malformed body or a 200 reply holding an <ERROR>
document. So `EntrezClient` opens requests itself: at most 3 per second (10 with an API key),
retries with exponential backoff on HTTP 429/5xx, timeouts, refused connections, truncated or
malformed XML and <ERROR> documents, and redacts the API key from every message it makes.

`search()` runs one query: esearch with usehistory=y, splitting the date range while a slice holds
more than PubMed's 9,999 reachable records, then efetch in batches by WebEnv/query_key (by PMID
list where slices overlap or a run resumes), storing each PMID once.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.error import HTTPError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

from Bio import Entrez
from lxml import etree

from pipeline.errors import InputError, PipelineError

if TYPE_CHECKING:
    from pipeline.search.snapshot import Partial

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "review-pipeline"
HISTORY_CAP = 9_999          # PubMed: esearch and efetch reach only the first 9,999 records of a query
MAX_BATCH = 10_000           # efetch retmax limit
DEFAULT_BATCH = 500
OPEN_MIN, OPEN_MAX = "1000", "3000"   # fill a one-sided date limit: E-utilities ignore mindate without maxdate
NCBI_INTERVAL = 0.37         # seconds between requests without a key (< 3/s, as Bio.Entrez does)
NCBI_INTERVAL_KEY = 0.11     # with NCBI_API_KEY (< 10/s)
DATE_RE = re.compile(r"^\d{4}(/\d{1,2}(/\d{1,2})?)?$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
T = TypeVar("T")


class EutilsUnavailable(PipelineError):
    """NCBI could not be reached or kept answering badly after every retry."""


class BadReply(Exception):
    """A 200 reply we cannot use (truncated, malformed, an <ERROR> document); worth retrying."""


# --- settings and rate limit ---------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """Who we are to NCBI and how patiently we ask. The API key is never shown (repr=False)."""

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
            raise PipelineError(
                "NCBI_EMAIL is not set to an e-mail address: NCBI asks every E-utilities user for one "
                "(export NCBI_EMAIL=you@example.org; NCBI_API_KEY is optional and allows 10 requests/second)")
        base = environ.get("NCBI_EUTILS_URL", "").strip() or DEFAULT_EUTILS_URL
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PipelineError(f"NCBI_EUTILS_URL must be an http(s) URL, not {public_url(base)!r}")
        return cls(email=email, api_key=environ.get("NCBI_API_KEY", "").strip() or None,
                   base_url=public_url(base), **options)

    @property
    def min_interval(self) -> float:
        """Seconds between two requests: NCBI's limit, unless a test drives a local stand-in faster."""
        limit = NCBI_INTERVAL_KEY if self.api_key else NCBI_INTERVAL
        if self.interval is not None and urlsplit(self.base_url).hostname in LOOPBACK:
            return self.interval
        return max(limit, self.interval or 0.0)

    def redact(self, text: str) -> str:
        """`text` with the API key replaced by '***'."""
        return text.replace(self.api_key, "***") if self.api_key else text


def public_url(url: str) -> str:
    """`url` without query, fragment or user info (so no key or password is ever logged), ending in '/'."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


class RateLimiter:
    """Spaces calls at least `interval` seconds apart, across threads."""

    def __init__(self, interval: float):
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


# --- replies -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchResult:
    """What esearch says about a query (within one date range)."""

    count: int
    ids: list[str]
    translation: str
    webenv: str | None = None
    query_key: str | None = None
    warnings: tuple[str, ...] = ()


def parse_esearch(data: bytes) -> SearchResult:
    """An esearch reply, read by Bio.Entrez; PubMed's ErrorList/WarningList become warnings."""
    record = _entrez_read(data)
    if "Count" not in record:
        raise BadReply("esearch reply has no <Count>")
    warnings = []
    for group in ("ErrorList", "WarningList"):
        for kind, values in (record.get(group) or {}).items():
            warnings += [f"{kind}: {v}" for v in values]
    return SearchResult(
        count=int(record["Count"]), ids=[str(i) for i in record.get("IdList", [])],
        translation=str(record.get("QueryTranslation", "")),
        webenv=record.get("WebEnv"), query_key=record.get("QueryKey"), warnings=tuple(warnings),
    )


def parse_einfo(data: bytes) -> dict[str, str]:
    """Build, record count and last update of a database, from an einfo reply with db=..."""
    record = _entrez_read(data)
    info = record.get("DbInfo")
    if isinstance(info, list):
        info = info[0] if info else None
    if not info:
        raise BadReply("einfo reply has no <DbInfo>")
    return {"build": str(info.get("DbBuild", "")), "count": str(info.get("Count", "")),
            "last_update": str(info.get("LastUpdate", ""))}


def efetch_pmids(data: bytes) -> list[str]:
    """PMIDs of the articles in a PubMed efetch XML reply (PubmedArticle and PubmedBookArticle)."""
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BadReply(f"efetch reply is not well-formed XML ({exc})") from None
    if root.tag != "PubmedArticleSet":
        error = root.findtext("ERROR")
        if error is not None and error.startswith("Empty result"):
            return []                              # NCBI's answer when none of the ids exists any more
        raise BadReply(f"<ERROR> document: {error}" if error is not None else f"efetch reply is <{root.tag}>")
    pmids = []
    for article in root:
        if article.tag in ("PubmedArticle", "PubmedBookArticle"):
            pmid = article.findtext("MedlineCitation/PMID") or article.findtext("BookDocument/PMID")
            if not pmid:
                raise BadReply("efetch reply has an article without a PMID")
            pmids.append(pmid.strip())
    return pmids


def _entrez_read(data: bytes) -> Any:
    try:
        return Entrez.read(io.BytesIO(data))
    except RuntimeError as exc:                    # Bio.Entrez raises this for an <ERROR> element
        raise BadReply(f"<ERROR> document: {exc}") from None
    except ValueError as exc:                      # NotXMLError, CorruptedXMLError, ValidationError, no DTD
        raise BadReply(f"reply is not usable XML ({exc})") from None


# --- the client ----------------------------------------------------------------------------------

class EntrezClient:
    """einfo, esearch and efetch against `settings.base_url`, rate-limited and retried."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limiter = RateLimiter(settings.min_interval)
        self.requests = 0

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
        params = {**params, "tool": s.tool, "email": s.email, "api_key": s.api_key}
        # POST whenever there is a key, so it never sits in a URL that a proxy might log.
        post = True if s.api_key else None
        last = ""
        for attempt in range(1, s.tries + 1):
            self.limiter.wait()
            self.requests += 1
            try:
                request = Entrez._build_request(f"{s.base_url}{utility}.fcgi", dict(params), post=post)
                with urlopen(request, timeout=s.timeout) as response:
                    data = response.read()
                return data, parse(data)
            except HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise PipelineError(s.redact(f"{utility} at {s.base_url} refused the request: "
                                                 f"HTTP {exc.code} {exc.reason} {_safe_body(exc)}").strip()) from None
                exc.close()
                last = f"HTTP {exc.code} {exc.reason}"
            except BadReply as exc:
                last = str(exc)
            except (OSError, http.client.HTTPException) as exc:   # refused, DNS, timeout, reset, cut short
                last = _describe(exc)
            if attempt < s.tries:
                time.sleep(min(s.backoff * 2 ** (attempt - 1), s.max_backoff))
        raise EutilsUnavailable(s.redact(f"{utility} at {s.base_url} failed {s.tries} times; last: {last}"))


def _safe_body(exc: HTTPError) -> str:
    try:
        return exc.read(300).decode("utf-8", "replace").strip()
    except Exception:       # the error body is only a hint; never let reading it mask the error
        return ""
    finally:
        exc.close()


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(exc, http.client.IncompleteRead):
        return f"reply cut short ({len(exc.partial)} bytes received)"
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {reason if reason is not None else exc}"


# --- one search, sliced and batched --------------------------------------------------------------

@dataclass(frozen=True)
class Slice:
    """One esearch whose result is reachable in full (at most HISTORY_CAP records)."""

    mindate: str | None
    maxdate: str | None
    result: SearchResult
    esearch_file: str


def check_dates(source: str, mindate: str | None, maxdate: str | None) -> None:
    """Raise InputError unless the date limits are YYYY, YYYY/MM or YYYY/MM/DD, in order."""
    for name, value in (("mindate", mindate), ("maxdate", maxdate)):
        if value is not None and not DATE_RE.match(value):
            raise InputError.one(f"source {source!r}", f"{name} must be YYYY, YYYY/MM or YYYY/MM/DD, not {value!r}")
        if value is not None:
            try:
                period(value, end=False)
            except ValueError as exc:
                raise InputError.one(f"source {source!r}", f"{name} {value!r} is not a date ({exc})") from None
    if mindate and maxdate and period(mindate, end=False) > period(maxdate, end=True):
        raise InputError.one(f"source {source!r}", f"mindate {mindate} is after maxdate {maxdate}")


def period(text: str, end: bool) -> dt.date:
    """First (or with `end`, last) day of an E-utilities date: YYYY, YYYY/MM or YYYY/MM/DD."""
    parts = [int(x) for x in text.split("/")]
    year, month, day = (parts + [0, 0])[:3]
    if not month:
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    if not day:
        first = dt.date(year, month, 1)
        return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)) if end else first
    return dt.date(year, month, day)


def split_range(lo: dt.date, hi: dt.date, today: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """Halve [lo, hi]; an open end far in the future ('3000') is cut near today first, where records are."""
    horizon = today + dt.timedelta(days=730)
    end = min(hi, horizon) if lo < horizon else hi
    mid = lo + (end - lo) // 2
    return (lo, mid), (mid + dt.timedelta(days=1), hi)


def fmt(day: dt.date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def plan(client: EntrezClient, term: str, mindate: str | None, maxdate: str | None, datetype: str,
         save: Callable[[bytes], str], today: dt.date, note: Callable[[str], None] = lambda _: None,
         ) -> tuple[SearchResult, list[Slice]]:
    """The query's esearch result and the date slices that together reach all of it."""
    data, top = client.esearch(term, mindate=mindate, maxdate=maxdate, datetype=datetype)
    top_file = save(data)
    if top.count <= HISTORY_CAP:
        return top, [Slice(mindate, maxdate, top, top_file)]
    note(f"{top.count:,} records is more than PubMed's {HISTORY_CAP:,} per query: splitting by {datetype} date")
    slices: list[Slice] = []
    pending = [(period(mindate or OPEN_MIN, end=False), period(maxdate or OPEN_MAX, end=True))]
    while pending:
        lo, hi = pending.pop(0)
        if lo == hi:
            raise PipelineError(f"more than {HISTORY_CAP:,} records have {datetype} {fmt(lo)}; "
                                "PubMed cannot return them all: narrow the query")
        halves = []
        for a, b in split_range(lo, hi, today):
            data, result = client.esearch(term, mindate=fmt(a), maxdate=fmt(b), datetype=datetype)
            name = save(data)
            if result.count > HISTORY_CAP:
                halves.append((a, b))
            elif result.count:
                slices.append(Slice(fmt(a), fmt(b), result, name))
        pending = halves + pending
    slices.sort(key=lambda s: s.mindate or "")
    note(f"{len(slices)} date slices of at most {HISTORY_CAP:,} records")
    return top, slices


def fetch(client: EntrezClient, slices: list[Slice], partial: Partial, batch_size: int,
          report: Callable[[int, int], None] = lambda done, total: None) -> list[str]:
    """efetch every PMID of every slice not yet in `partial`, in batches; return PMIDs never returned."""
    wanted = list(dict.fromkeys(p for s in slices for p in s.result.ids))
    wanted_set = set(wanted)
    stored = set(partial.pmids)
    report(len(stored & wanted_set), len(wanted))
    for s in slices:
        ids = s.result.ids
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            todo = [p for p in dict.fromkeys(chunk) if p not in stored]
            if not todo:
                continue
            data: bytes | None = None
            if len(todo) == len(chunk) and s.result.webenv and s.result.query_key:
                data, got = client.efetch_history(s.result.webenv, s.result.query_key, start, len(chunk))
                mode = "history"
                if set(got) != set(chunk):        # the result set moved since esearch: ask by PMID instead
                    data = None
            if data is None:
                data, got = client.efetch_ids(todo)
                mode = "pmid"
            partial.add_batch(data, got, {"mode": mode, "mindate": s.mindate, "maxdate": s.maxdate,
                                          "retstart": start if mode == "history" else None})
            stored.update(got)
            report(len(stored & wanted_set), len(wanted))
    return [p for p in wanted if p not in stored]
