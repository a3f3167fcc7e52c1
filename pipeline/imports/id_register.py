"""The persistent id register: a record keeps its `record_id` whatever changes around it.

Reviewers' sheets, dedup decisions and resolutions all name records by `record_id`. An id built
from an export's content (a hash) would change when a column mapping, a cleaning rule or the
pipeline changes, orphaning every decision made on it. So the first id a record gets is written to
`outputs/records/id_register.csv` and carried over on every later import of the same source, by:

1. the export's own id (RIS `ID`/`AN`, Scopus EID, WoS UT, a mapped `id` column), then
2. DOI, then PMID, then
3. normalised title + year + first author's family name, then
4. for a record with none of these, the id its content gives (so an untitled row keeps its id too),

each register row claimed by at most one record. A record that matches no row is new and gets
the usual id (`<source>:<export id>` or `<source>:h<hash>`, made unique against the register). A
register row and a record with different export ids never match, so two records of one export stay
two. The register only grows: rows are appended, never removed or rewritten (a person may edit an
id there to re-attach a record; it is their file as much as ours). A re-exported file of the same
search (rows reordered, a few added or removed) keeps every id it can.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.console import warn
from pipeline.errors import InputError, Problem
from pipeline.files import write_bytes_atomic
from pipeline.textio import SHEET_FIX, decode, guard_cell, sniff_delimiter, unguard_cell, unix_lines

HEADER = ["record_id", "source", "export_id", "doi", "pmid", "title_key", "year", "first_author", "source_file"]


@dataclass(frozen=True)
class Entry:
    """One register row: the id a record was given, and what identifies that record."""

    record_id: str
    source: str
    export_id: str = ""
    doi: str = ""
    pmid: str = ""
    title_key: str = ""
    year: str = ""
    first_author: str = ""
    source_file: str = ""

    def row(self) -> list[str]:
        return [getattr(self, name) for name in HEADER]


def title_key(text: str | None) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: 'Ménière's, Disease.' -> 'meniere s disease'."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def family(authors: list[str] | None) -> str:
    """The first author's family name, lower case: 'Motl, R. W.' / 'Motl RW' / 'Motl R.W.' -> 'motl'."""
    if not authors:
        return ""
    name = authors[0]
    head = name.split(",", 1)[0] if "," in name else name.split()[0] if name.split() else ""
    return title_key(head)


def read(path: Path, label: str) -> list[Entry]:
    """The register's rows; a missing file is empty; a repeated id within a source is an InputError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    decoded = decode(data, label, fix=SHEET_FIX)
    if decoded.warning:
        warn(decoded.warning)
    text = unix_lines(decoded.text)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    missing = [c for c in ("record_id", "source") if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError.one(label, f"no {', '.join(missing)} column: this file keeps every record's id; restore it from git", 1)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for number, row in enumerate(reader, start=2):
        entry = Entry(**{name: unguard_cell((row.get(name) or "").strip()) for name in HEADER})
        if not entry.record_id:
            continue
        if entry.record_id in seen:
            problems.append(Problem(label, f"record id {entry.record_id!r} appears twice (first on row {seen[entry.record_id]}); "
                                           "keep one row per id", number, "record_id"))
        seen.setdefault(entry.record_id, number)
        entries.append(entry)
    if problems:
        raise InputError(problems)
    return entries


def assign(records: pl.DataFrame, register: list[Entry]) -> tuple[pl.DataFrame, list[Entry]]:
    """`records` with each record's registered id, and the register rows to append for new records."""
    if records.height == 0:
        return records, []
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for entry in register:
        by_source[entry.source].append(entry)
    taken_ids = {e.record_id for e in register}
    ids: list[str] = []
    new: list[Entry] = []
    cols = ["record_id", "source", "source_file", "source_record_id", "doi", "pmid", "title", "year", "authors"]
    current_source, index = None, None
    for rec in records.select(cols).iter_rows(named=True):
        if rec["source"] != current_source:
            current_source, index = rec["source"], _Index(by_source.get(rec["source"], []))
        assert index is not None
        me = _entry_for(rec)
        found = index.claim(me) or index.claim_id(rec["record_id"], me)
        if found is not None:
            ids.append(found.record_id)
            continue
        record_id, n = rec["record_id"], 1
        while record_id in taken_ids:
            n += 1
            record_id = f"{rec['record_id']}~r{n}"
        taken_ids.add(record_id)
        entry = Entry(record_id, **{k: v for k, v in me.__dict__.items() if k != "record_id"})
        new.append(entry)
        ids.append(record_id)
    return records.with_columns(pl.Series("record_id", ids, dtype=pl.Utf8)), new


def _entry_for(rec: dict) -> Entry:
    return Entry("", rec["source"], rec["source_record_id"] or "", rec["doi"] or "", rec["pmid"] or "",
                 title_key(rec["title"]), "" if rec["year"] is None else str(rec["year"]), family(rec["authors"]),
                 rec["source_file"] or "")


class _Index:
    """One source's register rows, looked up by export id, DOI, PMID, then title + year + first author."""

    def __init__(self, entries: list[Entry]):
        self.claimed: set[int] = set()
        self.entries = entries
        self.keys: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(4)]
        self.by_id = {e.record_id: i for i, e in enumerate(entries)}
        for i, e in enumerate(entries):
            for k, value in enumerate(self._keys(e)):
                if value:
                    self.keys[k][value].append(i)

    @staticmethod
    def _keys(e: Entry) -> tuple[str, str, str, str]:
        content = "\x1f".join((e.title_key, e.year, e.first_author)) if e.title_key else ""
        return e.export_id, e.doi, e.pmid, content

    def claim_id(self, base: str, me: Entry) -> Entry | None:
        """The row holding the id this record's content gives (`base`, then `base~r2`, ...), when
        nothing else identifies it: a record with no export id, DOI, PMID or title keeps its id."""
        n = 1
        while (i := self.by_id.get(base if n == 1 else f"{base}~r{n}")) is not None:
            entry = self.entries[i]
            if i not in self.claimed and not (entry.export_id and me.export_id and entry.export_id != me.export_id):
                self.claimed.add(i)
                return entry
            n += 1
        return None

    def claim(self, me: Entry) -> Entry | None:
        for k, value in enumerate(self._keys(me)):
            if not value:
                continue
            for i in self.keys[k].get(value, []):
                entry = self.entries[i]
                if i in self.claimed or (entry.export_id and me.export_id and entry.export_id != me.export_id):
                    continue
                self.claimed.add(i)
                return entry
        return None


def append(path: Path, new: list[Entry]) -> bool:
    """Add `new` rows at the end of the register (creating it with its header); nothing else changes."""
    if not new:
        return False
    try:
        old = Path(path).read_bytes()
    except FileNotFoundError:
        old = b""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if not old:
        writer.writerow(HEADER)
    writer.writerows([guard_cell(v) for v in e.row()] for e in new)
    if old and not old.endswith(b"\n"):
        old += b"\n"
    return write_bytes_atomic(path, old + buf.getvalue().encode("utf-8"))
