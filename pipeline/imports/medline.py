"""MEDLINE / .nbib files (PubMed's "Save -> PubMed format" export) via Bio.Medline.

Bio.Medline reads any line as "TAG - value" without checking it, so this module hands it the lines
one by one and first checks each is a tag line, a 6-space continuation or blank; anything else is
an error naming the line (it would otherwise become a nonsense tag and lose its text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from Bio import Medline

from pipeline.errors import InputError
from pipeline.imports.assemble import records_frame
from pipeline.imports.text import ReadLog, clean, clean_all, plain, read_text, year
from pipeline.links import pubmed_url
from pipeline.records import normalise_doi

# A tag padded to four characters, then "- " (Bio.Medline slices the line at these positions).
_TAG_LINE = re.compile(r"^(?:[A-Z][A-Z0-9]{3}|[A-Z][A-Z0-9]{2} |[A-Z][A-Z0-9]  )-(?: |$)")
_PMID = re.compile(r"\bPMID:\s*(\d+)")
_DOI = re.compile(r"(\S+)\s*\[doi\]", re.IGNORECASE)


def read_medline(path: Path, source: str, source_file: str | None = None, *, encoding: str | None = None,
                 log: ReadLog | None = None) -> pl.DataFrame:
    """Records of one MEDLINE/nbib file in RECORD_SCHEMA; PMID is the export id."""
    label = source_file or str(path)
    log = log if log is not None else ReadLog()
    text = read_text(path, label, encoding, log)
    entries = parse(text, label)
    if not entries:
        log.warn(f"{label}: the file is empty; 0 records")
    return records_frame((to_record(e) for e in entries), source, label, log)


def parse(text: str, label: str) -> list[dict[str, Any]]:
    """Bio.Medline records, each with the `line` its first tag is on; bad lines raise InputError."""
    lines = _Lines(text, label)
    entries = []
    for entry in Medline.parse(lines):
        entry = dict(entry)
        if "TY" in entry and "ER" in entry:
            raise InputError.one(label, "this is RIS, not MEDLINE: set format = \"ris\" for this source", row=lines.start)
        entry["line"] = lines.start
        entries.append(entry)
    return entries


def to_record(entry: dict[str, Any]) -> dict[str, Any]:
    """One Bio.Medline record as a record dict (RECORD_SCHEMA fields plus `line` and `notes`)."""
    def values(tag: str) -> list[str]:
        value = entry.get(tag) or []
        return clean_all([value] if isinstance(value, str) else value)

    def text(tag: str) -> str | None:
        found = values(tag)
        return clean(" ".join(found)) if found else None

    pmid = text("PMID")
    pubtypes = values("PT")
    identifiers = [*values("AID"), *values("LID")]
    doi = next((d for d in (normalise_doi(m.group(1)) for v in identifiers for m in _DOI.finditer(v)) if d), None)
    return {
        "line": entry.get("line"),
        "source_record_id": pmid,
        "pmid": pmid,
        "pmcid": text("PMC"),
        "doi": doi,
        "title": plain(text("TI")) or plain(text("TT")) or plain(text("BTI")),
        "abstract": text("AB"),
        "authors": [*values("AU"), *values("CN")],
        "year": year(text("DP")),
        "journal": text("JT") or text("TA"),
        "journal_abbrev": text("TA"),
        "volume": text("VI"),
        "issue": text("IP"),
        "pages": text("PG"),
        "publication_types": pubtypes,
        "mesh": [_descriptor(v) for v in values("MH")],
        "keywords": values("OT"),
        "language": values("LA"),
        "registry_ids": [],
        "url": pubmed_url(pmid) if pmid and pmid.isdigit() else None,
        # RPI/CRI: retracted (corrected) and republished in; UIN: update in (as the XML's CommentsCorrections)
        "retracted": bool(values("RIN") or values("RPI")) or "Retracted Publication" in pubtypes,
        "has_erratum": bool(values("EIN") or values("CRI")),
        "updated_in": list(dict.fromkeys(m.group(1) for v in values("UIN") for m in _PMID.finditer(v))),
        "has_expression_of_concern": bool(values("ECI")),
        "notes": values("SI"),
    }


def _descriptor(heading: str) -> str:
    """'*Mesenchymal Stem Cell Transplantation/*methods' -> 'Mesenchymal Stem Cell Transplantation'."""
    return heading.split("/", 1)[0].lstrip("*").strip()


class _Lines:
    """The file's lines for Bio.Medline, checked one by one; `start` is the current record's first line."""

    def __init__(self, text: str, label: str):
        self.text = text
        self.label = label
        self.start: int | None = None

    def __iter__(self) -> Iterator[str]:
        blank = True
        for number, line in enumerate(self.text.split("\n"), start=1):
            if not line.strip() and (blank or not line.startswith("      ")):
                blank = True
                yield "\n"
                continue
            if line.startswith("      "):
                if blank:
                    raise InputError.one(self.label, "continuation line (6 spaces) without a tag line before it", row=number)
            elif not _TAG_LINE.match(line):
                raise InputError.one(self.label, f"not a MEDLINE line: {line.strip()[:60]!r} (expected 'TAG - value' or a 6-space continuation)", row=number)
            elif blank:
                self.start = number
            blank = False
            yield line + "\n"
