"""Read the stage files the report is made from (the I/O edge of the report stage).

The report reads only what earlier stages wrote (see the stage file contracts): the sources list and
records table (import), clusters, studies and summary (dedup), the final decisions and summary
(screen). A missing file names the stage to run; a malformed one names the file, row and column.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipeline.errors import InputError, PipelineError, Problem
from pipeline.layout import Layout
from pipeline.textio import unguard_cell

TA_VALUES = ("include", "exclude", "pending", "conflict", "")
FT_VALUES = ("include", "exclude", "not_retrieved", "pending", "conflict", "")
FINAL_COLUMNS = ("study_id", "automation", "title_abstract", "full_text", "full_text_reason", "example")
FINAL_SCHEMA = {
    "study_id": pl.Utf8(), "automation": pl.Utf8(), "title_abstract": pl.Utf8(), "full_text": pl.Utf8(),
    "full_text_reason": pl.Utf8(), "example": pl.Boolean(),
}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class StageFiles:
    """Everything the report needs from the stages, loaded and checked for shape."""

    sources: list[dict]
    records: pl.DataFrame          # record_id, source, year
    clusters: pl.DataFrame         # record_id, study_id, method
    studies: pl.DataFrame          # RECORD_SCHEMA + study_id, member_ids, sources, n_members
    dedup_summary: dict
    final: pl.DataFrame            # FINAL_SCHEMA
    screening_summary: dict
    paths: tuple[Path, ...]        # every file read, for the report's timestamp


def final_csv(layout: Layout) -> Path:
    return layout.screening / "final.csv"


def screening_summary(layout: Layout) -> Path:
    return layout.screening / "summary.json"


def load(layout: Layout) -> StageFiles:
    """Load and shape-check every stage file; raise PipelineError naming what is missing or wrong."""
    needed = {
        layout.records_sources: "python -m pipeline import", layout.records: "python -m pipeline import",
        layout.clusters: "python -m pipeline dedup", layout.studies: "python -m pipeline dedup",
        layout.dedup_summary: "python -m pipeline dedup",
        final_csv(layout): "python -m pipeline screen", screening_summary(layout): "python -m pipeline screen",
    }
    missing = [f"{path} (run `{cmd}` first)" for path, cmd in needed.items() if not path.is_file()]
    if missing:
        raise PipelineError("the report needs files the earlier stages write; missing: " + "; ".join(missing))
    sources = read_json(layout.records_sources).get("sources")
    if not isinstance(sources, list):
        raise InputError.one(layout.records_sources, "expected an object with a 'sources' list")
    return StageFiles(
        sources=sources,
        records=read_parquet(layout.records, ("record_id", "source", "year")),
        clusters=read_parquet(layout.clusters, ("record_id", "study_id", "method")),
        studies=pl.read_parquet(layout.studies),
        dedup_summary=read_json(layout.dedup_summary),
        final=read_final(final_csv(layout)),
        screening_summary=read_json(screening_summary(layout)),
        paths=tuple(needed),
    )


def read_json(path: Path) -> dict:
    """A JSON object from `path`, or InputError naming the file and the line of the syntax error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError.one(path, f"not valid JSON: {exc.msg}", row=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError.one(path, "expected a JSON object")
    return data


def read_parquet(path: Path, columns: tuple[str, ...]) -> pl.DataFrame:
    """Only `columns` of a Parquet file; a missing column is an InputError naming it."""
    try:
        names = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several types for a damaged file
        raise InputError.one(path, f"not a readable Parquet file: {exc}") from None
    absent = [c for c in columns if c not in names]
    if absent:
        raise InputError([Problem(str(path), "column is missing", column=c) for c in absent])
    return pl.read_parquet(path, columns=list(columns))


def read_final(path: Path) -> pl.DataFrame:
    """`final.csv` with its values checked: an unknown decision names its row and column."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        absent = [c for c in FINAL_COLUMNS if c not in header]
        if absent:
            raise InputError([Problem(str(path), "column is missing", row=1, column=c) for c in absent])
        rows, problems = [], []
        for number, raw in enumerate(reader, start=2):
            row: dict[str, Any] = {c: unguard_cell((raw.get(c) or "").strip()) for c in FINAL_COLUMNS}
            for column, allowed in (("title_abstract", TA_VALUES), ("full_text", FT_VALUES)):
                if row[column] not in allowed:
                    problems.append(Problem(str(path), f"unknown value {row[column]!r}; expected one of "
                                            f"{', '.join(repr(v) for v in allowed)}", number, column))
            if row["automation"] not in ("ineligible", ""):
                problems.append(Problem(str(path), f"unknown value {row['automation']!r}; expected "
                                        "'ineligible' or empty", number, "automation"))
            flag = row["example"].lower()
            if flag not in _TRUE | _FALSE:
                problems.append(Problem(str(path), f"expected true or false, not {row['example']!r}", number, "example"))
            row["example"] = flag in _TRUE
            if not row["study_id"]:
                problems.append(Problem(str(path), "study_id is empty", number, "study_id"))
            rows.append(row)
    if problems:
        raise InputError(problems)
    return pl.DataFrame(rows, schema=FINAL_SCHEMA) if rows else pl.DataFrame(schema=FINAL_SCHEMA)
