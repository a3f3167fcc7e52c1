"""CSV exports: PubMed's "Save -> CSV", Scopus's CSV, and any CSV with a column mapping.

The file is decoded and its delimiter sniffed by the rules of `pipeline.textio`, then read with
Python's `csv` module in strict mode so broken quoting is an error naming the line instead of a silently merged row.
Header names are matched without regard to case or surrounding spaces. Cells written by this
project's own CSV writer (`'=...`, guarded against spreadsheet formulas) are read back as written.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.errors import InputError, Problem
from pipeline.imports.assemble import records_frame
from pipeline.imports.text import ReadLog, clean, plain, read_text, split, year
from pipeline.links import pubmed_url
from pipeline.records import FLAG_COLUMNS, LIST_COLUMNS, RECORD_SCHEMA
from pipeline.textio import sniff_delimiter, unguard_cell

# Record fields a generic CSV may fill (`id` is short for source_record_id, the export's own id),
# plus `notes`: text searched for trial registration numbers only.
MAPPABLE = ("notes", *(f for f in RECORD_SCHEMA if f not in ("record_id", "source", "source_file")))
ALIASES = {"id": "source_record_id"}
_CITATION = re.compile(r";\s*(?P<volume>[^();:\s]+)?\s*(?:\((?P<issue>[^)]*)\))?\s*(?::\s*(?P<pages>[^;\s]+?))?\.?(?:\s|$)")
_TRUE = frozenset({"true", "yes", "y", "1", "x"})
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Table:
    """A CSV's header and its data rows, each with the line it starts on."""

    label: str
    header: list[str]
    rows: list[tuple[int, list[str]]]

    def column(self, *names: str) -> int | None:
        """Index of the first of `names` in the header (case and spaces ignored), else None."""
        keys = _keys(tuple(self.header))
        for name in names:
            index = keys.get(name.strip().lower())
            if index is not None:
                return index
        return None

    def require(self, *names: str) -> None:
        """A missing column among `names` is an InputError listing the columns the file has."""
        missing = [n for n in names if self.column(n) is None]
        if missing:
            raise InputError([Problem(self.label, f"no {n!r} column (columns: {', '.join(self.header)}); is the format right?", 1, n) for n in missing])


@dataclass(frozen=True)
class Row:
    """One data row: cells by header name or index, cleaned (placeholders -> None)."""

    table: Table
    line: int
    cells: list[str]

    def get(self, *names: str) -> str | None:
        index = self.table.column(*names)
        return self.at(index) if index is not None else None

    def at(self, index: int) -> str | None:
        return clean(self.cells[index])


@functools.cache
def _keys(header: tuple[str, ...]) -> dict[str, int]:
    """Lower-cased header name -> index of its first occurrence."""
    keys: dict[str, int] = {}
    for index, name in enumerate(header):
        keys.setdefault(name.strip().lower(), index)
    return keys


def read_table(path: Path, label: str, encoding: str | None, log: ReadLog) -> Table:
    """Decode and parse a CSV; ragged rows with extra cells and broken quoting raise InputError."""
    text = read_text(path, label, encoding, log)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=True)
    try:
        header = [unguard_cell(h.strip()) for h in next(reader, [])]
        rows: list[tuple[int, list[str]]] = []
        line = reader.line_num + 1
        short = 0
        for cells in reader:
            if any(c.strip() for c in cells):
                extra = [c for c in cells[len(header):] if c.strip()]
                if extra:
                    shown = ", ".join(repr(c[:30]) for c in extra)
                    raise InputError.one(label, f"{len(cells)} cells but the header has {len(header)} (extra: {shown}); check the delimiter and quoting", row=line)
                short += len(cells) < len(header)
                cells = cells[:len(header)]
                rows.append((line, [unguard_cell(c) for c in cells] + [""] * (len(header) - len(cells))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError.one(label, f"malformed CSV: {exc}", row=reader.line_num) from None
    if short:
        log.warn(f"{label}: {short} row(s) have fewer cells than the header; the missing cells were read as empty")
    return Table(label, header, rows)


def read_pubmed_csv(path: Path, source: str, source_file: str | None = None, *, encoding: str | None = None,
                    log: ReadLog | None = None) -> pl.DataFrame:
    """PubMed's CSV export (PMID, Title, Authors, Citation, Journal/Book, Publication Year, PMCID, DOI ...)."""
    label, log = source_file or str(path), log if log is not None else ReadLog()
    table = read_table(path, label, encoding, log)
    table.require("PMID", "Title")
    return records_frame(_rows(table, _pubmed_row), source, label, log)


def read_scopus_csv(path: Path, source: str, source_file: str | None = None, *, encoding: str | None = None,
                    log: ReadLog | None = None) -> pl.DataFrame:
    """Scopus's CSV export (Authors, Title, Year, Source title, ..., DOI, Link, Abstract, EID, PubMed ID ...)."""
    label, log = source_file or str(path), log if log is not None else ReadLog()
    table = read_table(path, label, encoding, log)
    table.require("Title")
    return records_frame(_rows(table, _scopus_row), source, label, log)


def read_csv(path: Path, source: str, source_file: str | None = None, *, columns: dict[str, str] | None = None,
             encoding: str | None = None, log: ReadLog | None = None) -> pl.DataFrame:
    """Any CSV: `columns` maps record field (or `id`, `notes`) -> CSV column; unmapped fields match by name."""
    label, log = source_file or str(path), log if log is not None else ReadLog()
    table = read_table(path, label, encoding, log)
    mapping = column_mapping(table, columns or {})
    return records_frame(_rows(table, lambda row: _generic_row(row, mapping, log)), source, label, log)


def column_mapping(table: Table, columns: dict[str, str]) -> dict[str, int]:
    """Record field -> column index: the protocol's mapping first, then same-named columns."""
    problems: list[Problem] = []
    mapping: dict[str, int] = {}
    for key, name in columns.items():
        field = ALIASES.get(key, key)
        index = table.column(str(name))
        if field not in MAPPABLE:
            problems.append(Problem(table.label, f"the protocol's [sources.columns] names {key!r}, which is not a record field (use one of: id, {', '.join(MAPPABLE)})"))
        elif index is None:
            problems.append(Problem(table.label, f"no column {name!r} for {key!r} from the protocol's [sources.columns] (columns: {', '.join(table.header)})", 1, str(name)))
        else:
            mapping[field] = index
    if problems:
        raise InputError(problems)
    used = set(mapping.values())
    for field in MAPPABLE:
        names = [field, *(alias for alias, target in ALIASES.items() if target == field)]
        index = table.column(*names)
        if field not in mapping and index is not None and index not in used:
            mapping[field] = index
    if "title" not in mapping:
        raise InputError.one(table.label, f"no title column: map one with title = \"<column>\" in [sources.columns] (columns: {', '.join(table.header)})", 1)
    return mapping


def _rows(table: Table, convert: Callable[[Row], dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each data row as a record dict, with the line it starts on."""
    for line, cells in table.rows:
        yield {**convert(Row(table, line, cells)), "line": line}


def _pubmed_row(row: Row) -> dict[str, Any]:
    get = row.get
    pmid = get("PMID")
    citation = _CITATION.search(get("Citation") or "")
    journal = get("Journal/Book")
    return {
        "source_record_id": pmid,
        "pmid": pmid,
        "pmcid": get("PMCID"),
        "doi": get("DOI"),
        "title": plain(get("Title")),
        "authors": [a.strip().rstrip(".") for a in split(get("Authors"), ",")],
        "year": year(get("Publication Year")),
        "journal": journal,
        "journal_abbrev": journal,
        "volume": citation and citation.group("volume"),
        "issue": citation and citation.group("issue"),
        "pages": citation and citation.group("pages"),
        "url": pubmed_url(pmid) if pmid and pmid.isdigit() else None,
    }


def _scopus_row(row: Row) -> dict[str, Any]:
    get = row.get
    authors = get("Authors")
    start, end = get("Page start"), get("Page end")
    doc_type = get("Document Type")
    return {
        "source_record_id": get("EID"),
        "pmid": get("PubMed ID"),
        "doi": get("DOI"),
        "title": plain(get("Title")),
        "abstract": get("Abstract"),
        "authors": split(authors, ";" if authors and ";" in authors else ","),
        "year": year(get("Year")),
        "journal": plain(get("Source title")),
        "journal_abbrev": get("Abbreviated Source Title"),
        "volume": get("Volume"),
        "issue": get("Issue"),
        "pages": f"{start}-{end}" if start and end and start != end else start or end or get("Art. No."),
        "publication_types": [doc_type] if doc_type else [],
        "keywords": [*split(get("Author Keywords")), *split(get("Index Keywords"))],
        "language": split(get("Language of Original Document")),
        "url": get("Link"),
        "retracted": (doc_type or "").lower() == "retracted",
    }


def _generic_row(row: Row, mapping: dict[str, int], log: ReadLog) -> dict[str, Any]:
    """A row of a generic CSV through the column mapping; list cells are split on ';'."""
    record: dict[str, Any] = {}
    for field, index in mapping.items():
        value = row.at(index)
        if field == "notes":
            record["notes"] = [value] if value else []
        elif field in LIST_COLUMNS:
            record[field] = split(value)
        elif field in FLAG_COLUMNS:
            record[field] = (value or "").lower() in _TRUE
        elif field == "year":
            record[field] = year(value)
            if value and record[field] is None:
                log.warn(f"{row.table.label}, row {row.line}, column {row.table.header[index]!r}: {value!r} is not a year; left empty")
        elif field in ("title", "journal"):
            record[field] = plain(value)
        else:
            record[field] = value
    return record
