"""ClinicalTrials.gov API v2, live: `GET studies` page by page and `GET version`, frozen as a snapshot.

The protocol's query.cond / query.intr / query.term / filter.* parameters are sent as written
(whitespace collapsed) with `format=json`, `pageSize` (at most 1,000) and, on the first page,
`countTotal=true`; every later page repeats them with the `pageToken` the previous reply named,
as the API requires. `GET version` records the API version and the data timestamp for the
PRISMA-S log. Pacing, retries and snapshots are the shared layers' (`services`, `client`, `paged`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pipeline.errors import BadReply, InputError, UserError
from pipeline.layout import Layout
from pipeline.protocol import CtgovSearch
from pipeline.search import paged
from pipeline.search.client import HttpClient, Request
from pipeline.search.query import check_boolean
from pipeline.search.services import ServiceSettings

MAX_PAGE = 1_000
BATCH_KIND = "studies"


def parse_page(data: bytes) -> paged.Page:
    """A `GET studies` reply: its NCT ids, nextPageToken and totalCount; BadReply when unusable."""
    body = _json(data, "studies reply")
    studies = body.get("studies")
    if not isinstance(studies, list):
        raise BadReply("ClinicalTrials.gov studies reply has no 'studies' list")
    ids = []
    for study in studies:
        nct = (((study or {}).get("protocolSection") or {}).get("identificationModule") or {}).get("nctId") \
            if isinstance(study, dict) else None
        if not isinstance(nct, str) or not nct.strip():
            raise BadReply("ClinicalTrials.gov studies reply has a study without protocolSection.identificationModule.nctId")
        ids.append(nct.strip().upper())
    token = body.get("nextPageToken")
    count = body.get("totalCount")
    return paged.Page(ids, token if isinstance(token, str) and token else None, count if isinstance(count, int) else None)


def studies_of(data: bytes) -> list[Any]:
    """The study objects of a stored page (for the import)."""
    return list(_json(data, "studies reply").get("studies") or [])


def parse_version(data: bytes) -> dict[str, Any]:
    body = _json(data, "version reply")
    return {"api_version": body.get("apiVersion"), "data_timestamp": body.get("dataTimestamp")}


def _json(data: bytes, what: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadReply(f"ClinicalTrials.gov {what} is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadReply(f"ClinicalTrials.gov {what} is not a JSON object")
    return body


class CtgovClient:
    """One ClinicalTrials.gov search's requests, paced and retried by `http`."""

    def __init__(self, settings: ServiceSettings, params: dict[str, str], page_size: int = MAX_PAGE,
                 http: HttpClient | None = None):
        if not 1 <= page_size <= MAX_PAGE:
            raise UserError(f"ClinicalTrials.gov page size must be between 1 and {MAX_PAGE:,}, not {page_size}")
        self.settings = settings
        self.base_url = settings.base_url
        self.params = params
        self.page_size = page_size
        self.http = http or settings.client()

    @property
    def requests(self) -> int:
        return self.http.requests

    def about(self) -> tuple[bytes | None, dict[str, Any]]:
        data, info = self.http.call(Request("GET", f"{self.base_url}version"), parse_version,
                                    f"ClinicalTrials.gov version at {self.base_url}")
        return data, info

    def page(self, token: str | None) -> tuple[bytes, paged.Page]:
        params = {**self.params, "format": "json", "pageSize": str(self.page_size)}
        if token:
            params["pageToken"] = token
        else:
            params["countTotal"] = "true"
        request = Request("GET", f"{self.base_url}studies?{urlencode(params)}")
        return self.http.call(request, parse_page, f"ClinicalTrials.gov studies at {self.base_url}")

    def ids_of(self, data: bytes) -> list[str]:
        return parse_page(data).ids

    def learned(self) -> dict[str, Any]:
        return {}


def check(search: CtgovSearch) -> None:
    """The query parameters' boolean syntax, before anything is sent; every problem at once."""
    problems = []
    for key, value in (("condition", search.condition), ("intervention", search.intervention), ("term", search.term)):
        if value.strip():
            try:
                check_boolean(value, search.name, what=key)
            except InputError as exc:
                problems += exc.problems
    if problems:
        raise InputError(problems)


def take(layout: Layout, search: CtgovSearch, settings: ServiceSettings, *, page_size: int = MAX_PAGE,
         http: HttpClient | None = None, now: dt.datetime | None = None,
         report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Run one ClinicalTrials.gov search live and freeze it as a complete snapshot; return its folder."""
    check(search)
    params = search.query_params
    client = CtgovClient(settings, params, page_size, http)
    identity = {"source": search.name, "database": search.database, "params": params, "api_url": settings.base_url}
    fields = {"database": search.database, "platform": search.platform, "query": params,
              "query_sent": urlencode(params), "page_size": page_size}
    return paged.take(layout, search.name, identity, client, batch_kind=BATCH_KIND, log_fields=fields,
                      now=now, report=report, note=note)
