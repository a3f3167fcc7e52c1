"""A stand-in for NCBI's E-utilities (esearch, efetch, einfo) on 127.0.0.1, for tests and demos.

It is a real HTTP server, so the search stage is exercised through its real network code. It holds
the hand-written records in tests/fixtures/eutils/articles.xml plus any number of generated ones
spread over publication dates (to exercise PubMed's 10,000-record cap and date slicing), keeps a
history server (WebEnv/query_key), records every request (time and parameters), and injects faults
on demand: HTTP 429/500/503, a delay past the client's timeout, a truncated body, malformed XML and
an <ERROR> document in a 200 reply. `deleted` PMIDs stand for citations NLM deleted after they were
indexed: they are still found and served, and every efetch reply ends with a DeleteCitation listing
them (as NLM's update files carry the day's deletions).

In tests:   with EutilsServer(count=1200) as server: ... server.url ... server.requests
By hand:    python tests/eutils_server.py --port 8765 --count 1200 [--fault efetch:503:2]
            NCBI_EMAIL=a@b.c NCBI_EUTILS_URL=http://127.0.0.1:8765/ python -m pipeline search
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lxml import etree

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "eutils" / "articles.xml"
HISTORY_CAP = 9_999        # PubMed: esearch/efetch cannot reach past the first 9,999 records of a query
FAULTS = ("400", "429", "500", "503", "delay", "truncate", "malformed", "error")
ESEARCH_DOCTYPE = ('<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
                   '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">')
EINFO_DOCTYPE = ('<!DOCTYPE eInfoResult PUBLIC "-//NLM//DTD einfo 20190110//EN" '
                 '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd">')
PUBMED_DOCTYPE = ('<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
                  '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">')
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Article:
    """One stand-in record: its PMID, publication date and how precise that date is."""

    pmid: str
    published: dt.date
    year_only: bool = False      # a year-only date matches any date range touching that year
    xml: bytes | None = None     # hand-written XML, else generated on demand

    def in_range(self, lo: dt.date, hi: dt.date) -> bool:
        if self.year_only:
            return lo <= dt.date(self.published.year, 12, 31) and hi >= dt.date(self.published.year, 1, 1)
        return lo <= self.published <= hi


@dataclass(frozen=True)
class Hit:
    """One request as the server saw it."""

    time: float                  # time.monotonic() on arrival
    method: str
    utility: str                 # "esearch", "efetch", "einfo", ...
    params: dict[str, str]
    fault: str | None


@dataclass
class Dataset:
    """The records the server searches: fixtures plus `count` generated ones (PMIDs 80000001..)."""

    count: int = 0
    first_year: int = 1990
    last_year: int = 2024
    with_fixtures: bool = True
    year_only_every: int = 7
    articles: list[Article] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.articles = (fixture_articles() if self.with_fixtures else []) + generated_articles(
            self.count, self.first_year, self.last_year, self.year_only_every)
        self.articles.sort(key=lambda a: (a.published, int(a.pmid)), reverse=True)  # PubMed: most recent first
        self.by_pmid = {a.pmid: a for a in self.articles}


def fixture_articles(path: Path = FIXTURE) -> list[Article]:
    """The hand-written records, with their PubDate (year-only when month is missing)."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, load_dtd=False)).getroot()
    out = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        pmid = node.findtext(".//PMID")
        pub = node.find(".//PubDate")
        year = int(pub.findtext("Year"))
        month_text = pub.findtext("Month")
        month = MONTHS.index(month_text) + 1 if month_text in MONTHS else int(month_text or 1)
        day = int(pub.findtext("Day") or 1)
        out.append(Article(pmid, dt.date(year, month, day), year_only=month_text is None,
                           xml=etree.tostring(node, encoding="utf-8")))
    return out


def generated_articles(count: int, first_year: int, last_year: int, year_only_every: int = 7) -> list[Article]:
    """`count` records spread evenly over the years; every `year_only_every`-th has a year-only date."""
    start = dt.date(first_year, 1, 1)
    span = (dt.date(last_year, 12, 31) - start).days
    return [Article(str(80_000_001 + i), start + dt.timedelta(days=(i * span) // max(count, 1)),
                    year_only=bool(year_only_every) and i % year_only_every == year_only_every // 2)
            for i in range(count)]


def article_xml(article: Article) -> bytes:
    """PubMed XML for one record (valid against pubmed_250101.dtd)."""
    if article.xml is not None:
        return article.xml
    p, d = article.pmid, article.published
    date = f"<Year>{d.year}</Year>" if article.year_only else (
        f"<Year>{d.year}</Year><Month>{MONTHS[d.month - 1]}</Month><Day>{d.day:02d}</Day>")
    doi = f"10.5555/generated.{p}"
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{p}</PMID>'
        f'<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><Volume>{d.year - 1980}</Volume>'
        f'<Issue>{d.month}</Issue><PubDate>{date}</PubDate></JournalIssue><Title>Generated Journal of Cell Therapy</Title>'
        f'<ISOAbbreviation>Gen J Cell Ther</ISOAbbreviation></Journal>'
        f'<ArticleTitle>Generated record {p}: mesenchymal stromal cells in multiple sclerosis ({d.isoformat()}).</ArticleTitle>'
        f'<Pagination><MedlinePgn>{int(p) % 900 + 1}-{int(p) % 900 + 9}</MedlinePgn></Pagination>'
        f'<ELocationID EIdType="doi" ValidYN="Y">{doi}</ELocationID>'
        f'<Abstract><AbstractText>Generated abstract for record {p}.</AbstractText></Abstract>'
        f'<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Author{int(p) % 97}</LastName><ForeName>Test</ForeName>'
        f'<Initials>T</Initials></Author></AuthorList><Language>eng</Language><PublicationTypeList>'
        f'<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList></Article>'
        f'<MedlineJournalInfo><MedlineTA>Gen J Cell Ther</MedlineTA></MedlineJournalInfo></MedlineCitation>'
        f'<PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>'
        f'<ArticleId IdType="pubmed">{p}</ArticleId><ArticleId IdType="doi">{doi}</ArticleId></ArticleIdList>'
        f'</PubmedData></PubmedArticle>'
    ).encode()


def parse_date(text: str, end: bool) -> dt.date:
    """E-utilities dates: YYYY, YYYY/MM or YYYY/MM/DD; `end` gives the last day of the period."""
    parts = [int(x) for x in re.split(r"[/-]", text.strip())]
    year, month, day = (parts + [None, None])[:3]
    if month is None:
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    if day is None:
        if not end:
            return dt.date(year, month, 1)
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return dt.date(year, month, day)


class EutilsServer:
    """The stand-in server; a context manager that serves on a free port in a background thread."""

    def __init__(self, count: int = 0, *, port: int = 0, first_year: int = 1990, last_year: int = 2024,
                 with_fixtures: bool = True, year_only_every: int = 7, phrases_not_found: tuple[str, ...] = (),
                 delay: float = 1.0, deleted: tuple[str, ...] = ()):
        self.data = Dataset(count, first_year, last_year, with_fixtures, year_only_every)
        self.deleted = deleted
        self.phrases_not_found = phrases_not_found
        self.delay = delay                      # seconds a "delay" fault waits before answering
        self.verbose = False                    # print one line per request (paths only, never parameters)
        self.requests: list[Hit] = []
        self.history: dict[str, list[list[str]]] = {}
        self.faults: dict[str, deque[str | None]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL to use as NCBI_EUTILS_URL."""
        return f"http://127.0.0.1:{self.port}/"

    def inject(self, fault: str, utility: str = "efetch", times: int = 1, after: int = 0) -> None:
        """Make `times` requests to `utility` fail with `fault` (one of FAULTS), after `after` good ones."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {', '.join(FAULTS)}")
        with self._lock:
            self.faults.setdefault(utility, deque()).extend([None] * after + [fault] * times)

    def hits(self, utility: str | None = None) -> list[Hit]:
        """Requests seen so far, optionally only those to one utility."""
        with self._lock:
            return [h for h in self.requests if utility is None or h.utility == utility]

    def start(self) -> EutilsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command-line use)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> EutilsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the E-utilities -------------------------------------------------------------------------

    def _record(self, method: str, utility: str, params: dict[str, str]) -> str | None:
        with self._lock:
            queue = self.faults.get(utility)
            fault = queue.popleft() if queue else None
            self.requests.append(Hit(time.monotonic(), method, utility, params, fault))
        return fault

    def esearch(self, params: dict[str, str]) -> bytes:
        term = " ".join(params.get("term", "").split())
        matches = self._match(params)
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart > HISTORY_CAP - 1:
            return _error("eSearchResult", f"Search Backend failed: Exception:\n'retstart' cannot be larger than "
                                           f"{HISTORY_CAP - 1}. For PubMed, ESearch can only retrieve the first "
                                           f"{HISTORY_CAP:,} records matching the query.")
        ids = [a.pmid for a in matches][retstart:min(retstart + retmax, HISTORY_CAP)]
        history = ""
        if params.get("usehistory", "").lower() == "y":
            webenv = params.get("WebEnv") or f"MCID_{uuid.uuid4().hex[:24]}"
            with self._lock:
                keys = self.history.setdefault(webenv, [])
                keys.append([a.pmid for a in matches])
                history = f"<QueryKey>{len(keys)}</QueryKey><WebEnv>{webenv}</WebEnv>"
        translation = html.escape(term)
        if params.get("mindate") or params.get("maxdate"):
            field_name = {"pdat": "Date - Publication", "edat": "Date - Entry", "mdat": "Date - Modification"}.get(
                params.get("datetype", "pdat"), "Date - Publication")
            translation = f"({translation}) AND {params.get('mindate', '1000')}:{params.get('maxdate', '3000')}[{field_name}]"
        not_found = [p for p in self.phrases_not_found if p.lower() in term.lower()]
        errors = ""
        if not_found:
            errors = ("<ErrorList>" + "".join(f"<PhraseNotFound>{html.escape(p)}</PhraseNotFound>" for p in not_found)
                      + "</ErrorList>")
        body = (f"<eSearchResult><Count>{len(matches)}</Count><RetMax>{len(ids)}</RetMax><RetStart>{retstart}</RetStart>"
                f"{history}<IdList>\n" + "".join(f"<Id>{i}</Id>\n" for i in ids)
                + f"</IdList><TranslationSet/><QueryTranslation>{translation}</QueryTranslation>{errors}</eSearchResult>")
        return _document(ESEARCH_DOCTYPE, body)

    def _match(self, params: dict[str, str]) -> list[Article]:
        lo_text, hi_text = params.get("mindate"), params.get("maxdate")
        if not (lo_text or hi_text):
            return list(self.data.articles)
        lo = parse_date(lo_text or "1000", end=False)
        hi = parse_date(hi_text or "3000", end=True)
        return [a for a in self.data.articles if a.in_range(lo, hi)]

    def efetch(self, params: dict[str, str]) -> tuple[int, bytes]:
        if params.get("db", "").lower() != "pubmed":
            return 400, _error("eFetchResult", "stand-in server only serves db=pubmed")
        if params.get("rettype", "xml") not in ("xml", "") or params.get("retmode", "xml") != "xml":
            return 400, _error("eFetchResult", "stand-in server only serves PubMed XML")
        if "id" in params:
            pmids = [p.strip() for p in params["id"].split(",") if p.strip()]
        else:
            with self._lock:
                keys = self.history.get(params.get("WebEnv", ""), [])
                qk = int(params.get("query_key", 0) or 0)
                found = keys[qk - 1] if 0 < qk <= len(keys) else None
            if found is None:
                return 200, _error("eFetchResult", f"Unable to obtain query #{params.get('query_key')}")
            retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            if retmax > 10_000:
                return 200, _error("eFetchResult", "retmax cannot be larger than 10000")
            if retstart > HISTORY_CAP - 1:
                return 200, _error("eFetchResult", f"'retstart' cannot be larger than {HISTORY_CAP - 1}")
            pmids = found[retstart:min(retstart + retmax, HISTORY_CAP)]
        articles = [self.data.by_pmid[p] for p in pmids if p in self.data.by_pmid]
        if not articles:
            return 200, _error("eFetchResult", "Empty result - nothing to do")
        deletions = ("\n<DeleteCitation>" + "".join(f'<PMID Version="1">{p}</PMID>' for p in self.deleted)
                     + "</DeleteCitation>") if self.deleted else ""
        body = ("<PubmedArticleSet>\n" + "\n".join(article_xml(a).decode() for a in articles) + deletions
                + "\n</PubmedArticleSet>")
        return 200, _document(PUBMED_DOCTYPE, body)

    def einfo(self, params: dict[str, str]) -> bytes:
        if not params.get("db"):
            return _document(EINFO_DOCTYPE, "<eInfoResult><DbList><DbName>pubmed</DbName></DbList></eInfoResult>")
        fields = "".join(
            f"<Field><Name>{n}</Name><FullName>{f}</FullName><Description>{f}</Description><TermCount/>"
            f"<IsDate>{'Y' if n == 'PDAT' else 'N'}</IsDate><IsNumerical>N</IsNumerical><SingleToken>N</SingleToken>"
            f"<Hierarchy>N</Hierarchy><IsHidden>N</IsHidden></Field>"
            for n, f in (("ALL", "All Fields"), ("TIAB", "Title/Abstract"), ("MESH", "MeSH Terms"), ("PDAT", "Date - Publication")))
        body = (f"<eInfoResult><DbInfo><DbName>pubmed</DbName><MenuName>PubMed</MenuName>"
                f"<Description>Stand-in PubMed</Description><DbBuild>Build-stand-in.1</DbBuild>"
                f"<Count>{len(self.data.articles)}</Count><LastUpdate>2025/01/01 00:00</LastUpdate>"
                f"<FieldList>{fields}</FieldList><LinkList/></DbInfo></eInfoResult>")
        return _document(EINFO_DOCTYPE, body)


def _document(doctype: str, body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n{doctype}\n{body}\n'.encode()


def _error(root: str, message: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}><ERROR>{html.escape(message)}</ERROR></{root}>\n'.encode()


def _handler_for(server: EutilsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET", urlsplit(self.path).query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve("POST", self.rfile.read(length).decode("utf-8"))

        def _serve(self, method: str, query: str) -> None:
            utility = Path(urlsplit(self.path).path).name.removesuffix(".fcgi")
            params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            fault = server._record(method, utility, params)
            if fault in ("400", "429", "500", "503"):
                # Like NCBI, a 429 names the key (or address) it counts; a 400 echoes the request.
                who = params.get("api_key") or self.client_address[0]
                body = {"400": "Bad request: " + ", ".join(f"{k}={v}" for k, v in sorted(params.items())),
                        "429": json.dumps({"error": "API rate limit exceeded", "api-key": who}),
                        }.get(fault, "Server Error")
                return self._send(int(fault), body.encode(), "text/plain")
            if fault == "delay":
                time.sleep(server.delay)
            status, body = 200, b""
            if utility == "esearch":
                body = server.esearch(params)
            elif utility == "efetch":
                status, body = server.efetch(params)
            elif utility == "einfo":
                body = server.einfo(params)
            else:
                return self._send(404, f"no such E-utility: {utility}".encode(), "text/plain")
            root = {"esearch": "eSearchResult", "einfo": "eInfoResult"}.get(utility, "eFetchResult")
            if fault == "error":
                body = _error(root, "Search Backend failed: stand-in fault")
            elif fault == "malformed":
                body = body[: len(body) // 2]          # a complete HTTP reply holding half an XML document
            elif fault == "truncate":
                return self._send(status, body, "text/xml", cut=len(body) // 2)
            self._send(status, body, "text/xml")

        def _send(self, status: int, body: bytes, ctype: str, cut: int | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{ctype}; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                if cut is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body if cut is None else body[:cut])
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass                                    # the client gave up (timeout test)
            if cut is not None:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            if server.verbose:                          # never print query strings: they may hold api_key
                print(f"{self.command} {urlsplit(self.path).path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Stand-in NCBI E-utilities server (esearch, efetch, einfo) on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port)")
    parser.add_argument("--count", type=int, default=1200, help="generated records besides the fixtures (default 1200)")
    parser.add_argument("--fault", action="append", default=[], metavar="UTILITY:KIND[:TIMES]",
                        help=f"inject a fault, e.g. efetch:503:2; kinds: {', '.join(FAULTS)}")
    args = parser.parse_args()
    server = EutilsServer(args.count, port=args.port)
    server.verbose = True
    for spec in args.fault:
        utility, kind, *times = spec.split(":")
        server.inject(kind, utility, int(times[0]) if times else 1)
    print(f"stand-in E-utilities: {len(server.data.articles)} records at {server.url} (Ctrl-C to stop)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
