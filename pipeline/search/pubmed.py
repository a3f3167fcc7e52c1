"""One PubMed search, live: check it, plan its date slices, fetch every record, freeze a snapshot.

`take` is the whole search of one PubMed source: the query and dates are checked before anything
is sent; einfo records the database build; esearch (`slicing.plan`) splits the date range while a
slice holds more than PubMed's 9,999 reachable records; efetch (`fetch.fetch`) stores each PMID
once into the snapshot being built (`snapshot.Partial`), which is renamed into place when
complete and resumed by the next run when not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import Bio

from pipeline import __version__
from pipeline.errors import ServiceUnavailable, UserError
from pipeline.layout import Layout
from pipeline.protocol import PubMedSearch
from pipeline.search.entrez import MAX_BATCH, EntrezClient
from pipeline.search.fetch import DEFAULT_BATCH, fetch
from pipeline.search.query import check
from pipeline.search.replies import efetch_pmids
from pipeline.search.slicing import check_dates, plan
from pipeline.search.snapshot import Partial, iso


def take(layout: Layout, search: PubMedSearch, client: EntrezClient, *, batch_size: int = DEFAULT_BATCH,
         now: dt.datetime | None = None, report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Run one PubMed search live and freeze it as a complete snapshot; return its folder."""
    check(search.query, search.name)
    check_dates(search.name, search.mindate, search.maxdate)
    if not 1 <= batch_size <= MAX_BATCH:
        raise UserError(f"batch size must be between 1 and {MAX_BATCH:,}, not {batch_size}")
    settings = client.settings
    now = now or dt.datetime.now(dt.UTC)
    identity = {"source": search.name, "database": search.database, "query": search.query,
                "mindate": search.mindate, "maxdate": search.maxdate, "datetype": search.datetype,
                "eutils_url": settings.base_url}
    partial = Partial.begin(layout, search.name, identity, now, ids_of=efetch_pmids)
    if partial.resumed:
        note(f"{search.name}: resuming {partial.folder.name} ({len(partial.pmids):,} records already stored)")
    elif partial.discard:
        note(f"{search.name}: an unfinished run of a different search will be discarded")
    term = " ".join(search.query.split())
    requests_before = client.requests
    try:
        einfo_data, info = client.einfo()
        partial.save_raw("einfo", einfo_data)
        top, slices = plan(client, term, search.mindate, search.maxdate, search.datetype,
                           lambda data: partial.save_raw("esearch", data), today=now.date(), note=note)
        not_returned = fetch(client, slices, partial, batch_size, report)
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(f"{search.name}: {exc}; {partial.progress_note()}") from None
    except KeyboardInterrupt:
        note(f"{search.name}: interrupted; {partial.progress_note()}")
        raise
    wanted = {p for s in slices for p in s.result.ids}
    warnings = list(top.warnings)
    if not_returned:
        warnings.append(f"{len(not_returned)} PMIDs found by esearch were not returned by efetch")
    if extra := len(partial.pmids - wanted):
        warnings.append(f"{extra} records stored by an earlier run no longer match the query")
    log: dict[str, Any] = {
        "source": search.name, "database": search.database, "platform": search.platform,
        "query": search.query, "term_sent": term, "query_translation": top.translation,
        "mindate": search.mindate, "maxdate": search.maxdate, "datetype": search.datetype,
        "started_at": iso(now), "finished_at": iso(dt.datetime.now(dt.UTC)),
        "runs": partial.state["runs"], "count_reported": top.count, "retrieved": len(partial.pmids),
        "not_returned": not_returned, "database_build": info["build"], "database_last_update": info["last_update"],
        "slices": [{"mindate": s.mindate, "maxdate": s.maxdate, "count": s.result.count, "esearch_file": s.esearch_file}
                   for s in slices],
        "batch_size": batch_size, "batches": partial.batches, "warnings": warnings,
        "tool": settings.tool, "tool_version": __version__, "biopython_version": Bio.__version__,
        "eutils_url": settings.base_url, "requests": client.requests - requests_before, "status": "complete",
    }
    return partial.finish(log)
