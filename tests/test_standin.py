"""The stand-in servers share one HTTP implementation (tests/standin.py) and differ only where the services do."""

from __future__ import annotations

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from crossref_server import CrossrefServer
from ctgov_server import CtgovServer
from europepmc_server import EuropePmcServer
from standin import StandIn

from tests.eutils_server import EutilsServer

SERVERS = (EutilsServer, CtgovServer, EuropePmcServer, CrossrefServer)


def status_of(request: Request) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(request, timeout=5) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


@pytest.mark.parametrize("server_class", SERVERS, ids=lambda c: c.__name__)
def test_every_stand_in_records_requests_and_injects_faults_through_the_shared_base(server_class):
    assert issubclass(server_class, StandIn)
    with server_class() as server:
        with pytest.raises(ValueError, match="unknown fault 'nonsense'"):
            server.inject("nonsense", "any")


def test_the_e_utilities_take_post_forms_and_the_json_services_do_not():
    with EutilsServer() as eutils, CrossrefServer() as crossref:
        status, _, _ = status_of(Request(f"{eutils.url}einfo.fcgi", data=b"db=pubmed", method="POST"))
        assert status == 200 and [(h.method, h.route, h.params) for h in eutils.hits()] == [("POST", "einfo", {"db": "pubmed"})]
        status, _, _ = status_of(Request(f"{crossref.url}works/10.5555/x", data=b"a=b", method="POST"))
        assert status == 501 and crossref.hits() == []


def test_a_429_from_the_json_stand_ins_says_retry_after_and_ncbis_names_the_key_instead():
    with EutilsServer() as eutils, CrossrefServer() as crossref:
        eutils.inject("429", "einfo")
        crossref.inject("429", "works")
        status, headers, body = status_of(Request(f"{eutils.url}einfo.fcgi?api_key=k123"))
        assert status == 429 and "Retry-After" not in headers and json.loads(body)["api-key"] == "k123"
        status, headers, _ = status_of(Request(f"{crossref.url}works/10.5555/x"))
        assert status == 429 and headers["Retry-After"] == "0"


def test_a_server_may_ask_any_status_fault_to_carry_a_retry_after():
    with CrossrefServer() as server:
        server.retry_after[503] = "7"
        server.inject("503", "works")
        status, headers, _ = status_of(Request(f"{server.url}works/10.5555/x"))
        assert status == 503 and headers["Retry-After"] == "7"
