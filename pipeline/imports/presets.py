"""Column presets for the CSV and tab-delimited exports people actually have, and format detection.

Each `CsvPreset` names the protocol `format`, the export menu it comes from (docs/imports.md
quotes it), the columns that identify the export (`signature`), and, per record field, the
header names it may carry (first found wins; case and spaces ignored). One row converter reads
every preset, so a new export layout is a table entry, not a new reader.

`detect_csv(header)` says which presets a header fits, and `sniff(text)` which format a file's
opening looks like; both feed the "this file looks like ..." hint when a file does not fit the
format the protocol names. PubMed's and Scopus's CSV keep their readers in `csv_exports`
(citation parsing, page ranges) but are listed here so detection knows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.errors import InputError, Problem
from pipeline.imports.assemble import records_frame
from pipeline.imports.authors import split_authors
from pipeline.imports.csv_exports import Row, Table, parse_table
from pipeline.imports.text import ReadLog, plain, read_text, split, year

Fields = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class CsvPreset:
    """One export layout: where it comes from, how to recognise it, where each field is."""

    name: str
    menu: str
    signature: tuple[tuple[str, ...], ...]   # every group must have one of its columns present
    fields: Fields = field(default_factory=dict)
    list_sep: str = ";"                     # separator inside keyword / type / language cells
    quoted: bool = True                     # False: `"` is text (WoS tab-delimited never quotes)

    def fits(self, table: Table) -> bool:
        return not self.missing(table)

    def missing(self, table: Table) -> list[tuple[str, ...]]:
        """Signature column groups the header has none of."""
        return [group for group in self.signature if table.column(*group) is None]


PRESETS: dict[str, CsvPreset] = {p.name: p for p in (
    CsvPreset(
        "pubmed-csv", "PubMed: Save > Format: CSV",
        signature=(("PMID",), ("Title",), ("Citation",)),
    ),
    CsvPreset(
        "scopus-csv", "Scopus: Export > CSV",
        signature=(("Title",), ("Source title",), ("EID", "Link")),
    ),
    CsvPreset(
        "embase-csv", "Embase (embase.com): Export > CSV - Fields by column",
        signature=(("Title",), ("Author Names",), ("Embase Accession ID", "PUI", "Embase Link", "Emtree Drug Index Terms")),
        fields={
            "source_record_id": ("Embase Accession ID", "PUI"),
            "pmid": ("Medline PMID",),
            "doi": ("DOI",),
            "title": ("Title",),
            "abstract": ("Abstract",),
            "authors": ("Author Names",),
            "year": ("Publication Year", "Date of Publication"),
            "journal": ("Source title", "Source"),
            "volume": ("Volume",), "issue": ("Issue",),
            "page_start": ("First Page",), "page_end": ("Last Page",),
            "publication_types": ("Publication Type",),
            "keywords": ("Author Keywords",),
            "mesh": ("Emtree Medical Index Terms", "Emtree Drug Index Terms"),
            "language": ("Article Language", "Language of Article"),
            "url": ("Embase Link", "Full Text Link"),
            "notes": ("Clinical Trial Numbers",),
        },
        list_sep=",",
    ),
    CsvPreset(
        "pop-csv", "Publish or Perish: File > Save as CSV (any data source, e.g. Google Scholar, PubMed, Crossref)",
        signature=(("Title",), ("Authors",), ("GSRank", "CitesURL", "ArticleURL")),
        fields={
            "doi": ("DOI",),
            "title": ("Title",),
            "abstract": ("Abstract",),
            "authors": ("Authors",),
            "year": ("Year",),
            "journal": ("Source",),
            "volume": ("Volume",), "issue": ("Issue",),
            "page_start": ("StartPage",), "page_end": ("EndPage",),
            "publication_types": ("Type",),
            "url": ("ArticleURL", "FullTextURL"),
        },
    ),
    CsvPreset(
        "wos-tab", "Web of Science: Export > Tab delimited file (field tags as headers)",
        signature=(("TI",), ("UT",)),
        fields={
            "source_record_id": ("UT",), "pmid": ("PM",), "doi": ("DI",),
            "title": ("TI",), "abstract": ("AB",), "authors": ("AU", "AF"),
            "year": ("PY",), "journal": ("SO",), "journal_abbrev": ("JI", "J9"),
            "volume": ("VL",), "issue": ("IS",), "page_start": ("BP",), "page_end": ("EP",), "article": ("AR",),
            "publication_types": ("DT",), "keywords": ("DE", "ID"), "language": ("LA",),
        },
        quoted=False,
    ),
    CsvPreset(
        "wos-csv", "Web of Science: Export > Excel, saved as CSV (full column names)",
        signature=(("Article Title",), ("UT (Unique WOS ID)",)),
        fields={
            "source_record_id": ("UT (Unique WOS ID)",), "pmid": ("Pubmed Id",), "doi": ("DOI",),
            "title": ("Article Title",), "abstract": ("Abstract",), "authors": ("Authors", "Author Full Names"),
            "year": ("Publication Year",), "journal": ("Source Title",),
            "journal_abbrev": ("Journal ISO Abbreviation", "Journal Abbreviation"),
            "volume": ("Volume",), "issue": ("Issue",), "page_start": ("Start Page",), "page_end": ("End Page",),
            "article": ("Article Number",), "publication_types": ("Document Type",),
            "keywords": ("Author Keywords", "Keywords Plus"), "language": ("Language",),
        },
    ),
    CsvPreset(
        "ebsco-csv", "EBSCOhost (CINAHL, MEDLINE, APA PsycInfo ...): Export > CSV",
        signature=(("Title",), ("Accession Number", "An"), ("Publication Date", "Database")),
        fields={
            "source_record_id": ("Accession Number", "An"), "doi": ("DOI", "Digital Object Identifier"),
            "title": ("Title",), "abstract": ("Abstract",), "authors": ("Authors", "Author"),
            "year": ("Publication Date", "Publication Year"), "journal": ("Source", "Journal Title", "Publication Name"),
            "volume": ("Volume",), "issue": ("Issue",), "page_start": ("Start Page",), "page_end": ("End Page",),
            "pages": ("Pages",),
            "publication_types": ("Publication Type", "Document Type"), "keywords": ("Subjects", "Author Supplied Keywords"),
            "language": ("Language",), "url": ("Persistent Link", "Plink", "URL"), "pmid": ("PubMed ID", "PMID"),
        },
    ),
)}

def detect_csv(table: Table) -> list[str]:
    """Presets whose signature the header fits, most specific (most signature groups) first."""
    found = [p for p in PRESETS.values() if p.fits(table)]
    return [p.name for p in sorted(found, key=lambda p: -len(p.signature))]


def sniff(text: str) -> str | None:
    """The format a decoded file's opening looks like (text formats by their tags), else None."""
    lines = [line for line in text.split("\n", 40)[:40] if line.strip()]
    if not lines:
        return None
    head = "\n".join(lines[:30])
    if re.search(r"^FN (?:Clarivate|Thomson|ISI)", head, re.M) or (re.search(r"^PT [A-Z]\s*$", head, re.M) and re.search(r"^(?:AU|TI) ", head, re.M)):
        return "wos-txt"
    if re.search(r"^TY  -", head, re.M):
        return "ris"
    if re.search(r"^PMID- ?\d", head, re.M):
        return "medline"
    if re.search(r"<(?:PubmedArticleSet|PubmedBookArticleSet|MedlineCitationSet)\b", head):
        return "pubmed-xml"
    if re.search(r"^ID: CN-\d+", head, re.M) or re.match(r"^Record #\d+ of \d+", lines[0]):
        return "cochrane-txt"
    if re.search(r"^\s*@\w+\s*[{(]", head, re.M):
        return "bibtex"
    return None


def hint(text: str, label: str, chosen: str) -> str | None:
    """A sentence naming the format this file fits, when it is not the `chosen` one."""
    fmt = sniff(text)
    for skip in range(6) if fmt is None else ():      # a preamble (Embase's search line) may come first
        try:
            fits = detect_csv(parse_table(text, label, ReadLog(), skip=skip))
        except InputError:
            continue
        if fits:
            fmt = fits[0]
            break
    if fmt is None or fmt == chosen:
        return None
    return f"this file looks like {PRESETS[fmt].menu if fmt in PRESETS else fmt}: set format = \"{fmt}\" for this source"


def read_preset(path: Path, source: str, fmt: str, label: str, *, encoding: str | None, log: ReadLog) -> pl.DataFrame:
    """Records of one CSV / tab-delimited export in the layout of preset `fmt`."""
    preset = PRESETS[fmt]
    text = read_text(path, label, encoding, log)
    table = header_table(text, label, log, preset)
    return records_frame(_rows(table, preset), source, label, log)


def header_table(text: str, label: str, log: ReadLog, preset: CsvPreset) -> Table:
    """The table with its header on the first of the opening lines that fits `preset` (a preamble such
    as Embase's search line is skipped and warned about); no fitting header is an InputError naming
    the missing columns and the preset the header does fit."""
    try:
        first: Table | None = parse_table(text, label, log, quoted=preset.quoted)
    except InputError as exc:
        first, error = None, exc
    if first is not None and preset.fits(first):
        return first
    for skip in range(1, 6):
        try:
            later = parse_table(text, label, ReadLog(), skip=skip, quoted=preset.quoted)
        except InputError:
            continue
        if preset.fits(later):
            log.warn(f"{label}: skipped {skip} line(s) before the header")
            return parse_table(text, label, log, skip=skip, quoted=preset.quoted)
    if first is None:
        try:  # unreadable as this preset reads it: say what the header lacks, if it can be read at all
            first = parse_table(text, label, ReadLog())
        except InputError:
            raise error from None
    raise header_error(first, preset.name, preset.missing(first))


def header_error(table: Table, chosen: str, missing: list[tuple[str, ...]]) -> InputError:
    """The header does not fit `chosen`: one problem per missing column, then the preset it does fit."""
    fits = [f for f in detect_csv(table) if f != chosen]
    shown = ", ".join(table.header[:30]) + (" ..." if len(table.header) > 30 else "")
    problems = [Problem(table.label, f"does not fit format \"{chosen}\": no {' or '.join(repr(c) for c in group)} column "
                                     f"(columns: {shown})", 1, group[0]) for group in missing]
    advice = (f"the header fits {PRESETS[fits[0]].menu}: set format = \"{fits[0]}\" for this source" if fits
              else "no preset fits this header: check the export menu (docs/imports.md lists each preset), "
                   "or use format = \"csv\" with [sources.columns]")
    return InputError([*problems, Problem(table.label, advice)])


def check_fits(table: Table, chosen: str) -> None:
    """For readers outside this module (PubMed / Scopus CSV): raise `header_error` unless the header fits."""
    missing = PRESETS[chosen].missing(table)
    if missing:
        raise header_error(table, chosen, missing)


def _rows(table: Table, preset: CsvPreset) -> Iterator[dict[str, Any]]:
    fields = {name: table.column(*headers) for name, headers in preset.fields.items()}
    for line, cells in table.rows:
        row = Row(table, line, cells)
        yield {**_record(row, fields, preset), "line": line}


def _record(row: Row, fields: dict[str, int | None], preset: CsvPreset) -> dict[str, Any]:
    def get(name: str) -> str | None:
        index = fields.get(name)
        return row.at(index) if index is not None else None

    def many(name: str) -> list[str]:
        found: list[str] = []
        for header in preset.fields.get(name, ()):
            index = row.table.column(header)
            if index is not None:
                found += split(row.at(index), preset.list_sep)
        return found

    start, end = get("page_start"), get("page_end")
    pages = get("pages") or (f"{start}-{end}" if start and end and start != end else start or end) or get("article")
    types = many("publication_types")
    return {
        "source_record_id": get("source_record_id"),
        "pmid": get("pmid"),
        "doi": get("doi"),
        "title": plain(get("title")),
        "abstract": plain(get("abstract")),
        "authors": split_authors(get("authors")),
        "year": year(get("year")),
        "journal": plain(get("journal")),
        "journal_abbrev": get("journal_abbrev"),
        "volume": get("volume"),
        "issue": get("issue"),
        "pages": pages,
        "publication_types": types,
        "keywords": many("keywords"),
        "mesh": many("mesh"),
        "language": many("language"),
        "url": get("url"),
        "retracted": any("retract" in t.lower() for t in types),
        "notes": [n for n in (get("notes"),) if n],
    }
