"""Tagged plain-text exports: Web of Science "Plain text file" and the Cochrane Library's text export.

Web of Science writes `FN`/`VR` header lines, then per record a two-letter tag, a space and the
value, with continuation lines indented by three spaces; repeated fields such as `AU` carry one
author per line; `ER` ends a record and `EF` the file. The Cochrane Library (CENTRAL) writes
`Record #1 of 12` lines, then `TAG: value` lines (`ID: CN-…`, `AU:` once per author, `TI`, `SO`,
`YR`, `VL`, `NO`, `PG`, `PM: PUBMED 123`, `DOI`, `AB`, `KY`, `PT`, `US`). Both readers check every
line and refuse text they do not understand, naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.errors import InputError
from pipeline.imports.assemble import records_frame
from pipeline.imports.authors import split_each
from pipeline.imports.text import ReadLog, clean, clean_all, plain, read_text, split, year

_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9]) (.*)$")
_WOS_JOINED = ("TI", "SO", "AB", "SE", "BS", "FX", "CT", "HO", "PU", "PA")
_COCHRANE_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3}): ?(.*)$")
_RECORD_LINE = re.compile(r"^Record #\d+ of \d+\s*$")


def read_wos_txt(path: Path, source: str, source_file: str, *, encoding: str | None, log: ReadLog) -> pl.DataFrame:
    """Records of a Web of Science plain-text export; the UT accession number is the export id."""
    text = read_text(path, source_file, encoding, log)
    entries = list(_wos_entries(text, source_file))
    if not entries:
        log.warn(f"{source_file}: no records in the file; 0 records")
    return records_frame((_wos_record(e) for e in entries), source, source_file, log)


def _wos_entries(text: str, label: str) -> Iterator[dict[str, Any]]:
    entry: dict[str, Any] | None = None
    tag: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r").lstrip("\ufeff")
        if not line.strip():
            continue
        if line.startswith("   ") and entry is not None and tag:
            entry.setdefault(tag, []).append(line.strip())
            continue
        if line.strip() in ("ER", "EF"):
            if entry is not None:
                yield entry
            entry, tag = None, None
            continue
        match = _WOS_TAG.match(line)
        if not match:
            raise InputError.one(label, f"not a Web of Science tag line: {line.strip()[:60]!r} (expected 'TG value', a 3-space continuation, ER or EF)", row=number)
        tag, value = match.groups()
        if tag in ("FN", "VR") and entry is None:
            continue
        if entry is None:
            entry = {"line": number}
        entry.setdefault(tag, []).append(value.strip())
    if entry is not None:
        yield entry


def _wos_record(entry: dict[str, Any]) -> dict[str, Any]:
    def values(tag: str) -> list[str]:
        return clean_all(entry.get(tag) or [])

    def text(tag: str) -> str | None:
        found = entry.get(tag) or []
        return clean(" ".join(found)) if found else None

    def first(tag: str) -> str | None:
        found = values(tag)
        return found[0] if found else None

    types = [t for v in values("DT") for t in split(v)]
    start, end = first("BP"), first("EP")
    return {
        "line": entry["line"],
        "source_record_id": first("UT"),
        "pmid": first("PM"),
        "doi": first("DI"),
        "title": plain(text("TI")),
        "abstract": plain(text("AB")),
        "authors": split_each(values("AU") or values("AF")),
        "year": year(first("PY")),
        "journal": plain(text("SO")),
        "journal_abbrev": first("JI") or first("J9"),
        "volume": first("VL"),
        "issue": first("IS"),
        "pages": (f"{start}-{end}" if start and end and start != end else start or end) or first("AR"),
        "publication_types": types,
        "keywords": [k for tag in ("DE", "ID") for k in split(text(tag))],
        "language": split(text("LA")),
        "retracted": any("retract" in t.lower() for t in types),
    }


def read_cochrane_txt(path: Path, source: str, source_file: str, *, encoding: str | None, log: ReadLog) -> pl.DataFrame:
    """Records of a Cochrane Library plain-text export (CENTRAL); the CN- accession is the export id."""
    text = read_text(path, source_file, encoding, log)
    header: list[str] = []
    entries = list(_cochrane_entries(text, source_file, header))
    if header:
        log.warn(f"{source_file}: skipped {len(header)} line(s) before the first record: {'; '.join(header[:3])}")
    if not entries:
        log.warn(f"{source_file}: no records in the file; 0 records")
    return records_frame((_cochrane_record(e) for e in entries), source, source_file, log)


def _cochrane_entries(text: str, label: str, header: list[str]) -> Iterator[dict[str, Any]]:
    """Records by `Record #` line or repeated `ID:`; lines such as "Date of export: ..." before the first
    record go to `header`."""
    entry: dict[str, Any] | None = None
    tag: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r").lstrip("\ufeff")
        if not line.strip():
            continue
        if entry is None and not _RECORD_LINE.match(line.strip()) and not _COCHRANE_TAG.match(line) \
                and re.match(r"^[A-Za-z][A-Za-z ]{0,40}: ", line):
            header.append(line.strip())
            continue
        if _RECORD_LINE.match(line.strip()):
            if entry:
                yield entry
            entry, tag = {"line": number}, None
            continue
        match = _COCHRANE_TAG.match(line)
        if match:
            tag, value = match.groups()
            if entry is None or (tag == "ID" and "ID" in entry):
                if entry:
                    yield entry
                entry = {"line": number}
            entry.setdefault(tag, []).append(value.strip())
        elif entry is not None and tag:
            entry[tag][-1] += " " + line.strip()  # a wrapped value (long abstracts)
        else:
            raise InputError.one(label, f"not a Cochrane Library export line: {line.strip()[:60]!r} (expected 'Record #1 of N' or 'TAG: value')", row=number)
    if entry:
        yield entry


def _cochrane_record(entry: dict[str, Any]) -> dict[str, Any]:
    def values(tag: str) -> list[str]:
        return clean_all(entry.get(tag) or [])

    def first(tag: str) -> str | None:
        found = values(tag)
        return found[0] if found else None

    pmid = next((m.group(1) for v in values("PM") if (m := re.search(r"(\d{1,9})", v))), None)
    cn = first("ID")
    return {
        "line": entry["line"],
        "source_record_id": cn,
        "pmid": pmid,
        "doi": first("DOI"),
        "title": plain(first("TI")),
        "abstract": plain(" ".join(values("AB")) or None),
        "authors": split_each(values("AU")),
        "year": year(first("YR")),
        "journal": plain(first("SO")),
        "volume": first("VL"),
        "issue": first("NO"),
        "pages": first("PG"),
        "publication_types": [t for v in values("PT") for t in split(v)],
        "keywords": [k for v in values("KY") for k in split(v)],
        "language": split(first("LA")),
        "url": first("US"),
        "notes": values("XR") + values("CC"),
    }
