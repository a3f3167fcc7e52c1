"""ClinicalTrials.gov and Europe PMC searches against their stand-ins: faults, paging, snapshots."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
from ctgov_server import CtgovServer
from europepmc_server import EuropePmcServer
from fake_clock import FakeClock, Timed

from pipeline.errors import InputError, ServiceUnavailable
from pipeline.layout import Layout
from pipeline.protocol import CtgovSearch, EuropePmcSearch
from pipeline.search import ctgov, europepmc
from pipeline.search.services import CTGOV, EUROPEPMC, ServiceSettings
from pipeline.search.snapshot import latest, read_log

CT_SEARCH = CtgovSearch("ctgov", condition="multiple sclerosis", intervention="mesenchymal OR MSC OR MSC-NP")
EP_SEARCH = EuropePmcSearch("europepmc", query='(TITLE_ABS:"multiple sclerosis" OR encephalomyelitis) AND (mesenchymal OR MSC OR MSCs)')


class Service:
    """One service under test: its stand-in, its search, how to run it and its route."""

    def __init__(self, name: str):
        self.name = name
        self.route = "studies" if name == "ctgov" else "search"

    def server(self, count: int):
        return CtgovServer(count) if self.name == "ctgov" else EuropePmcServer(count)

    def take(self, layout: Layout, server, page_size: int = 10, **options):
        patience = {"interval": 0.0, "backoff": 0.01, "timeout": 0.5, "tries": 3, **options.pop("patience", {})}
        if self.name == "ctgov":
            settings = ServiceSettings(CTGOV, server.url, **patience)
            return ctgov.take(layout, options.pop("search", CT_SEARCH), settings, page_size=page_size, **options)
        settings = ServiceSettings(EUROPEPMC, server.url, **patience)
        return europepmc.take(layout, options.pop("search", EP_SEARCH), settings, page_size=page_size, **options)

    def expected(self, server) -> int:
        if self.name == "ctgov":
            return len(server.matches(CT_SEARCH.query_params))
        from europepmc_server import text_of
        from standin import words_match
        return sum(1 for r in server.results if words_match(" ".join(EP_SEARCH.query.split()), text_of(r)))


SERVICES = [Service("ctgov"), Service("europepmc")]


@pytest.fixture(params=SERVICES, ids=lambda s: s.name)
def service(request):
    return request.param


def pages(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(("studies-", "results-")))


def test_every_page_is_frozen_and_the_log_says_what_was_asked_and_got(service, tmp_path):
    layout = Layout.at(tmp_path)
    with service.server(count=25) as server:
        folder = service.take(layout, server)
        expected = service.expected(server)
    log = read_log(folder)
    assert log["status"] == "complete" and log["source"] == service.name
    assert log["count_reported"] == log["retrieved"] == expected > 20
    assert log["warnings"] == [] and log["restarts"] == 0
    assert log["api_version"].endswith("-standin")
    assert log["started_at"] and log["finished_at"] and log["api_url"] == server.url
    assert len(pages(folder)) == len(log["batches"]) >= 3
    assert latest(layout, service.name) == folder
    assert not list((tmp_path / "outputs" / "search" / service.name).glob(".partial-*"))


def test_the_query_is_sent_as_the_protocol_says(tmp_path):
    layout = Layout.at(tmp_path)
    with CtgovServer(count=15) as server:
        Service("ctgov").take(layout, server, page_size=10)
        first, second = server.hits("studies")[:2]
    assert first.params["query.cond"] == "multiple sclerosis"
    assert first.params["query.intr"] == "mesenchymal OR MSC OR MSC-NP"
    assert (first.params["format"], first.params["pageSize"], first.params["countTotal"]) == ("json", "10", "true")
    assert "pageToken" not in first.params and second.params["pageToken"] and "countTotal" not in second.params
    with EuropePmcServer(count=15) as server:
        Service("europepmc").take(layout, server, page_size=10)
        first, second = server.hits("search")[:2]
    assert first.params["query"] == " ".join(EP_SEARCH.query.split())
    assert (first.params["resultType"], first.params["format"], first.params["cursorMark"]) == ("core", "json", "*")
    assert second.params["cursorMark"] != "*"


@pytest.mark.parametrize("fault", ["429", "500", "503", "delay", "truncate", "malformed", "html"])
def test_each_kind_of_fault_is_retried_and_the_snapshot_is_whole(service, tmp_path, fault):
    layout = Layout.at(tmp_path)
    with service.server(count=25) as server:
        server.delay = 1.0
        server.inject(fault, service.route, after=1)
        folder = service.take(layout, server)
        hits = server.hits(service.route)
        expected = service.expected(server)
    assert [h.fault for h in hits][:3] == [None, fault, None]
    assert hits[1].params == hits[2].params                   # the same page asked again
    assert read_log(folder)["retrieved"] == expected


def test_an_expired_page_token_restarts_the_query_cleanly(service, tmp_path):
    layout = Layout.at(tmp_path)
    with service.server(count=25) as server:
        server.inject("expired", service.route, after=2)
        folder = service.take(layout, server, note=(notes := []).append)
        expected = service.expected(server)
        hits = server.hits(service.route)
    log = read_log(folder)
    assert log["restarts"] == 1 and log["retrieved"] == expected and log["warnings"] == []
    assert any("restarting the query from page 1" in n for n in notes)
    token = "pageToken" if service.name == "ctgov" else "cursorMark"
    assert hits[3].params.get(token, "*") == "*"               # page 1 again after the refusal
    assert len(pages(folder)) == len(log["batches"])            # no page of the first walk is left behind
    ids = [i for b in log["batches"] for i in (service_ids(folder / b["file"], service.name))]
    assert len(ids) == len(set(ids)) == expected


def service_ids(path, name) -> list[str]:
    data = gzip.decompress(path.read_bytes())
    return ctgov.parse_page(data).ids if name == "ctgov" else europepmc.parse_page(data).ids


def test_tokens_that_keep_expiring_give_up_after_three_restarts(service, tmp_path):
    with service.server(count=25) as server:
        for _ in range(4):
            server.inject("expired", service.route, after=1)
        with pytest.raises(ServiceUnavailable, match="page tokens kept expiring"):
            service.take(Layout.at(tmp_path), server)


def test_a_count_larger_than_served_is_a_warning_in_the_log(service, tmp_path):
    with service.server(count=12) as server:
        server.inject("overcount", service.route)
        folder = service.take(Layout.at(tmp_path), server)
    log = read_log(folder)
    assert log["count_reported"] > log["retrieved"]
    assert log["warnings"] == [f"the service reported {log['count_reported']:,} records but {log['retrieved']:,} were retrieved"]


def test_a_failure_keeps_earlier_snapshots_and_the_next_run_resumes_from_the_stored_token(service, tmp_path):
    layout = Layout.at(tmp_path)
    with service.server(count=25) as server:
        first = service.take(layout, server, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        server.inject("503", service.route, times=3, after=2)
        with pytest.raises(ServiceUnavailable, match=r"failed 3 times; last: HTTP 503.*kept \d+ records in 2 batches"):
            service.take(layout, server)
        assert latest(layout, service.name) == first
        partial = next((tmp_path / "outputs" / "search" / service.name).glob(".partial-*"))
        state = json.loads((partial / "state.json").read_text())
        before = len(server.hits(service.route))
        folder = service.take(layout, server, note=(notes := []).append)
        resumed = server.hits(service.route)[before]
        expected = service.expected(server)
    assert any("resuming" in n for n in notes)
    token = "pageToken" if service.name == "ctgov" else "cursorMark"
    assert resumed.params[token] == state["batches"][-1]["next"]   # not page 1 again
    log = read_log(folder)
    assert log["retrieved"] == expected and len(log["runs"]) == 2 and folder != first


def test_requests_are_paced_to_the_service_limit(service, tmp_path):
    clock = FakeClock()
    with service.server(count=25) as server:
        settings_cls = CTGOV if service.name == "ctgov" else EUROPEPMC
        timed = Timed(clock)
        settings = ServiceSettings(settings_cls, server.url, backoff=0.01, timeout=5)   # no interval override
        http = settings.client(transport=timed, clock=clock)
        module, search = (ctgov, CT_SEARCH) if service.name == "ctgov" else (europepmc, EP_SEARCH)
        module.take(Layout.at(tmp_path), search, settings, page_size=10, http=http)
    gaps = [b - a for a, b in zip(timed.times, timed.times[1:])]
    assert len(gaps) >= 3 and min(gaps) >= settings_cls.limit - 1e-9


def test_a_bad_query_is_refused_before_any_request(service, tmp_path):
    bad_ct = CtgovSearch("ctgov", condition='(multiple sclerosis', intervention='"MSC')
    bad_ep = EuropePmcSearch("europepmc", query='mesenchymal AND')
    with service.server(count=3) as server:
        with pytest.raises(InputError) as caught:
            service.take(Layout.at(tmp_path), server, search=bad_ct if service.name == "ctgov" else bad_ep)
        assert server.hits() == []
    text = str(caught.value)
    if service.name == "ctgov":
        assert "condition of source 'ctgov': line 1, column 1: '(' is never closed" in text
        assert "intervention of source 'ctgov'" in text and "never closed" in text
    else:
        assert "query of source 'europepmc': line 1, column 13: AND has no term after it" in text


def test_a_request_the_service_refuses_is_not_retried(service, tmp_path):
    with service.server(count=3) as server:
        server.inject("400", service.route)
        with pytest.raises(Exception, match="refused the request: HTTP 400"):
            service.take(Layout.at(tmp_path), server)
        assert len(server.hits(service.route)) == 1
