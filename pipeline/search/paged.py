"""One search of a page-token service (ClinicalTrials.gov, Europe PMC), frozen as a snapshot.

Both services page the same way: the first request has no token (ClinicalTrials.gov) or `*`
(Europe PMC), each reply names the token of the next page, the last page names none. `take`
walks the pages into a `snapshot.Partial` (every raw reply kept, gzip), so an interrupted run
resumes from the last stored page's token. A token the service refuses as expired (HTTP 400 or
404 on a later page) restarts the query cleanly: the pages stored so far are dropped and the
walk begins again from the first page, at most `MAX_RESTARTS` times. The count the service
reports is checked against the records retrieved and any difference becomes a warning in the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline import __version__
from pipeline.errors import Refused, ServiceUnavailable
from pipeline.layout import Layout
from pipeline.search.snapshot import Partial, iso

MAX_RESTARTS = 3
MAX_EMPTY_PAGES = 3          # a service may send an empty page with a next token; three in a row end the walk
EXPIRED_STATUSES = (400, 404, 410)


@dataclass(frozen=True)
class Page:
    """What one reply says: the record ids it holds, the next token and the count reported (if any)."""

    ids: list[str]
    next_token: str | None
    count: int | None


class PagedService(Protocol):
    """What `take` needs of a service client."""

    base_url: str

    @property
    def requests(self) -> int:
        """Requests sent so far, retries included."""
        ...

    def about(self) -> tuple[bytes | None, dict[str, Any]]:
        """A raw reply describing the service (its version), or None, and what to log of it."""
        ...

    def page(self, token: str | None) -> tuple[bytes, Page]:
        """One page of the search, from the first (`token` None) onwards."""
        ...

    def ids_of(self, data: bytes) -> list[str]:
        """The record ids in a stored page (to resume); raises BadReply when unreadable."""
        ...

    def learned(self) -> dict[str, Any]:
        """What the replies said about the service (e.g. its version), for the log."""
        ...


def take(layout: Layout, name: str, identity: dict[str, Any], service: PagedService, *, batch_kind: str,
         log_fields: dict[str, Any], now: dt.datetime | None = None,
         report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Walk every page of the search into a snapshot of source `name`; return its folder."""
    now = now or dt.datetime.now(dt.UTC)
    partial = Partial.begin(layout, name, identity, now, ids_of=service.ids_of, batch_kind=batch_kind, suffix=".json.gz")
    if partial.resumed:
        note(f"{name}: resuming {partial.folder.name} ({len(partial.pmids):,} records already stored)")
    elif partial.discard:
        note(f"{name}: an unfinished run of a different search will be discarded")
    requests_before = service.requests
    state = partial.state
    try:
        raw, about = service.about()
        if raw is not None:
            partial.save_raw("about", raw)
        token = partial.batches[-1].get("next") if partial.batches else None
        done = bool(partial.batches) and token is None
        seen_tokens = {b.get("token") for b in partial.batches}
        empty_run = 0
        while not done:
            try:
                data, page = service.page(token)
            except Refused as exc:
                if token is None or exc.status not in EXPIRED_STATUSES:
                    raise
                state["restarts"] = state.get("restarts", 0) + 1
                if state["restarts"] > MAX_RESTARTS:
                    raise ServiceUnavailable(f"page tokens kept expiring ({exc}); restarted {MAX_RESTARTS} times") from None
                note(f"{name}: the service no longer accepts the page token ({exc.status}); restarting the query from page 1")
                partial.batches.clear()
                partial.pmids.clear()
                state.pop("count", None)
                token, seen_tokens = None, set()
                continue
            if page.count is not None and "count" not in state:
                state["count"] = page.count
            partial.add_batch(data, page.ids, {"token": token, "next": page.next_token})
            report(len(partial.pmids), max(state.get("count") or 0, len(partial.pmids)))
            seen_tokens.add(token)
            empty_run = 0 if page.ids else empty_run + 1
            if not page.next_token or page.next_token in seen_tokens or empty_run >= MAX_EMPTY_PAGES:
                done = True
            token = page.next_token
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(f"{name}: {exc}; {partial.progress_note()}") from None
    except KeyboardInterrupt:
        note(f"{name}: interrupted; {partial.progress_note()}")
        raise
    count = state.get("count")
    retrieved = len(partial.pmids)
    warnings = []
    if count is not None and count != retrieved:
        warnings.append(f"the service reported {count:,} records but {retrieved:,} were retrieved")
    log: dict[str, Any] = {
        "source": name, **log_fields, **about, **service.learned(),
        "started_at": iso(now), "finished_at": iso(dt.datetime.now(dt.UTC)), "runs": state["runs"],
        "count_reported": count, "retrieved": retrieved, "restarts": state.get("restarts", 0),
        "batches": partial.batches, "warnings": warnings, "tool_version": __version__,
        "api_url": service.base_url, "requests": service.requests - requests_before, "status": "complete",
    }
    return partial.finish(log)
