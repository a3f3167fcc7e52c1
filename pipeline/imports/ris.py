"""RIS exports (Embase, Scopus, Web of Science, Cochrane CENTRAL, Ovid, reference managers) via rispy.

rispy does the tag-by-tag parsing. Around it this module guards against the ways rispy would
silently lose records: text between records (skipped by rispy) is an error naming the line,
except reference numbers ("1.") and "Provider: ..." header lines before the first record; a
record with no closing `ER` (rispy drops it, e.g. a one-record file) is closed and kept; a
repeated single-valued tag (rispy keeps the first) is read as a list, because every tag is read
as a list here and the mapping to `RECORD_SCHEMA` decides what to keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import rispy
from rispy.config import TAG_KEY_MAPPING, TYPE_OF_REFERENCE_MAPPING

from pipeline.errors import InputError
from pipeline.imports.assemble import records_frame
from pipeline.imports.text import ReadLog, clean, clean_all, plain, read_text, split, year
from pipeline.records import normalise_doi

# RIS reference types as words, close to PubMed's publication types; others use rispy's words.
TYPE_WORDS = {
    "JOUR": "Journal Article", "JFULL": "Journal Article", "EJOUR": "Journal Article",
    "ABST": "Abstract", "CONF": "Conference Proceeding", "CPAPER": "Conference Paper",
    "BOOK": "Book", "EBOOK": "Book", "EDBOOK": "Book", "CHAP": "Book Chapter", "ECHAP": "Book Chapter",
    "THES": "Thesis", "RPRT": "Report", "GEN": "Generic", "ELEC": "Web Page", "DATA": "Dataset",
    "INPR": "In Press", "UNPB": "Unpublished Work", "NEWS": "Newspaper Article", "MGZN": "Magazine Article",
}
_EXTRA_TAGS = ("L3", "M2", "U1", "U2", "U3", "U4", "U5", "J1", "PT")
_TAGS = [t for t in (*TAG_KEY_MAPPING, *_EXTRA_TAGS) if t not in ("ER", "UK")]
_ACCESSION_PMID = re.compile(r"(?:MEDLINE:|PMID:?)?\s*(\d{1,9})", re.IGNORECASE)
_PMCID = re.compile(r"PMC\d+", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+\.?\s*$")               # "1." before a record (rispy, EndNote)
_HEADER = re.compile(r"^[A-Za-z][A-Za-z ]{0,30}: ")   # "Provider: ..." lines before the first record


def read_ris(path: Path, source: str, source_file: str | None = None, *, encoding: str | None = None,
             database: str = "", log: ReadLog | None = None) -> pl.DataFrame:
    """Records of one RIS file in RECORD_SCHEMA; `database` (from the protocol) says whether AN is a PMID."""
    label = source_file or str(path)
    log = log if log is not None else ReadLog()
    text = read_text(path, label, encoding, log)
    entries = parse(text, label, log)
    if not entries and text.strip():
        raise InputError.one(label, "no RIS records found (expected lines such as 'TY  - JOUR')", row=1)
    if not entries:
        log.warn(f"{label}: the file is empty; 0 records")
    return records_frame((to_record(e, database) for e in entries), source, label, log)


def parse(text: str, label: str, log: ReadLog | None = None) -> list[dict[str, Any]]:
    """rispy entries keyed by RIS tag (values are lists), each with the `line` its `TY` is on."""
    parser = _Parser(label)
    entries: list[dict[str, Any]] = parser.parse_lines(parser.lines(text))
    if parser.header and log is not None:
        log.warn(f"{label}: skipped {len(parser.header)} header line(s) before the first record: {'; '.join(parser.header[:3])}")
    if parser.unclosed and log is not None:
        lines = ", ".join(map(str, parser.unclosed[:5])) + (" ..." if len(parser.unclosed) > 5 else "")
        log.warn(f"{label}: {len(parser.unclosed)} record(s) without a closing 'ER' (starting on line {lines}); read up to the next record or the end of the file")
    return entries


def to_record(entry: dict[str, Any], database: str = "") -> dict[str, Any]:
    """One rispy entry as a record dict (RECORD_SCHEMA fields plus `line` and `notes`)."""
    def values(*tags: str) -> list[str]:
        found: list[str] = []
        for tag in tags:
            found += entry.get(tag) or entry.get("unknown", {}).get(tag) or []
        return clean_all(found)

    def first(*tags: str) -> str | None:
        found = values(*tags)
        return found[0] if found else None

    def joined(*tags: str) -> str | None:
        for tag in tags:
            text = clean(" ".join(entry.get(tag) or entry.get("unknown", {}).get(tag) or []))
            if text:
                return text
        return None

    ris_type = clean(entry.get("TY")) or ""
    doc_types = values("M3")
    journal = first("T2", "JF", "JO", "JA", "J2")
    abbrev = first("J2", "JA", "J1") or next((j for j in values("JO") if j != journal), None)
    db = " ".join([database, *values("DB", "DP")]).lower()
    pmid = None
    if "pubmed" in db or "medline" in db:
        match = _ACCESSION_PMID.fullmatch(first("AN") or "")
        pmid = match.group(1) if match else None
    return {
        "line": entry.get("line"),
        "source_record_id": first("ID") or first("AN"),
        "pmid": pmid,
        "pmcid": next((v for v in values("C2", "C7") if _PMCID.fullmatch(v)), None),
        "doi": _doi(values("DO"), values("UR", "L3", "L2", "L1", "L4", "M3", "N1")),
        "title": plain(joined("TI", "T1", "CT", "ST", "BT")),
        "abstract": plain(joined("AB", "N2")),
        "authors": values("AU", "A1"),
        "year": next((y for y in map(year, values("PY", "Y1", "DA")) if y), None),
        "journal": plain(journal),
        "journal_abbrev": abbrev,
        "volume": first("VL"),
        "issue": first("IS"),
        "pages": _pages(first("SP"), first("EP")),
        "publication_types": [w for w in [_type_word(ris_type), *doc_types] if w],
        "keywords": [k for v in values("KW") for k in split(v)],
        "language": [lang for v in values("LA") for lang in split(v)],
        "url": first("UR", "L2"),
        "retracted": any(t.lower() in ("retracted", "retracted publication", "retracted article") for t in doc_types),
        "notes": values("N1", "M1"),
    }


def _type_word(ris_type: str) -> str | None:
    """'JOUR' -> 'Journal Article'; unknown codes are kept as given."""
    if not ris_type:
        return None
    code = ris_type.upper()
    return TYPE_WORDS.get(code) or TYPE_OF_REFERENCE_MAPPING.get(code) or ris_type


def _doi(dois: list[str], others: list[str]) -> str | None:
    """The first valid DO value, else the first doi.org link or 'doi:' text among the other fields."""
    for value in dois:
        if doi := normalise_doi(value):
            return doi
    for value in others:
        if "doi" in value.lower() and (doi := normalise_doi(value)):
            return doi
    return None


def _pages(start: str | None, end: str | None) -> str | None:
    """SP/EP as '185-189' (as given, never expanded); SP alone when it already is a range."""
    if start and end and end != start and "-" not in start:
        return f"{start}-{end}"
    return start or end


class _Parser(rispy.RisParser):
    """rispy's parser reading every tag as a list, counting lines and refusing to skip text."""

    def __init__(self, label: str):
        super().__init__(
            mapping={**{t: t for t in _TAGS}, "TY": "TY", "ER": "ER", "UK": "unknown"},
            list_tags=[t for t in _TAGS if t != "TY"],
        )
        self.label = label
        self.line = 0
        self.open_at: int | None = None
        self.unclosed: list[int] = []
        self.started = False
        self.header: list[str] = []

    def lines(self, text: str) -> Iterator[str]:
        """The file's lines for rispy, with an 'ER' added where a record is left open."""
        for self.line, line in enumerate(text.split("\n"), start=1):
            if self.open_at is not None and line.startswith(self.START_TAG) and line[2:5] == "  -":
                self.unclosed.append(self.open_at)
                yield f"{self.END_TAG}  - "
            yield line
        if self.open_at is not None:
            self.unclosed.append(self.open_at)
            yield f"{self.END_TAG}  - "

    def _iter_till_start(self, lines: Iterator[str]) -> dict:
        while True:
            line = next(lines)
            tag, content = self.parse_line(line)
            if tag == self.START_TAG:
                self.open_at = self.line
                self.started = True
                return {"TY": content, "line": self.line}
            if not line.strip() or _NUMBER.match(line):
                continue
            if not self.started and _HEADER.match(line):
                self.header.append(line.strip())
                continue
            raise InputError.one(self.label, _outside_record(line, tag), row=self.line)

    def parse_line(self, line: str) -> tuple[str | None, str]:
        tag, content = super().parse_line(line)
        if tag == self.END_TAG:
            self.open_at = None
        return tag, content


def _outside_record(line: str, tag: str | None) -> str:
    """Why a line outside a record is refused, with a hint when the file is another format."""
    shown = line.strip()[:60]
    if re.match(r"^(PMID|TI  |AU  )- ", line):
        return f"{shown!r} is MEDLINE, not RIS: set format = \"medline\" for this source"
    if line.startswith(("FN ", "PT ", "VR ")):
        return f"{shown!r} is Web of Science plain text, not RIS: export as RIS instead"
    if tag == "ER":
        return "'ER' (end of record) without a record: expected 'TY  - ' first"
    return f"text outside a record ({shown!r}): each record must start with 'TY  - '"
