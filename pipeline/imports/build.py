"""The records stage: every source in the protocol -> `records.parquet` + `sources.json`.

Live searches (PubMed, ClinicalTrials.gov, Europe PMC) are read from their newest frozen snapshot
(never from the network); a search with no snapshot yet is `SourceState.NOT_SEARCHED`, so the
review still builds offline. Registers' study details go to `registrations.parquet` and links
between reports of one study (a preprint's journal version, a registration's results) to
`links.parquet`.
Import files go through the reader for their format. All problems in all files are collected
and reported together; nothing is written unless every source was read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from pipeline import hints
from pipeline.contracts import SourceEntry, SourceState, SourceType, sources_to_json
from pipeline.errors import InputError, InternalError, Problem
from pipeline.files import sha256_file, transaction, write_parquet_atomic, write_text_atomic
from pipeline.imports import formats, id_register, live_json
from pipeline.imports.text import ReadLog
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import CtgovSearch, EuropePmcSearch, ImportFile, Protocol, PubMedSearch
from pipeline.records import LINK_SCHEMA, RECORD_SCHEMA, REGISTRATION_SCHEMA, empty


@dataclass(frozen=True)
class Built:
    """The records of every source, sorted by source then record_id, and what happened per source."""

    records: pl.DataFrame
    sources: list[SourceEntry]
    new_ids: list[id_register.Entry] = field(default_factory=list)  # rows to append to the id register
    registrations: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REGISTRATION_SCHEMA))
    links: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LINK_SCHEMA))

    @property
    def warnings(self) -> list[str]:
        return [text for source in self.sources for text in source.warnings]


@dataclass(frozen=True)
class ImportResult(Built):
    """What `run` built and which files it changed."""

    changed: list[Path] = field(default_factory=list)

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary: records per source and where they were written."""
        return describe(self, layout, self.changed)


def run(layout: Layout, protocol: Protocol, *, progress: Progress | None = None) -> ImportResult:
    """The records stage: read every source, write records.parquet, sources.json, registrations and links."""
    built = build(layout, protocol, progress=progress)
    with transaction():                  # every file or none
        changed = write(layout, built)
    return ImportResult(built.records, built.sources, built.new_ids, built.registrations, built.links, changed=changed)


def build(layout: Layout, protocol: Protocol, *, progress: Progress | None = None) -> Built:
    """Read every source of `protocol`; raise one InputError listing every bad file."""
    frames: list[pl.DataFrame] = []
    infos: list[SourceEntry] = []
    problems: list[Problem] = []
    registrations: list[pl.DataFrame] = []
    links: list[pl.DataFrame] = []
    for done, source in enumerate(protocol.sources):
        report(progress, "import: sources", done, len(protocol.sources))
        try:
            if isinstance(source, PubMedSearch):
                frame, info = read_search(layout, source, progress)
            elif isinstance(source, (CtgovSearch, EuropePmcSearch)):
                live = live_json.read(layout, source)
                frame, info = live.records, live.info
                registrations.append(live.registrations)
                links.append(live.links)
            else:
                frame, info = read_import(layout, source)
        except InputError as exc:
            problems += exc.problems
            continue
        frames.append(frame)
        infos.append(info)
    report(progress, "import: sources", len(protocol.sources), len(protocol.sources))
    if problems:
        raise InputError(problems)
    records = pl.concat(frames, how="vertical") if frames else empty()
    register = id_register.read(layout.id_register, layout.relative(layout.id_register))
    records, new_ids = id_register.assign(records, register)
    records = records.sort("source", "record_id")
    repeated = records.filter(pl.col("record_id").is_duplicated())["record_id"].unique().sort().to_list()
    if repeated:
        raise InternalError(f"record ids are not unique across sources: {', '.join(repeated[:5])}")
    regs = pl.concat(registrations).sort("record_id") if registrations else pl.DataFrame(schema=REGISTRATION_SCHEMA)
    link_frame = (pl.concat(links).unique().sort("record_id", "relation", "id_type", "id") if links
                  else pl.DataFrame(schema=LINK_SCHEMA))
    return Built(records, infos, new_ids, regs, link_frame)


def read_search(layout: Layout, search: PubMedSearch, progress: Progress | None = None) -> tuple[pl.DataFrame, SourceEntry]:
    """Records of a PubMed search's newest snapshot, one per PMID; a missing snapshot is not an error."""
    from pipeline.imports import pubmed_xml
    from pipeline.search import snapshot

    info = SourceEntry(
        name=search.name, type=SourceType.PUBMED, kind=search.kind, database=search.database,
        platform=search.platform, query=search.query, mindate=search.mindate, maxdate=search.maxdate,
        datetype=search.datetype)
    folder = snapshot.latest(layout, search.name)
    if folder is None:
        warning = (f"{search.name}: no PubMed snapshot yet under {layout.relative(layout.search_source(search.name))}/; "
                   f"run `{hints.make('search', layout)}` (needs network) to search it; 0 records for now")
        return empty(), replace(info, status=SourceState.NOT_SEARCHED, warnings=(warning,))
    log = snapshot.read_log(folder)
    info = replace(
        info, database=log.get("database") or search.database, platform=log.get("platform") or search.platform,
        snapshot=layout.relative(folder), query=log.get("query", search.query),
        query_translation=log.get("query_translation"), date=log.get("finished_at"),
        mindate=log.get("mindate", search.mindate), maxdate=log.get("maxdate", search.maxdate),
        datetype=log.get("datetype", search.datetype), count_reported=log.get("count_reported"),
        retrieved=log.get("retrieved"),
    )
    files = snapshot.efetch_files(folder)
    frames: list[pl.DataFrame] = []
    deleted: list[str] = []
    for done, path in enumerate(files, start=1):
        parsed = pubmed_xml.read(path, source=search.name, source_file=layout.relative(path))
        frames.append(parsed.records)
        deleted += parsed.deleted
        report(progress, f"import: {search.name} batches", done, len(files))
    records = pl.concat(frames, how="vertical") if frames else empty()
    records, warnings = one_per_pmid(records, search, info, hints.make('search', layout))
    records, removed = pubmed_xml.drop_deleted(records, deleted)   # NLM deleted them: never identified
    warnings = [f"{search.name}: {w}" for w in log.get("warnings") or []] + warnings
    return records, replace(info, warnings=tuple(warnings), records=records.height, deleted=removed)


def one_per_pmid(records: pl.DataFrame, search: PubMedSearch, info: SourceEntry,
                 search_again: str = "make search") -> tuple[pl.DataFrame, list[str]]:
    """Keep the first record of each PMID (batches of a live search can overlap); say what looks off."""
    warnings: list[str] = []
    records = records.with_columns(
        pl.coalesce(pl.col("record_id"), pl.lit(f"{search.name}:") + pl.col("pmid")).alias("record_id")
    )
    unique = records.unique(subset=["pmid"], keep="first", maintain_order=True)
    if unique.height < records.height:
        warnings.append(f"{search.name}: {records.height - unique.height} repeated PMID(s) across the snapshot's batches; kept the first of each")
    if info.retrieved is not None and info.retrieved != unique.height:
        warnings.append(f"{search.name}: the search log says {info.retrieved} records were retrieved, the snapshot holds {unique.height}")
    if " ".join(str(info.query or "").split()) != " ".join(search.query.split()):
        warnings.append(f"{search.name}: the protocol's query has changed since the snapshot {info.snapshot}; run `{search_again}` to search it again")
    return unique, warnings


def read_import(layout: Layout, source: ImportFile) -> tuple[pl.DataFrame, SourceEntry]:
    """Records of one import file through the reader for its format."""
    label = layout.relative(source.path)
    log = ReadLog()
    records = read_file(source, label, log)
    return records, SourceEntry(
        name=source.name, type=SourceType.IMPORT, kind=source.kind, database=source.database,
        records=records.height, warnings=tuple(log.warnings), file=label, format=source.format,
        sha256=sha256_file(source.path), encoding=log.encoding, searched=source.searched, rows_read=log.rows_read,
        junk_values=dict(log.emptied), deleted=log.deleted)


def read_file(source: ImportFile, label: str, log: ReadLog) -> pl.DataFrame:
    """Dispatch on the protocol's `format` (see `formats`)."""
    return formats.read(source.path, source.name, source.format, label, database=source.database,
                        columns=source.columns, encoding=source.encoding, log=log)


def write(layout: Layout, built: Built) -> list[Path]:
    """Write records.parquet, sources.json, registrations.parquet and links.parquet atomically; return
    the files whose content changed."""
    records = built.records.select(list(RECORD_SCHEMA))
    text = json.dumps(sources_to_json(built.sources), indent=2, ensure_ascii=False) + "\n"
    changed = []
    if write_parquet_atomic(layout.records, records):
        changed.append(layout.records)
    for path, frame in ((layout.registrations, built.registrations), (layout.records_links, built.links)):
        if write_parquet_atomic(path, frame):
            changed.append(path)
    if write_text_atomic(layout.records_sources, text):
        changed.append(layout.records_sources)
    if id_register.append(layout.id_register, built.new_ids):
        changed.append(layout.id_register)
    return changed


def describe(built: Built, layout: Layout, changed: list[Path]) -> str:
    """The stage's one-line summary: records per source and where they were written."""
    parts = [f"{s.name} {s.records}" + ("" if s.searched_yet else f" ({s.status})") for s in built.sources]
    where = f"{layout.relative(layout.records)} + {layout.records_sources.name}"
    junk = sum(sum((s.junk_values or {}).values()) for s in built.sources)
    return (f"{built.records.height} records from {len(built.sources)} sources ({', '.join(parts) or 'none'}) -> {where}"
            + (f"; {junk} junk value(s) read as empty (see the warnings)" if junk else "")
            + ("" if changed else " (unchanged)"))

