"""The Entrez client against the stand-in E-utilities server: retries, backoff, rate limit, replies.

Time is a FakeClock: backoff and rate-limit waits are recorded, never slept."""

from __future__ import annotations

import datetime as dt
import http.client
import io
import itertools
import re
import socket
import threading

import pytest
from Bio import Entrez
from conftest import REPO
from eutils_server import EutilsServer
from fake_clock import FakeClock, Timed

from pipeline.errors import BadReply, PipelineError, RemoteError, ServiceUnavailable
from pipeline.search.entrez import EntrezClient, build_request
from pipeline.search.ratelimit import RateLimiter
from pipeline.search.redact import public_url
from pipeline.search.replies import efetch_pmids, parse_einfo, parse_esearch
from pipeline.search.settings import Settings
from pipeline.search.slicing import period, split_range

KEY = "SECRET-KEY-123"


@pytest.fixture
def server():
    with EutilsServer(count=40) as srv:
        yield srv


def fast(server: EutilsServer, clock: FakeClock | None = None, **options) -> EntrezClient:
    """A client with a test-sized timeout on a clock that never sleeps; no rate limit against the stand-in."""
    options = {"timeout": 0.3, "tries": 3, "backoff": 0.01, "interval": 0.0, **options}
    return EntrezClient(Settings(email="tester@example.org", base_url=server.url, **options), clock=clock or FakeClock())


def timed(server: EutilsServer, **options) -> tuple[EntrezClient, FakeClock, Timed]:
    """A client whose requests are stamped with the fake clock's time as they go out."""
    clock = FakeClock()
    transport = Timed(clock)
    settings = Settings(email="t@example.org", base_url=server.url, **options)
    return EntrezClient(settings, transport=transport, clock=clock), clock, transport


# --- retries -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["429", "500", "503", "delay", "truncate", "malformed", "error"])
def test_efetch_is_retried_after_each_kind_of_fault(server, fault):
    server.delay = 1.0
    server.inject(fault, "efetch")
    clock = FakeClock()
    client = fast(server, clock)
    _, found = client.esearch("cells")
    data, pmids = client.efetch_history(found.webenv, found.query_key, 0, 10)
    attempts = server.hits("efetch")
    assert [h.fault for h in attempts] == [fault, None]
    assert pmids == found.ids[:10]
    assert efetch_pmids(data) == pmids
    assert clock.sleeps == [0.01]                  # one backoff, recorded, not slept


@pytest.mark.parametrize("fault", ["503", "error", "malformed", "truncate"])
def test_esearch_is_retried_after_a_fault(server, fault):
    server.inject(fault, "esearch")
    _, found = fast(server).esearch("cells")
    assert found.count == len(server.data.articles)
    assert len(server.hits("esearch")) == 2


def test_a_retry_after_is_waited_by_the_searches_too(server):
    server.retry_after[503] = "4"                        # the shared HTTP client honours it for every service
    server.inject("503", "einfo")
    client, clock, _ = timed(server, tries=3, backoff=0.3, max_backoff=10.0, interval=0.0)
    client.einfo()
    assert clock.sleeps == [4.0]


def test_retries_wait_with_growing_backoff(server):
    server.inject("503", "einfo", times=3)
    client, clock, transport = timed(server, tries=4, backoff=0.3, max_backoff=1.0, interval=0.0)
    client.einfo()
    assert clock.sleeps == [0.3, 0.6, 1.0]             # doubled each time, capped at max_backoff
    assert transport.times == pytest.approx([0.0, 0.3, 0.9, 1.9])
    assert len(server.hits("einfo")) == 4


def test_giving_up_after_the_last_try_names_the_utility_and_the_cause(server):
    server.inject("500", "einfo", times=3)
    with pytest.raises(ServiceUnavailable, match=r"einfo at http://127\.0\.0\.1:\d+/ failed 3 times; last: HTTP 500"):
        fast(server).einfo()


def test_a_client_error_is_not_retried(server):
    server.inject("400", "esearch")
    with pytest.raises(RemoteError, match="refused the request: HTTP 400"):
        fast(server).esearch("cells")
    assert len(server.hits("esearch")) == 1


def test_a_refused_connection_is_retried_then_reported():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]              # bound but not listening: connections are refused
        client = EntrezClient(Settings(email="t@example.org", base_url=f"http://127.0.0.1:{port}/",
                                       tries=2, backoff=0.01, interval=0.0), clock=FakeClock())
        with pytest.raises(ServiceUnavailable, match="failed 2 times; last: .*[Rr]efused"):
            client.einfo()
        assert client.requests == 2


def test_a_timeout_is_reported_after_the_last_try(server):
    server.delay = 0.5
    server.inject("delay", "einfo", times=2)
    with pytest.raises(ServiceUnavailable, match="last: timed out"):
        fast(server, timeout=0.1, tries=2).einfo()


def test_failures_without_any_reply_are_retried_with_their_cause_named():
    class Flaky:
        def __init__(self, failures):
            self.failures = list(failures)

        def __call__(self, request, timeout):
            raise self.failures.pop(0)

    failures = [ConnectionResetError(104, "Connection reset by peer"), TimeoutError("timed out"),
                http.client.IncompleteRead(b"x" * 10)]
    client = EntrezClient(Settings(email="t@example.org", tries=3), transport=Flaky(failures), clock=FakeClock())
    with pytest.raises(ServiceUnavailable, match=r"einfo at https://eutils\.ncbi\.nlm\.nih\.gov/entrez/eutils/ "
                                                 r"failed 3 times; last: reply cut short \(10 bytes received\)"):
        client.einfo()
    assert client.requests == 3


# --- rate limit, identity, API key ---------------------------------------------------------------

def test_without_a_key_never_more_than_three_requests_per_second_even_when_retrying(server):
    server.inject("503", "einfo", times=2, after=1)
    client, _clock, transport = timed(server, backoff=0.0, timeout=5)
    for _ in range(5):
        client.einfo()
    times = transport.times
    assert len(times) == len(server.hits()) == 7
    assert all(times[i + 3] - times[i] >= 1.0 for i in range(len(times) - 3))
    assert all(b - a == pytest.approx(0.37) for a, b in itertools.pairwise(times))   # and no slower


def test_with_a_key_up_to_ten_requests_per_second(server):
    client, _clock, transport = timed(server, api_key=KEY, timeout=5)
    for _ in range(12):
        client.einfo()
    times = transport.times
    assert all(times[i + 10] - times[i] >= 1.0 for i in range(len(times) - 10))
    assert all(b - a == pytest.approx(0.11) for a, b in itertools.pairwise(times))   # faster than the keyless limit


def test_the_rate_limit_holds_across_threads():
    class Frozen(FakeClock):
        def sleep(self, seconds):                  # time never moves: every thread asks at t = 0
            self.sleeps.append(seconds)

    clock = Frozen()
    limiter = RateLimiter(0.5, clock)
    threads = [threading.Thread(target=limiter.wait) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(clock.sleeps) == [0.5, 1.0, 1.5]             # each thread got its own later slot


def test_a_lower_interval_is_ignored_for_any_server_but_a_local_one():
    ncbi = Settings(email="t@example.org", interval=0.0)
    assert ncbi.min_interval == pytest.approx(0.37)
    assert Settings(email="t@example.org", api_key=KEY, interval=0.0).min_interval == pytest.approx(0.11)
    assert Settings(email="t@example.org", base_url="http://127.0.0.1:1/", interval=0.0).min_interval == 0.0


def test_email_tool_and_key_are_sent_with_every_request_and_the_key_only_by_post(server):
    server.inject("503", "esearch")
    client = fast(server, api_key=KEY)
    client.einfo()
    client.esearch("cells")
    hits = server.hits()
    assert len(hits) == 3
    for hit in hits:
        assert hit.params["email"] == "tester@example.org"
        assert hit.params["tool"] == "review-pipeline"
        assert hit.params["api_key"] == KEY
        assert hit.method == "POST"


def test_requests_follow_ncbis_rules_for_get_and_post():
    url = "http://127.0.0.1:1/efetch.fcgi"
    short = build_request(url, {"db": "pubmed", "id": ["1", "2"], "api_key": None})
    assert (short.method, short.url, short.data) == ("GET", f"{url}?db=pubmed&id=1%2C2", None)
    assert build_request(url, {"db": "pubmed", "id": ["1"] * 199}).method == "GET"
    assert build_request(url, {"db": "pubmed", "id": ["1"] * 200}).method == "POST"
    assert build_request(url, {"db": "pubmed", "term": "x" * 1000}).method == "POST"
    keyed = build_request(url, {"db": "pubmed", "api_key": KEY})
    assert keyed.method == "POST" and KEY not in keyed.url and KEY not in repr(keyed)
    assert keyed.data == f"db=pubmed&api_key={KEY}".encode()


def test_the_key_never_appears_in_settings_or_error_messages(server):
    server.inject("400", "einfo")
    client = fast(server, api_key=KEY)
    with pytest.raises(RemoteError) as caught:
        client.einfo()
    assert "api_key=***" in str(caught.value)     # the server echoed it; we redacted it
    assert KEY not in str(caught.value)
    assert KEY not in repr(client.settings)


def test_the_key_is_redacted_from_a_final_failure_too():
    def echo(request, timeout):
        raise ConnectionRefusedError(f"refused {request.data.decode()}")

    client = EntrezClient(Settings(email="t@example.org", api_key=KEY, tries=2), transport=echo, clock=FakeClock())
    with pytest.raises(ServiceUnavailable) as caught:
        client.einfo()
    assert KEY not in str(caught.value) and "api_key=***" in str(caught.value)


def test_settings_come_from_the_environment():
    env = {"NCBI_EMAIL": "me@example.org", "NCBI_API_KEY": KEY,
           "NCBI_EUTILS_URL": "http://user:pw@127.0.0.1:8765/eutils?api_key=x"}
    settings = Settings.from_env(env, tries=2)
    assert (settings.email, settings.api_key, settings.tries) == ("me@example.org", KEY, 2)
    assert settings.base_url == "http://127.0.0.1:8765/eutils/"
    assert Settings.from_env({"NCBI_EMAIL": "me@example.org"}).base_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"


def test_a_missing_email_is_a_clear_error():
    with pytest.raises(PipelineError, match="NCBI_EMAIL is not set"):
        Settings.from_env({})


def test_logged_urls_lose_credentials_and_query():
    assert public_url("https://u:p@example.org:8443/e?api_key=k#x") == "https://example.org:8443/e/"


# --- replies -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, count, ids, webenv", [
    ("esearch1.xml", 63, 20, None), ("esearch2.xml", 42249, 100, "MCID_6927d6e7fee3e90f880ec190"),
    ("esearch3.xml", 2651, 6, None), ("esearch8.xml", 0, 0, None)])
def test_real_ncbi_esearch_replies_are_read(shared, name, count, ids, webenv):
    result = parse_esearch((shared / "fixtures" / "entrez" / name).read_bytes())
    assert (result.count, len(result.ids), result.webenv) == (count, ids, webenv)
    assert result.translation


def test_pubmed_errorlist_becomes_a_warning(shared):
    result = parse_esearch((shared / "fixtures" / "entrez" / "esearch8.xml").read_bytes())
    assert "PhraseNotFound: abcXYZ" in result.warnings


def test_real_ncbi_einfo_replies_are_read(shared):
    info = parse_einfo((shared / "fixtures" / "entrez" / "einfo2.xml").read_bytes())
    assert info == {"build": "Build-2025.11.27.06.33", "count": "39730388", "last_update": "2025/11/27 06:33"}
    with pytest.raises(BadReply, match="no <DbInfo>"):
        parse_einfo((shared / "fixtures" / "entrez" / "einfo1.xml").read_bytes())


@pytest.mark.parametrize("name", ["pubmed1.xml", "pubmed2.xml", "pubmed4.xml", "pubmed5.xml", "pubmed6.xml", "pubmed7.xml"])
def test_pmids_of_real_efetch_replies_match_bio_entrez(shared, name):
    data = (shared / "fixtures" / "entrez" / name).read_bytes()
    record = Entrez.read(io.BytesIO(data))
    expected = [str(a["MedlineCitation"]["PMID"]) for a in record["PubmedArticle"]]
    expected += [str(b["BookDocument"]["PMID"]) for b in record["PubmedBookArticle"]]
    assert sorted(efetch_pmids(data)) == sorted(expected)


def test_an_error_document_and_broken_xml_are_bad_replies():
    with pytest.raises(BadReply, match=r"efetch reply: .*found <eFetchResult> \(Unable to obtain query #1\)"):
        efetch_pmids(b"<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>")
    with pytest.raises(BadReply, match="not well-formed"):
        efetch_pmids(b"<PubmedArticleSet><PubmedArticle><MedlineCitation>")
    with pytest.raises(BadReply, match="<ERROR> document: Search Backend failed"):
        parse_esearch(b'<?xml version="1.0"?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
                      b'"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
                      b"<eSearchResult><ERROR>Search Backend failed</ERROR></eSearchResult>")


def test_ncbis_empty_result_reply_holds_no_records():
    assert efetch_pmids(b"<eFetchResult><ERROR>Empty result - nothing to do</ERROR></eFetchResult>") == []


def test_efetch_replies_are_read_by_the_import_reader_whatever_the_dtd_leaves_implicit(fixtures):
    data = (fixtures / "pubmed_xml" / "dtd_left_implicit.xml").read_bytes()
    assert efetch_pmids(data)


def test_the_stand_in_serves_pubmed_xml_that_bio_entrez_validates(server):
    data, pmids = fast(server).efetch_ids(["90000001", "90000004", "80000002"])
    record = Entrez.read(io.BytesIO(data))
    assert len(record["PubmedArticle"]) == 2 and len(record["PubmedBookArticle"]) == 1
    assert sorted(pmids) == ["80000002", "90000001", "90000004"]


def test_efetch_by_pmid_list_is_posted_when_long(server):
    ids = [a.pmid for a in server.data.articles][:30] * 8      # 240 ids: Bio.Entrez POSTs >= 200
    fast(server).efetch_ids(ids)
    assert server.hits("efetch")[0].method == "POST"


# --- dates ---------------------------------------------------------------------------------------

def test_dates_expand_to_the_first_or_last_day_of_their_period():
    assert period("2020", end=False) == dt.date(2020, 1, 1)
    assert period("2020/02", end=True) == dt.date(2020, 2, 29)
    assert period("2020/12", end=True) == dt.date(2020, 12, 31)
    assert period("2020/03/04", end=True) == dt.date(2020, 3, 4)


def test_an_open_future_end_is_split_near_today():
    (lo1, hi1), (lo2, hi2) = split_range(dt.date(1990, 1, 1), dt.date(3000, 12, 31), today=dt.date(2025, 6, 1))
    assert lo1 == dt.date(1990, 1, 1) and hi2 == dt.date(3000, 12, 31)
    assert dt.date(2000, 1, 1) < hi1 < dt.date(2020, 1, 1)
    assert lo2 == hi1 + dt.timedelta(days=1)


# --- dependencies --------------------------------------------------------------------------------

def test_only_biopythons_public_api_is_used():
    """Bio.Entrez's private helpers (`_build_request`, `_open`, ...) may change in any release;
    the pipeline builds its own requests, so Biopython needs no upper bound in pyproject.toml."""
    used = {m.group(0) for path in (REPO / "pipeline").rglob("*.py")
            for m in re.finditer(r"\bEntrez\._\w+|from Bio\S* import _\w+", path.read_text(encoding="utf-8"))}
    assert used == set()
