"""Fill the example reviewer's title/abstract sheet from the shipped example decisions.

`queries/sample/example_title_abstract_decisions.csv` holds one example decision per sample row
(one row per web page, before dedup). This writes them into
`outputs/screening/title_abstract/example_reviewer.csv` the way a person would have filled a sheet
keyed by record: one row per imported record, with `decision` and a note naming the sample row.
`make screen` then carries each decision onto the deduplicated study it belongs to; copies of one
study with different example decisions show as conflicts.

Run once after `make records` (it needs outputs/records/records.parquet to know each row's record
id); the resulting sheet is committed, so `make review` on a fresh clone needs nothing of this.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import polars as pl

from pipeline.textio import write_csv_atomic

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "queries" / "sample"
SHEET = ROOT / "outputs" / "screening" / "title_abstract" / "example_reviewer.csv"


def _sample_id(record: dict, sample: list[dict]) -> str:
    """The sample row a record was made from: its export id, or (MEDLINE) its identifiers and title."""
    if record["source_record_id"] and record["source_record_id"].startswith("r"):
        return record["source_record_id"]
    candidates = [
        row for row in sample
        if row["source_kind"] == "pubmed" and row["title"] == record["title"]
        and (row["pmid"] or None) == record["pmid"] and (row["doi"].lower() or None) == record["doi"]
        and (int(row["year"]) if row["year"] else None) == record["year"]
    ]
    if len(candidates) != 1:
        raise SystemExit(f"cannot tell which sample row record {record['record_id']} came from")
    return candidates[0]["id"]


def main() -> int:
    with open(SAMPLE / "msc_ms_sample.csv", encoding="utf-8", newline="") as fh:
        sample = list(csv.DictReader(fh))
    with open(SAMPLE / "example_title_abstract_decisions.csv", encoding="utf-8", newline="") as fh:
        decisions = {row["id"]: row["decision"] for row in csv.DictReader(fh)}
    records = pl.read_parquet(ROOT / "outputs" / "records" / "records.parquet")
    rows = []
    for record in records.sort("record_id").iter_rows(named=True):
        sid = _sample_id(record, sample)
        rows.append([record["record_id"], decisions[sid], "", f"example decision for sample row {sid}"])
    write_csv_atomic(SHEET, ["record_id", "decision", "reason", "notes"], rows)
    print(f"example sheet: {len(rows)} example decisions -> {SHEET.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
