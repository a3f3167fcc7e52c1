"""Records of a ClinicalTrials.gov or Europe PMC search, read from its newest frozen snapshot.

Never from the network: `make search` froze every page it received; this reads them back through
the same pure readers (`ctgov_json`, `europepmc_json`). A search without a snapshot yet is
reported "not searched yet" with 0 records, so the review still builds offline. Pages of a live
search can overlap when the service changes mid-run: a record that appears twice is kept once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from pipeline import hints
from pipeline.contracts import SourceEntry, SourceState, SourceType
from pipeline.errors import BadReply, InputError
from pipeline.imports import ctgov_json, europepmc_json
from pipeline.layout import Layout
from pipeline.protocol import CtgovSearch, EuropePmcSearch
from pipeline.records import LINK_SCHEMA, REGISTRATION_SCHEMA, empty
from pipeline.search import ctgov, europepmc, snapshot


@dataclass(frozen=True)
class LiveRecords:
    """What one live JSON search contributes to the records stage."""

    records: pl.DataFrame
    registrations: pl.DataFrame
    links: pl.DataFrame
    info: SourceEntry


def read(layout: Layout, search: CtgovSearch | EuropePmcSearch) -> LiveRecords:
    """The records of the search's newest snapshot; a missing snapshot is not an error."""
    is_ctgov = isinstance(search, CtgovSearch)
    query: str | dict[str, str] = search.query_params if isinstance(search, CtgovSearch) else search.query
    info = SourceEntry(name=search.name, type=SourceType.CTGOV if is_ctgov else SourceType.EUROPEPMC, kind=search.kind,
                       database=search.database, platform=search.platform, query=query)
    regs_none, links_none = pl.DataFrame(schema=REGISTRATION_SCHEMA), pl.DataFrame(schema=LINK_SCHEMA)
    folder = snapshot.latest(layout, search.name)
    if folder is None:
        warning = (f"{search.name}: no {search.database} snapshot yet under "
                   f"{layout.relative(layout.search_source(search.name))}/; run `{hints.make('search', layout)}` (needs network) "
                   "to search it; 0 records for now")
        return LiveRecords(empty(), regs_none, links_none, replace(info, status=SourceState.NOT_SEARCHED, warnings=(warning,)))
    log = snapshot.read_log(folder)
    info = replace(info, database=log.get("database") or search.database, platform=log.get("platform") or search.platform,
                   snapshot=layout.relative(folder), query=log.get("query", query), date=log.get("finished_at"),
                   count_reported=log.get("count_reported"), retrieved=log.get("retrieved"),
                   api_version=log.get("api_version"), data_timestamp=log.get("data_timestamp"))
    kind_prefix = ctgov.BATCH_KIND if is_ctgov else europepmc.BATCH_KIND
    pages = sorted(folder.glob(f"{kind_prefix}-*.json.gz"))
    frames, regs, links = [], [], []
    for path in pages:
        label = layout.relative(path)
        try:
            data = snapshot.read_raw(path)
            items = ctgov.studies_of(data) if is_ctgov else europepmc.results_of(data)
        except (OSError, EOFError, BadReply) as exc:
            raise InputError.one(label, f"stored page cannot be read ({exc}); run `{hints.make('search', layout)}` again") from None
        if is_ctgov:
            r, g, k = ctgov_json.read_studies(items, search.name, label)
            regs.append(g)
        else:
            r, k = europepmc_json.read_results(items, search.name, label)
        frames.append(r)
        links.append(k)
    records = pl.concat(frames, how="vertical") if frames else empty()
    unique = records.unique(subset=["record_id"], keep="first", maintain_order=True)
    warnings = [f"{search.name}: {w}" for w in log.get("warnings") or []]
    if unique.height < records.height:
        warnings.append(f"{search.name}: {records.height - unique.height} record(s) repeated across the snapshot's pages; kept the first of each")
    if info.retrieved is not None and info.retrieved != unique.height:
        warnings.append(f"{search.name}: the search log says {info.retrieved} records were retrieved, the snapshot holds {unique.height}")
    if _normal(log.get("query")) != _normal(query):
        warnings.append(f"{search.name}: the protocol's query has changed since the snapshot {info.snapshot}; "
                        f"run `{hints.make('search', layout)}` to search it again")
    registrations = (pl.concat(regs).unique(subset=["record_id"], keep="first", maintain_order=True)
                     if regs else regs_none)
    link_frame = pl.concat(links).unique(maintain_order=True) if links else links_none
    return LiveRecords(unique, registrations, link_frame, replace(info, warnings=tuple(warnings), records=unique.height))


def _normal(query: Any) -> Any:
    if isinstance(query, str):
        return " ".join(query.split())
    return query
