"""Europe PMC's REST search, live: `GET search` with cursorMark paging, frozen as a snapshot.

The protocol's query is sent as written (whitespace collapsed) with `resultType=core`,
`format=json`, `pageSize` (at most 1,000) and `cursorMark` (`*` for the first page, then each
reply's `nextCursorMark`); the walk ends when a reply names no next cursor, repeats the one sent,
or holds no results. Europe PMC's JSON error replies (`errCode`, `errMsg`) are refusals. Pacing,
retries and snapshots are the shared layers' (`services`, `client`, `paged`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pipeline.errors import BadReply, UserError
from pipeline.layout import Layout
from pipeline.protocol import EuropePmcSearch
from pipeline.search import paged
from pipeline.search.client import HttpClient, Request
from pipeline.search.query import check_boolean
from pipeline.search.services import ServiceSettings

MAX_PAGE = 1_000
BATCH_KIND = "results"
FIRST_CURSOR = "*"


def parse_page(data: bytes) -> paged.Page:
    """A search reply: its result ids (`SOURCE:id`), nextCursorMark and hitCount; BadReply when unusable."""
    body = _json(data)
    if "errMsg" in body or "errCode" in body:
        raise BadReply(f"Europe PMC error in a 200 reply: {body.get('errCode')} {body.get('errMsg')}")
    results = (body.get("resultList") or {}).get("result") if isinstance(body.get("resultList"), dict) else None
    if not isinstance(results, list):
        raise BadReply("Europe PMC search reply has no resultList.result list")
    ids = []
    for result in results:
        if not isinstance(result, dict) or not result.get("source") or not result.get("id"):
            raise BadReply("Europe PMC search reply has a result without 'source' and 'id'")
        ids.append(f"{str(result['source']).upper()}:{result['id']}")
    count = body.get("hitCount")
    cursor = body.get("nextCursorMark")
    return paged.Page(ids, cursor if isinstance(cursor, str) and cursor else None, count if isinstance(count, int) else None)


def results_of(data: bytes) -> list[Any]:
    """The result objects of a stored page (for the import)."""
    return list((_json(data).get("resultList") or {}).get("result") or [])


def _json(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadReply(f"Europe PMC reply is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadReply("Europe PMC reply is not a JSON object")
    return body


class EuropePmcClient:
    """One Europe PMC search's requests, paced and retried by `http`."""

    def __init__(self, settings: ServiceSettings, query: str, page_size: int = MAX_PAGE, synonym: bool = False,
                 http: HttpClient | None = None):
        if not 1 <= page_size <= MAX_PAGE:
            raise UserError(f"Europe PMC page size must be between 1 and {MAX_PAGE:,}, not {page_size}")
        self.settings = settings
        self.base_url = settings.base_url
        self.query = query
        self.page_size = page_size
        self.synonym = synonym
        self.http = http or settings.client()
        self.version: str | None = None

    @property
    def requests(self) -> int:
        return self.http.requests

    def params(self, cursor: str) -> dict[str, str]:
        return {"query": self.query, "resultType": "core", "format": "json", "pageSize": str(self.page_size),
                "synonym": "true" if self.synonym else "false", "cursorMark": cursor}

    def about(self) -> tuple[bytes | None, dict[str, Any]]:
        return None, {}

    def page(self, token: str | None) -> tuple[bytes, paged.Page]:
        request = Request("GET", f"{self.base_url}search?{urlencode(self.params(token or FIRST_CURSOR))}")
        data, page = self.http.call(request, parse_page, f"Europe PMC search at {self.base_url}")
        self.version = self.version or str(_json(data).get("version") or "") or None
        if page.next_token == (token or FIRST_CURSOR):
            page = paged.Page(page.ids, None, page.count)      # Europe PMC repeats the cursor on the last page
        return data, page

    def ids_of(self, data: bytes) -> list[str]:
        return parse_page(data).ids

    def learned(self) -> dict[str, Any]:
        return {"api_version": self.version}


def take(layout: Layout, search: EuropePmcSearch, settings: ServiceSettings, *, page_size: int = MAX_PAGE,
         http: HttpClient | None = None, now: dt.datetime | None = None,
         report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Run one Europe PMC search live and freeze it as a complete snapshot; return its folder."""
    check_boolean(search.query, search.name)
    query = " ".join(search.query.split())
    client = EuropePmcClient(settings, query, page_size, search.synonym, http)
    identity = {"source": search.name, "database": search.database, "query": search.query, "synonym": search.synonym,
                "api_url": settings.base_url}
    fields = {"database": search.database, "platform": search.platform, "query": search.query, "query_sent": query,
              "synonym": search.synonym, "result_type": "core", "page_size": page_size}
    return paged.take(layout, search.name, identity, client, batch_kind=BATCH_KIND, log_fields=fields,
                      now=now, report=report, note=note)
