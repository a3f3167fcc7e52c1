"""People's dedup decisions: `outputs/dedup/decisions.csv`, read and checked, never rewritten.

A row says two records are the same study (`duplicate`) or not (`not_duplicate`). Every run
applies these first. A row naming a record the records table does not have, or a decision word we
do not know, stops the run with the file, row and column, so no decision is ever dropped silently.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from pipeline.contracts import DEDUP_DECISION_COLUMNS, DedupDecision
from pipeline.errors import InputError, Problem
from pipeline.textio import unguard_cell, write_csv_atomic

COLUMNS = DEDUP_DECISION_COLUMNS
DECISIONS = tuple(str(d) for d in DedupDecision)
SCHEMA = {"record_id_a": pl.Utf8, "record_id_b": pl.Utf8, "decision": pl.Utf8, "reviewer": pl.Utf8,
          "notes": pl.Utf8, "row": pl.Int64}


def ensure_file(path: Path) -> bool:
    """Create the decisions file with just its header when it is missing; never touch an existing one."""
    if Path(path).exists():
        return False
    return write_csv_atomic(path, COLUMNS, [])


def read(path: Path, known_ids: set[str] | None = None) -> pl.DataFrame:
    """The decisions in `path` (with their CSV `row` numbers), checked against `known_ids`.

    Raises InputError listing every problem: missing columns, empty or unknown record ids, a pair
    naming one record twice, unknown decision words, and one pair decided both ways.
    """
    path = Path(path)
    if not path.exists():
        return pl.DataFrame(schema=SCHEMA)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return pl.DataFrame(schema=SCHEMA)
    header = [h.strip() for h in rows[0]]
    missing = [c for c in COLUMNS[:3] if c not in header]
    if missing:
        raise InputError.one(path, f"has no {', '.join(missing)} column (expected {', '.join(COLUMNS)})", 1)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    problems: list[Problem] = []
    records: list[dict[str, object]] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: unguard_cell(row[k]).strip() if k < len(row) else "" for name, k in index.items()}
        if not any(cells.values()):
            continue
        for column in ("record_id_a", "record_id_b"):
            value = cells[column]
            if not value:
                problems.append(Problem(str(path), "empty record id", number, column))
            elif known_ids is not None and value not in known_ids:
                problems.append(Problem(str(path), f"unknown record id {value!r} (not in the records table)", number, column))
        word = cells["decision"].lower()
        if word not in DECISIONS:
            problems.append(Problem(str(path), f"decision {cells['decision']!r} is not one of {', '.join(DECISIONS)}", number, "decision"))
        a, b = cells["record_id_a"], cells["record_id_b"]
        if a and a == b:
            problems.append(Problem(str(path), "a record cannot be paired with itself", number, "record_id_b"))
        pair = (min(a, b), max(a, b))
        if word in DECISIONS and a and b:
            if pair in seen and seen[pair][0] != word:
                problems.append(Problem(str(path), f"this pair is marked {seen[pair][0]} on row {seen[pair][1]} and {word} here", number, "decision"))
            seen.setdefault(pair, (word, number))
        records.append({"record_id_a": a, "record_id_b": b, "decision": word, "reviewer": cells.get("reviewer", ""),
                        "notes": cells.get("notes", ""), "row": number})
    if problems:
        raise InputError(problems)
    return pl.DataFrame(records, schema=SCHEMA)
