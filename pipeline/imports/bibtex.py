"""BibTeX (`.bib`) exports from Zotero, JabRef, Google Scholar, Web of Science and others, via bibtexparser.

bibtexparser (v2) parses the file; blocks it cannot parse (a missing brace) are errors naming
the line, never silently dropped; an entry repeating a citation key is kept with an id ending ~2. LaTeX accents are decoded (`{\\"u}` -> ü)
and `{Braces}` that protect capitals are removed. The citation key is the export id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import bibtexparser
import polars as pl
from bibtexparser.middlewares import LatexDecodingMiddleware
from bibtexparser.model import DuplicateBlockKeyBlock, Entry

from pipeline.errors import InputError, Problem
from pipeline.imports.assemble import records_frame
from pipeline.imports.authors import split_authors
from pipeline.imports.text import ReadLog, clean, plain, read_text, split, year

_TYPES = {"article": "Journal Article", "inproceedings": "Conference Paper", "conference": "Conference Paper",
          "book": "Book", "incollection": "Book Chapter", "inbook": "Book Chapter", "phdthesis": "Thesis",
          "mastersthesis": "Thesis", "techreport": "Report", "misc": "Generic", "online": "Web Page"}


def read_bibtex(path: Path, source: str, source_file: str, *, encoding: str | None, log: ReadLog) -> pl.DataFrame:
    """Records of one BibTeX file in RECORD_SCHEMA."""
    text = read_text(path, source_file, encoding, log)
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    # A repeated citation key is still a record: kept, and given an id ending ~2 (with a warning).
    repeats = [b.ignore_error_block for b in library.failed_blocks
               if isinstance(b, DuplicateBlockKeyBlock) and isinstance(b.ignore_error_block, Entry)]
    failed = [b for b in library.failed_blocks if not isinstance(b, DuplicateBlockKeyBlock)]
    if failed:
        raise InputError([Problem(source_file, f"not a BibTeX entry bibtexparser can read ({type(b).__name__}): "
                                               f"{(b.raw or '').strip()[:60]!r}", _line(text, b.start_line)) for b in failed[:10]])
    if not library.entries and text.strip() and not library.strings:
        raise InputError.one(source_file, "no BibTeX entries found (expected entries such as '@article{key, ...}')", row=1)
    entries = sorted([*library.entries, *repeats], key=lambda e: e.start_line or 0)
    return records_frame((_record(e, text) for e in entries), source, source_file, log)


def _line(text: str, start: int | None) -> int | None:
    return None if start is None else start + 1


def _record(entry: Any, text: str) -> dict[str, Any]:
    fields = {k.lower(): v for k, v in entry.fields_dict.items()}

    def get(*names: str) -> str | None:
        for name in names:
            if name in fields:
                value = clean(_unbrace(str(fields[name].value)))
                if value:
                    return value
        return None

    doi = get("doi")
    entry_type = entry.entry_type.lower()
    return {
        "line": _line(text, entry.start_line),
        "source_record_id": entry.key,
        "pmid": get("pmid"),
        "pmcid": get("pmcid"),
        "doi": doi,
        "title": plain(get("title")),
        "abstract": plain(get("abstract")),
        "authors": split_authors(get("author")),
        "year": year(get("year", "date")),
        "journal": plain(get("journal", "journaltitle", "booktitle")),
        "journal_abbrev": get("shortjournal", "journal-iso"),
        "volume": get("volume"),
        "issue": get("number", "issue"),
        "pages": re.sub(r"\s*(?:--|–|—)\s*", "-", get("pages") or "") or None,
        "publication_types": [_TYPES.get(entry_type, entry_type)],
        "keywords": split(get("keywords"), ";" if ";" in (get("keywords") or "") else ","),
        "language": split(get("language")),
        "url": get("url"),
        "notes": [n for n in (get("note"), get("annote")) if n],
    }


def _unbrace(value: str) -> str:
    """'{MSC} therapy in {EAE}' -> 'MSC therapy in EAE'."""
    return value.replace("{", "").replace("}", "")
