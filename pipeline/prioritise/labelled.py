"""Labelled screening data in the ASReview/SYNERGY layout, for `simulate` and the benchmark.

Columns: `record_id`, `title`, `abstract`, `label_included` (1/0); optional `keywords`, `authors`,
`year`, `doi`, `pubmedID` (and anything else, ignored). CSV (any of , ; tab) or xlsx.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipeline import textio
from pipeline.errors import InputError, Problem

REQUIRED = ("record_id", "label_included")
TEXT = ("title", "abstract", "keywords")


@dataclass(frozen=True)
class Labelled:
    """Record ids, texts and 0/1 labels, in file order."""

    path: Path
    record_ids: list[str]
    texts: list[str]
    labels: np.ndarray


def _frame(path: Path) -> pl.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pl.read_excel(path, engine="openpyxl", infer_schema_length=0)
    text = textio.decode(path.read_bytes(), str(path), fix='save it as "CSV UTF-8"').text
    return pl.read_csv(io.StringIO(text), separator=textio.sniff_delimiter(text), infer_schema=False,
                       truncate_ragged_lines=True)


def read(path: Path | str) -> Labelled:
    """Read and check a labelled file; problems name the file, row and column."""
    path = Path(path)
    if not path.exists():
        raise InputError.one(path, "file not found")
    try:
        frame = _frame(path)
    except InputError:
        raise
    except Exception as exc:  # polars/openpyxl parse errors of every kind
        raise InputError.one(path, f"cannot be read as CSV or xlsx: {exc}") from None
    frame = frame.rename({c: c.strip().lstrip("\ufeff") for c in frame.columns})
    lower = {c.lower(): c for c in frame.columns}
    missing = [c for c in REQUIRED if c.lower() not in lower]
    if missing:
        raise InputError([Problem(str(path), f"needs a column {c!r} (ASReview/SYNERGY layout)", 1) for c in missing])
    if "title" not in lower and "abstract" not in lower:
        raise InputError.one(path, "needs a 'title' or 'abstract' column")
    ids = frame[lower["record_id"]].fill_null("").str.strip_chars().to_list()
    raw = frame[lower["label_included"]].fill_null("").str.strip_chars().to_list()
    problems: list[Problem] = []
    labels = np.zeros(len(raw), dtype=np.int64)
    for i, value in enumerate(raw):
        if value in ("1", "1.0", "true", "True"):
            labels[i] = 1
        elif value not in ("0", "0.0", "false", "False"):
            problems.append(Problem(str(path), f"label_included must be 1 or 0, not {value!r}", i + 2, lower["label_included"]))
    seen: dict[str, int] = {}
    for i, rid in enumerate(ids):
        if not rid:
            problems.append(Problem(str(path), "record_id is empty", i + 2, lower["record_id"]))
        elif rid in seen:
            problems.append(Problem(str(path), f"record_id {rid!r} also on row {seen[rid]}", i + 2, lower["record_id"]))
        else:
            seen[rid] = i + 2
    if problems:
        raise InputError(problems[:50])
    cols = [lower[c] for c in TEXT if c in lower]
    texts = [" \n ".join(v for v in row if v) for row in frame.select(
        [pl.col(c).fill_null("") for c in cols]).iter_rows()] if cols else [""] * len(ids)
    return Labelled(path, ids, texts, labels)
