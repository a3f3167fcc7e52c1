"""Turn the record dicts a reader collected into the records table, with stable record ids.

Every reader yields plain dicts of `RECORD_SCHEMA` fields plus `line` (where the record starts in
its file) and `notes` (free text searched for trial registration numbers). This module gives each
one its `record_id`: `<source>:<export id>` when the export has an id, else `<source>:h<hash>`
of its content, so ids stay the same when the same file is read again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from pipeline.imports.text import ReadLog, clean, clean_all, count_junk, counting_junk
from pipeline.records import LIST_COLUMNS, RECORD_SCHEMA, conform, find_registry_ids, normalise_doi, normalise_pmcid

# Fields that say what a record is; the content hash of a record without an export id uses them.
_PMID = re.compile(r"(?:pmid:?\s*)?0*(\d{1,9})", re.IGNORECASE)
# Integer-overflow markers some exports write for a missing number (page 2147483647).
_JUNK_NUMBER = re.compile(r"(?<!\d)(?:2147483647|2147483648|4294967295)(?!\d)")
_HASHED = ("pmid", "pmcid", "doi", "title", "abstract", "authors", "year", "journal", "volume", "issue", "pages")


def records_frame(rows: Iterable[dict[str, Any]], source: str, source_file: str, log: ReadLog) -> pl.DataFrame:
    """`rows` as a RECORD_SCHEMA frame in file order; repeated export ids get `~2`, `~3` ... (warned)."""
    out: list[dict[str, Any]] = []
    first_line: dict[str, int | None] = {}
    repeats: list[str] = []
    normalised: list[tuple[int | None, dict[str, Any]]] = []
    junk_lines: list[int] = []                      # where junk was emptied, so a person can find it
    with counting_junk(log):
        seen = 0
        for row in rows:
            normalised.append((row.get("line"), _normalise(row, source_file, log)))
            if (total := sum(log.emptied.values())) > seen:
                seen = total
                if row.get("line") is not None:
                    junk_lines.append(row["line"])
    for line, record in normalised:
        export_id = record.get("source_record_id")
        base = f"{source}:{export_id}" if export_id else f"{source}:h{_content_hash(record)}"
        record_id, n = base, 1
        while record_id in first_line:
            n += 1
            record_id = f"{base}~{n}" if export_id else f"{source}:h{_content_hash(record, n)}"
        if n > 1 and export_id:
            repeats.append(f"{export_id!r} (lines {first_line[base]} and {line})")
        first_line[record_id] = line
        record.update(record_id=record_id, source=source, source_file=source_file)
        out.append(record)
    if repeats:
        shown = ", ".join(repeats[:5]) + (f" and {len(repeats) - 5} more" if len(repeats) > 5 else "")
        log.warn(f"{source_file}: the export id {shown} appears more than once; kept every record, later ones with ids ending ~2, ~3, ...")
    log.rows_read = len(out)
    if log.emptied:
        shown = ", ".join(f"{n} x {what}" for what, n in log.emptied.most_common(6))
        where = (f" on row(s) {', '.join(map(str, junk_lines[:8]))}" + (f" and {len(junk_lines) - 8} more"
                 if len(junk_lines) > 8 else "")) if junk_lines else ""
        log.warn(f"{source_file}: {sum(log.emptied.values())} junk value(s) read as empty ({shown}"
                 + (", ..." if len(log.emptied) > 6 else "") + f"){where}")
    if not out:
        return conform(pl.DataFrame(schema=RECORD_SCHEMA))
    return conform(pl.DataFrame(out, schema=RECORD_SCHEMA))


def _normalise(row: dict[str, Any], source_file: str, log: ReadLog) -> dict[str, Any]:
    """Identifiers normalised, list fields cleaned, registry ids found in title, abstract, notes, url."""
    record = {k: v for k, v in row.items() if k in RECORD_SCHEMA}
    for name in ("pages", "volume", "issue"):
        value = record.get(name)
        junk = _JUNK_NUMBER.search(value) if isinstance(value, str) else None
        if isinstance(value, str) and junk:
            count_junk(f"{name.rstrip('s')} {junk.group(0)}")
            value = _JUNK_NUMBER.sub("", value).strip(" -–") or None
            record[name] = value
    for name in LIST_COLUMNS:
        record[name] = clean_all(record.get(name) or [])
    # two authors may share a name ("Singh M", "Singh M"): authors keep repeats, other lists do not
    record["authors"] = [a for a in (clean(v) for v in row.get("authors") or []) if a]
    record["doi"] = normalise_doi(record.get("doi"))
    record["pmcid"] = normalise_pmcid(record.get("pmcid"))
    pmid = record.get("pmid")
    match = _PMID.fullmatch(pmid.strip()) if pmid else None
    record["pmid"] = match.group(1) if match else None
    if pmid and not match:
        log.warn(f"{source_file}, line {row.get('line')}: PMID {pmid!r} is not a number; left empty")
    notes = row.get("notes") or []
    found = find_registry_ids(record.get("title"), record.get("abstract"), *notes, record.get("url"))
    record["registry_ids"] = list(dict.fromkeys([*(i.upper() for i in record["registry_ids"]), *found]))
    return record


def _content_hash(record: dict[str, Any], occurrence: int = 1) -> str:
    """12 hex digits of SHA-256 over the record's describing fields (and its repeat number after the first)."""
    payload = {k: record.get(k) for k in _HASHED}
    if occurrence > 1:
        payload["occurrence"] = occurrence
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]
