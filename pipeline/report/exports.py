"""The included studies: the table the report shows and its exports (`included.ris`, `included.csv`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import polars as pl
import rispy

from pipeline.contracts import Outcome
from pipeline.files import write_text_atomic
from pipeline.links import identifier_links, outbound
from pipeline.textio import frame_to_csv_atomic, plain_text, printable

CSV_COLUMNS = [
    "study_id", "authors", "year", "title", "journal", "volume", "issue", "pages", "doi", "pmid", "pmcid",
    "url", "registry_ids", "retracted", "has_erratum", "has_expression_of_concern", "updated_in", "sources", "member_ids",
    "example",
]


def included(studies: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    """Studies whose full-text decision is include, sorted by first author, year and study_id."""
    chosen = final.filter(pl.col("full_text") == Outcome.INCLUDE).select("study_id", "example")
    return (studies.join(chosen, on="study_id", how="inner")
            .with_columns(pl.col("authors").list.first().alias("_first"))
            .sort(["_first", "year", "study_id"], nulls_last=True).drop("_first"))


def links(row: dict[str, Any]) -> dict[str, str]:
    """PubMed, DOI and PMC addresses for one study (only those it has)."""
    return identifier_links(row.get("pmid"), row.get("doi"), row.get("pmcid"))


class PlainRisWriter(rispy.RisWriter):
    """rispy's RIS writer without the "1." counter line before each reference, which some managers reject."""

    def set_header(self, count: int) -> str:
        return ""


def _one_line(text: object) -> str:
    """One line of plain text: markup reduced to text (`textio.plain_text`), whitespace collapsed."""
    return re.sub(r"\s+", " ", plain_text(printable(text))).strip() if text is not None else ""


def ris_entries(frame: pl.DataFrame) -> list[dict]:
    """rispy entries (JOUR) for each included study; multi-line values are flattened to one line."""
    entries = []
    for row in frame.iter_rows(named=True):
        entry: dict[str, object] = {"type_of_reference": "JOUR", "id": _one_line(row["study_id"])}
        if row["authors"]:
            entry["authors"] = [_one_line(a) for a in row["authors"]]
        for key, column in (("title", "title"), ("journal_name", "journal"), ("alternate_title1", "journal_abbrev"),
                            ("year", "year"), ("volume", "volume"), ("number", "issue"), ("doi", "doi"),
                            ("abstract", "abstract")):
            if row.get(column) not in (None, ""):
                entry[key] = _one_line(row[column])
        if row.get("pages"):
            start, _, end = _one_line(row["pages"]).partition("-")
            entry["start_page"] = start
            if end:
                entry["end_page"] = end
        if row.get("pmid"):
            entry["accession_number"] = _one_line(row["pmid"])
        own = outbound(row.get("url"))  # the export's own link, only if it is http(s) or doi
        urls = [*links(row).values(), *([own] if own else [])]
        if urls:
            entry["urls"] = [_one_line(u) for u in urls]
        if row.get("keywords"):
            entry["keywords"] = [_one_line(k) for k in row["keywords"]]
        notes = [label for label, flag in (("Retracted", row.get("retracted")), ("Has erratum", row.get("has_erratum")),
                                           ("Expression of concern", row.get("has_expression_of_concern"))) if flag]
        notes += [f"Updated in PMID {_one_line(pmid)}" for pmid in row.get("updated_in") or []]
        if row.get("example"):
            notes.append("Included by example decisions only")
        if notes:
            entry["notes"] = notes
        entries.append(entry)
    return entries


def write(directory: Path, frame: pl.DataFrame, fields: list[str] | None = None) -> dict[Path, bool]:
    """Write `included.ris` (rispy) and `included.csv` (spreadsheet-safe); say which files changed.

    `fields`: extraction columns `included.csv` gains after `linked_study_id` and `extraction_status`.
    """
    ris, table = directory / "included.ris", directory / "included.csv"
    extra = ["linked_study_id", "extraction_status", *(fields or [])]
    if "url" in frame.columns:  # a record's own link leaves only if it is http(s) or doi
        frame = frame.with_columns(pl.col("url").map_elements(lambda u: u if outbound(u) else None, return_dtype=pl.Utf8))
    frame = plain_frame(frame)
    return {
        ris: write_text_atomic(ris, rispy.dumps(ris_entries(frame), implementation=PlainRisWriter) if frame.height else ""),
        table: frame_to_csv_atomic(table, frame.select([c for c in [*CSV_COLUMNS, *extra] if c in frame.columns])),
    }


def plain_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell (and text list item) reduced to plain text without control characters."""
    def tidy(value: str | None) -> str | None:
        return None if value is None else plain_text(printable(value))

    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Utf8:
            exprs.append(pl.col(name).map_elements(tidy, return_dtype=pl.Utf8, skip_nulls=True))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.Utf8:
            exprs.append(pl.col(name).list.eval(pl.element().map_elements(tidy, return_dtype=pl.Utf8, skip_nulls=True)))
    return frame.with_columns(exprs) if exprs and frame.height else frame
