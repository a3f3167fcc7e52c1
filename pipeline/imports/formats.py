"""One entry point for every import format: the protocol's `format` -> its reader, plus the checks
every import gets (a file that fits another format says which; most titles empty is an error;
junk values are counted).

Formats: `ris`, `medline`, `bibtex`, `wos-txt`, `cochrane-txt` (text, each with its own reader);
`pubmed-xml` (PubMed XML or an NLM baseline/update file, gzip'd or not: `pubmed_xml.read_file`);
`pubmed-csv`, `scopus-csv`, `embase-csv`, `pop-csv`, `wos-tab`, `wos-csv`, `ebsco-csv` (CSV or
tab-delimited presets); `csv` (any CSV with `[sources.columns]`); `benchmark-csv`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipeline.errors import InputError, Problem
from pipeline.imports import presets
from pipeline.imports.text import ReadLog, read_text
from pipeline.protocol import IMPORT_FORMATS

FORMATS = IMPORT_FORMATS  # the protocol checks `format` against the same tuple
# Below this share of rows with a title, a file is not read the way the protocol says.
MIN_TITLED = 0.5


def read(path: Path, name: str, fmt: str, label: str, *, database: str = "", columns: dict[str, str] | None = None,
         encoding: str | None = None, log: ReadLog) -> pl.DataFrame:
    """Records of one import file in `fmt`; a mismatch between file and format is an InputError with a hint."""
    try:
        records = _reader(fmt, database, columns or {})(path, name, label, encoding, log)
    except InputError as exc:
        raise _with_hint(exc, path, label, encoding, fmt) from None
    if fmt == "csv" and not columns:
        _refuse_preset_as_generic(path, label, encoding)
    check_titles(records, label, fmt, path, encoding)
    return records


def _reader(fmt: str, database: str, columns: dict[str, str]) -> Callable[[Path, str, str, str | None, ReadLog], pl.DataFrame]:
    from pipeline.imports import bibtex, csv_exports, medline, pubmed_xml, ris, tagged

    if fmt == "ris":
        return lambda p, n, lb, e, log: ris.read_ris(p, n, lb, encoding=e, database=database, log=log)
    if fmt == "medline":
        return lambda p, n, lb, e, log: medline.read_medline(p, n, lb, encoding=e, log=log)
    if fmt == "pubmed-xml":     # XML declares its own encoding: `encoding` does not apply
        return lambda p, n, lb, e, log: pubmed_xml.read_file(p, n, lb, log=log)
    if fmt == "bibtex":
        return lambda p, n, lb, e, log: bibtex.read_bibtex(p, n, lb, encoding=e, log=log)
    if fmt == "wos-txt":
        return lambda p, n, lb, e, log: tagged.read_wos_txt(p, n, lb, encoding=e, log=log)
    if fmt == "cochrane-txt":
        return lambda p, n, lb, e, log: tagged.read_cochrane_txt(p, n, lb, encoding=e, log=log)
    if fmt == "pubmed-csv":
        return lambda p, n, lb, e, log: csv_exports.read_pubmed_csv(p, n, lb, encoding=e, log=log)
    if fmt == "scopus-csv":
        return lambda p, n, lb, e, log: csv_exports.read_scopus_csv(p, n, lb, encoding=e, log=log)
    if fmt in presets.PRESETS:
        return lambda p, n, lb, e, log: presets.read_preset(p, n, fmt, lb, encoding=e, log=log)
    if fmt == "csv":
        return lambda p, n, lb, e, log: csv_exports.read_csv(p, n, lb, columns=columns, encoding=e, log=log)
    if fmt == "benchmark-csv":
        def benchmark(p: Path, n: str, lb: str, e: str | None, log: ReadLog) -> pl.DataFrame:
            from pipeline.imports import benchmark_csv

            records = benchmark_csv.read(p, n, lb, encoding=e, log=log)
            log.rows_read = records.height
            return records
        return benchmark
    raise InputError.one(str(fmt), f"unknown import format {fmt!r} (one of: {', '.join(FORMATS)})")


def _with_hint(exc: InputError, path: Path, label: str, encoding: str | None, fmt: str) -> InputError:
    """`exc` plus, when the file fits another format, one problem saying which."""
    if any("set format =" in p.message for p in exc.problems):
        return exc
    try:
        text = read_text(path, label, encoding, ReadLog())
    except InputError:
        return exc
    advice = presets.hint(text, label, fmt)
    return InputError([*exc.problems, Problem(label, advice)]) if advice else exc


def _refuse_preset_as_generic(path: Path, label: str, encoding: str | None) -> None:
    """A known export read as `csv` without a mapping leaves fields empty: name the preset instead."""
    text = read_text(path, label, encoding, ReadLog())
    table = presets.parse_table(text, label, ReadLog())
    fits = presets.detect_csv(table)
    if fits:
        preset = presets.PRESETS[fits[0]]
        raise InputError.one(label, f"this is {preset.menu}: set format = \"{preset.name}\" for this source "
                                    "(format = \"csv\" without [sources.columns] would leave authors, year and journal empty)", 1)


def check_titles(records: pl.DataFrame, label: str, fmt: str, path: Path, encoding: str | None) -> None:
    """Most records without a title means the file was read with the wrong format or mapping."""
    if records.height == 0:
        return
    titled = records.height - records["title"].null_count()
    if titled < MIN_TITLED * records.height:
        hint = presets.hint(read_text(path, label, encoding, ReadLog()), label, fmt)
        raise InputError.one(label, f"{records.height - titled} of {records.height} records have no title; the format "
                                    f"({fmt!r}) or the [sources.columns] title mapping does not fit this file"
                                    + (f"; {hint}" if hint else ""))
