"""The extract stage's generated files as later stages read them (shapes in `pipeline.contracts`).

`studies.csv` (`report_id, study_id, linked_by`): every included report and the study it belongs to.
`final.csv`: one row per study: `study_id, reports, n_reports, status, extracted_by, example`, then
one column per form field, in the protocol's order. The writer (`engine.write`) and the report use
these definitions; a malformed file is an error naming file, row and column.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from pipeline.contracts import EXTRACTION_FINAL_COLUMNS, STUDY_LINK_COLUMNS, ExtractionState
from pipeline.errors import InputError, Problem
from pipeline.protocol import ExtractionForm
from pipeline.textio import unguard_cell

STUDIES_HEADER = STUDY_LINK_COLUMNS
FINAL_FIXED = EXTRACTION_FINAL_COLUMNS
STATES = tuple(str(s) for s in ExtractionState)


def _rows(path: Path, needed: list[str]) -> list[tuple[int, dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        absent = [c for c in needed if c not in (reader.fieldnames or [])]
        if absent:
            raise InputError([Problem(str(path), "column is missing (rerun `python -m pipeline extract`)", 1, c)
                              for c in absent])
        return [(n, {k: unguard_cell((v or "").strip()) for k, v in row.items() if k}) for n, row in
                enumerate(reader, start=2)]


def read_links(path: Path) -> dict[str, str]:
    """report_id -> study_id from studies.csv."""
    out: dict[str, str] = {}
    problems = []
    for number, row in _rows(path, STUDIES_HEADER):
        if not row["report_id"] or not row["study_id"]:
            problems.append(Problem(str(path), "report_id and study_id must be filled", number, "report_id"))
        out[row["report_id"]] = row["study_id"]
    if problems:
        raise InputError(problems)
    return out


def read_final(path: Path, form: ExtractionForm | None = None) -> pl.DataFrame:
    """final.csv as a frame of strings (n_reports int, example bool); the form's fields, or every other column."""
    table = _rows(path, FINAL_FIXED)
    if form is not None:
        names = [f.name for f in form.fields]
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            names = [c for c in next(csv.reader(fh), []) if c and c not in FINAL_FIXED]
    rows, problems = [], []
    for number, row in table:
        if row["status"] not in STATES:
            problems.append(Problem(str(path), f"unknown status {row['status']!r}; expected one of {', '.join(STATES)}",
                                    number, "status"))
        rows.append({"study_id": row["study_id"], "reports": row["reports"],
                     "n_reports": int(row["n_reports"]) if row["n_reports"].isdigit() else 1, "status": row["status"],
                     "extracted_by": row["extracted_by"], "example": row["example"].lower() == "true",
                     **{n: row.get(n, "") for n in names}})
    if problems:
        raise InputError(problems)
    schema = {"study_id": pl.Utf8, "reports": pl.Utf8, "n_reports": pl.Int64, "status": pl.Utf8,
              "extracted_by": pl.Utf8, "example": pl.Boolean, **{n: pl.Utf8 for n in names}}
    return pl.DataFrame(rows, schema=schema)
