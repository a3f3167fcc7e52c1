"""Read a CSV in the dedup benchmark layout (bib-dedupe / ASySD exports) into the records table.

Columns: ID, ENTRYTYPE, author, year, title, journal, volume, number (or issue), pages and, where
present, abstract, doi, isbn, url, pmid, pmcid. Authors come either BibTeX-style ("Smith, J. and
Doe, A.") or glued together as some Endnote exports write them ("Smith J.Kloner R. A."); both
become a list of names. A PubMed URL in `url` gives the PMID when there is no pmid column.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.imports.text import ReadLog
from pipeline.records import conform
from pipeline.textio import decode, sniff_delimiter

REQUIRED = ("ID", "title")
# A glued author list breaks where an initial's full stop runs straight into the next family name:
# "Przyklenk K.Kloner R. A." -> "Przyklenk K." | "Kloner R. A."; "J.P." stays one author's initials.
_GLUED_BREAK = r"\.(\p{Lu}[^\s.]|(?:van|von|de|der|den|da|di|du|le|la|del|dos|das|ter|ten)\s\p{Lu})"
# Vancouver style "Defazio G, Hallett M, Jinnah HA": every comma-separated part ends in initials.
_VANCOUVER = r"^[^,]+\s\p{Lu}{1,3}\.?(?:,\s*[^,]+\s\p{Lu}{1,3}\.?)+$"
_PUBMED_URL = r"(?i)(?:ncbi\.nlm\.nih\.gov/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(\d+)"


def read_text_columns(path: Path, required: list[str], *, encoding: str | None = None,
                      log: ReadLog | None = None) -> pl.DataFrame:
    """Every column of a CSV as text; a missing file or required column is an InputError naming it.

    Decoding and delimiter follow `pipeline.textio` (the guessed-encoding warning goes to `log`).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError.one(path, "file not found")
    data = path.read_bytes()
    decoded = decode(data, str(path), encoding)
    if log is not None:
        log.encoding = decoded.encoding
        if decoded.warning:
            log.warn(decoded.warning)
    if decoded.encoding != "utf-8":  # polars reads UTF-8 only: hand it the decoded text
        data = decoded.text.encode("utf-8")
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, separator=sniff_delimiter(decoded.text[:65536]))
    except pl.exceptions.PolarsError as exc:
        raise InputError.one(path, f"not a readable CSV file ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError.one(path, f"has no {', '.join(missing)} column (columns: {', '.join(frame.columns)})")
    return frame


def read(path: Path, source: str, source_file: str | None = None, *, encoding: str | None = None,
         log: ReadLog | None = None) -> pl.DataFrame:
    """Records of one benchmark-layout CSV, in RECORD_SCHEMA; IDs must be present and unique."""
    path = Path(path)
    raw = read_text_columns(path, list(REQUIRED), encoding=encoding, log=log)
    _check_ids(path, raw["ID"])
    return from_frame(raw, source, source_file if source_file is not None else str(path))


def from_frame(raw: pl.DataFrame, source: str, source_file: str) -> pl.DataFrame:
    """The records table for an already-read benchmark frame (all columns text)."""
    def col(name: str, *alternatives: str) -> pl.Expr:
        for candidate in (name, *alternatives):
            if candidate in raw.columns:
                return pl.col(candidate).cast(pl.Utf8).str.strip_chars().replace("", None)
        return pl.lit(None, dtype=pl.Utf8)

    url = col("url")
    pmid = col("pmid").str.extract(r"(\d+)")
    pmid = pl.coalesce(pmid, url.str.extract(_PUBMED_URL, 1))
    frame = raw.select(
        (pl.lit(f"{source}:") + pl.col("ID").str.strip_chars()).alias("record_id"),
        pl.lit(source).alias("source"),
        pl.lit(source_file).alias("source_file"),
        pl.col("ID").str.strip_chars().alias("source_record_id"),
        pmid.alias("pmid"),
        (pl.lit("PMC") + col("pmcid").str.extract(r"(?i)^(?:pmc)?\s*(\d+)$")).alias("pmcid"),
        col("doi").str.extract(r"(10\.\d{3,}[^\s]*/\S+)").str.strip_chars_end(".").str.to_lowercase().alias("doi"),
        col("title").str.replace_all(r"[ \t\r\f\v]+", " ").str.replace_all(r" ?\n ?", "\n").alias("title"),
        col("abstract").alias("abstract"),
        split_authors(col("author")).alias("authors"),
        col("year").str.extract(r"(\d{4})").cast(pl.Int32, strict=False).alias("year"),
        pl.coalesce(col("journal"), col("booktitle")).alias("journal"),
        col("volume").alias("volume"),
        col("number", "issue").alias("issue"),
        col("pages").alias("pages"),
        pl.when(col("ENTRYTYPE").is_not_null()).then(pl.concat_list(col("ENTRYTYPE")))
        .otherwise(pl.lit([], dtype=pl.List(pl.Utf8))).alias("publication_types"),
        url.alias("url"),
    )
    return conform(frame)


def split_authors(text: pl.Expr) -> pl.Expr:
    """Author list from "A, B and C, D", "A; B", "Smith J, Doe A" or glued "Smith J.Kloner R. A." text."""
    sep = "\x1f"
    marked = (
        pl.when(text.str.contains(r"\sand\s"))
        .then(text.str.replace_all(r"\s+and\s+", sep))
        .when(text.str.contains(";"))
        .then(text.str.replace_all(r"\s*;\s*", sep))
        .when(text.str.contains(_VANCOUVER))
        .then(text.str.replace_all(r"\s*,\s*", sep))
        .otherwise(text.str.replace_all(_GLUED_BREAK, "." + sep + "${1}"))
    )
    return (
        marked.str.split(sep)
        .list.eval(pl.element().str.strip_chars().filter(pl.element().str.len_chars() > 0))
        .fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
    )


def _check_ids(path: Path, ids: pl.Series) -> None:
    """Every ID present and unique; the first offender is reported with its row."""
    stripped = ids.str.strip_chars()
    if not (stripped.is_null().any() or (stripped == "").any() or stripped.is_duplicated().any()):
        return
    seen: dict[str, int] = {}
    for row, value in enumerate(ids.to_list(), start=2):
        if value is None or not value.strip():
            raise InputError.one(path, "empty ID", row, "ID")
        if value in seen:
            raise InputError.one(path, f"ID {value!r} appears twice (first on row {seen[value]})", row, "ID")
        seen[value] = row
