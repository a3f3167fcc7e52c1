"""Read the stage files the report is made from (the I/O edge of the report stage).

The report reads only what earlier stages wrote (`pipeline.contracts`): the sources list and
records table (import), clusters, studies and summary (dedup), the final decisions and summary
(screen), and when the extract stage has run, its link table and final.csv. A missing file names
the stage to run; a malformed one names the file, row and column.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from pipeline import files, hints
from pipeline.contracts import (
    FINAL_COLUMNS,
    FINAL_SCHEMA,
    FULL_TEXT_OUTCOMES,
    INELIGIBLE,
    STOPPED_VALUES,
    STUDY_SCHEMA,
    TITLE_ABSTRACT_OUTCOMES,
    DedupSummary,
    ScreeningSummary,
    SourceEntry,
    sources_from_json,
)
from pipeline.errors import InputError, InternalError, Problem, UserError
from pipeline.extract import outputs as extract_outputs
from pipeline.layout import Layout
from pipeline.textio import unguard_cell

TA_VALUES = tuple(str(o) for o in TITLE_ABSTRACT_OUTCOMES)
FT_VALUES = tuple(str(o) for o in FULL_TEXT_OUTCOMES)
T = TypeVar("T")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


@dataclass(frozen=True)
class StageFiles:
    """Everything the report needs from the stages, loaded and checked for shape."""

    sources: list[SourceEntry]
    records: pl.DataFrame          # record_id, source, year
    clusters: pl.DataFrame         # record_id, study_id, method
    studies: pl.DataFrame          # RECORD_SCHEMA + study_id, member_ids, sources, n_members
    dedup_summary: DedupSummary
    final: pl.DataFrame            # FINAL_SCHEMA
    screening_summary: ScreeningSummary
    paths: tuple[Path, ...]        # every file read, for the report's timestamp
    links: dict[str, str] | None = None         # extract: included report -> study (None: not run)
    extraction: pl.DataFrame | None = None      # extract: final.csv, one row per study


def load(layout: Layout) -> StageFiles:
    """Load and shape-check every stage file; raise UserError naming a missing one, InternalError a malformed one."""
    needed = {
        layout.records_sources: "import", layout.records: "import",
        layout.clusters: "dedup", layout.studies: "dedup", layout.dedup_summary: "dedup",
        layout.final: "screen", layout.screening_summary: "screen",
    }
    missing = [f"{path} (run `{hints.python(stage, layout)}` first)" for path, stage in needed.items() if not path.is_file()]
    if missing:
        raise UserError("the report needs files the earlier stages write; missing: " + "; ".join(missing))
    extracted = layout.study_links.is_file() and layout.extraction_final.is_file()
    return StageFiles(
        links=extract_outputs.read_links(layout.study_links) if extracted else None,
        extraction=extract_outputs.read_final(layout.extraction_final) if extracted else None,
        sources=read_typed(layout.records_sources, sources_from_json),
        records=read_parquet(layout.records, ("record_id", "source", "year"), rebuild(layout, "records")),
        clusters=read_parquet(layout.clusters, ("record_id", "study_id", "method"), rebuild(layout, "dedup")),
        studies=files.read_parquet(layout.studies, rebuild(layout, "dedup"), schema=STUDY_SCHEMA),
        dedup_summary=read_typed(layout.dedup_summary, DedupSummary.from_json),
        final=read_final(layout.final),
        screening_summary=read_typed(layout.screening_summary, ScreeningSummary.from_json),
        paths=tuple(needed) + ((layout.study_links, layout.extraction_final) if extracted else ()),
    )


def read_typed(path: Path, parse: Callable[[dict], T]) -> T:
    """A generated JSON file through its `pipeline.contracts` reader; a wrong shape names the file."""
    data = read_json(path)
    try:
        return parse(data)
    except ValueError as exc:
        raise InternalError(f"{path}: {exc}; rerun the stage that writes it") from None


def read_json(path: Path) -> dict:
    """A JSON object from `path`, or InputError naming the file and the line of the syntax error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError.one(path, f"not valid JSON: {exc.msg}", row=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError.one(path, "expected a JSON object")
    return data


def rebuild(layout: Layout, target: str) -> str:
    """The advice for a damaged Parquet file the `target` make target (records or dedup) writes."""
    stage = "import" if target == "records" else target
    return f"run `{hints.make(target, layout)}` ({hints.python(stage, layout)}) to write it again"


def read_parquet(path: Path, columns: tuple[str, ...], advice: str = "run the earlier stages again") -> pl.DataFrame:
    """Only `columns` of a Parquet file; a missing column is an InputError naming it."""
    try:
        names = pl.read_parquet_schema(path)
    except Exception as exc:  # polars raises several types for a damaged file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise UserError(f"{path} cannot be read ({first}); it is damaged or not Parquet: "
                        f"{advice}") from None
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
        rows: list[dict[str, str | bool]] = []
        problems: list[Problem] = []
        for number, raw in enumerate(reader, start=2):
            cells = {c: unguard_cell((raw.get(c) or "").strip()) for c in FINAL_COLUMNS}
            for column, allowed in (("title_abstract", TA_VALUES), ("full_text", FT_VALUES)):
                if cells[column] not in allowed:
                    problems.append(Problem(str(path), f"unknown value {cells[column]!r}; expected one of "
                                            f"{', '.join(repr(v) for v in allowed)}", number, column))
            if cells["stopped"] not in STOPPED_VALUES:
                problems.append(Problem(str(path), f"unknown value {cells['stopped']!r}; expected a stage or empty",
                                        number, "stopped"))
            if cells["automation"] not in (INELIGIBLE, ""):
                problems.append(Problem(str(path), f"unknown value {cells['automation']!r}; expected "
                                        "'ineligible' or empty", number, "automation"))
            flag = cells["example"].lower()
            if flag not in _TRUE | _FALSE:
                problems.append(Problem(str(path), f"expected true or false, not {cells['example']!r}", number, "example"))
            if not cells["study_id"]:
                problems.append(Problem(str(path), "study_id is empty", number, "study_id"))
            rows.append({**cells, "example": flag in _TRUE})
    if problems:
        raise InputError(problems)
    return pl.DataFrame(rows, schema=FINAL_SCHEMA) if rows else pl.DataFrame(schema=FINAL_SCHEMA)


def read_groups(path: Path) -> dict[str, str]:
    """dedup's linked_reports.csv as study_id -> group_id ({} when dedup linked nothing or never wrote it)."""
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        absent = [c for c in ("group_id", "study_id") if c not in (reader.fieldnames or [])]
        if absent:
            raise InputError([Problem(str(path), "column is missing", row=1, column=c) for c in absent])
        return {unguard_cell(r["study_id"]): unguard_cell(r["group_id"]) for r in reader if r.get("study_id")}
