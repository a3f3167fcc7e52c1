"""Fill the example reviewer's sheets from the shipped example decisions and extraction.

The files under `queries/sample/` are keyed by *sample row* (one row per web page, before dedup):

- `example_title_abstract_decisions.csv`: a title/abstract call for every row;
- `example_full_text_decisions.csv`: a full-text call (and reason number) for every title/abstract include;
- `example_extraction.csv`: the extraction of the 29 included works (`id` = one row of the work,
  `rows` = all its rows).

`python tools/example_sheet.py title_abstract` writes every record's call into
`outputs/screening/title_abstract/example_reviewer.csv` the way a person fills a sheet keyed by record.
`full_text` fills the empty `decision`/`reason` cells of the rows `make screen` wrote into
`outputs/screening/full_text/example_reviewer.csv` (each row's key is a record, whose sample row gives
the call). `extraction` fills the empty cells of `outputs/extraction/example_reviewer.csv` (rows
written by `make extract`) and records, in `outputs/extraction/same_study.csv`, that the rows of one
work are one study when dedup kept them apart. Cells a person already filled are never changed.

Run each once after the stage before it; the resulting sheets are committed, so `make review` on a
fresh clone needs nothing of this.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import polars as pl

from pipeline.screen.sheets import column, read_table, render, write_if_unchanged
from pipeline.textio import write_csv_atomic

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "queries" / "sample"
OUTPUTS = ROOT / "outputs"
REVIEWER = "example_reviewer"


def _read(name: str) -> list[dict]:
    with open(SAMPLE / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


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


def sample_ids() -> dict[str, str]:
    """record_id -> sample row id, for every imported record."""
    sample = _read("msc_ms_sample.csv")
    records = pl.read_parquet(OUTPUTS / "records" / "records.parquet")
    return {r["record_id"]: _sample_id(r, sample) for r in records.sort("record_id").iter_rows(named=True)}


def title_abstract() -> str:
    decisions = {row["id"]: row["decision"] for row in _read("example_title_abstract_decisions.csv")}
    rows = [[rid, decisions[sid], "", f"example decision for sample row {sid}"] for rid, sid in sample_ids().items()]
    sheet = OUTPUTS / "screening" / "title_abstract" / f"{REVIEWER}.csv"
    write_csv_atomic(sheet, ["record_id", "decision", "reason", "notes"], rows)
    return f"{len(rows)} example decisions -> {sheet.relative_to(ROOT)}"


def _fill(path: Path, values_of: dict[str, dict[str, str]]) -> int:
    """Fill empty cells of `path`'s rows from `values_of[row key]`; return how many rows got values."""
    table = read_table(path)
    if not table.exists:
        raise SystemExit(f"{path} does not exist yet: run the stage that writes it first")
    key = column(table, "record_id", "study_id")
    filled = 0
    for row in table.rows:
        new = values_of.get(row[key].strip(), {})
        touched = False
        for name, value in new.items():
            col = column(table, name)
            if col is None:
                table.header.append(name)
                col = name
            if not row.get(col, "").strip() and value:
                row[col] = value
                touched = True
        filled += touched
    body = [[row.get(h, "") for h in table.header] for row in table.rows]
    write_if_unchanged(path, render(table.header, body, table.delimiter), table.fingerprint)
    return filled


def full_text() -> str:
    decisions = {row["id"]: row for row in _read("example_full_text_decisions.csv")}
    values = {}
    for rid, sid in sample_ids().items():
        if sid in decisions:
            d = decisions[sid]
            values[rid] = {"decision": d["decision"], "reason": d["reason"],
                           "notes": f"example decision for sample row {sid}: {d['notes']}"}
    sheet = OUTPUTS / "screening" / "full_text" / f"{REVIEWER}.csv"
    return f"{_fill(sheet, values)} example full-text decisions -> {sheet.relative_to(ROOT)}"


FORM_COLUMNS = ("study_design", "phase", "population", "cell_product", "origin", "route", "n_treated", "n_control",
                "comparator", "follow_up_months", "outcomes", "registration", "safety_summary", "efficacy_summary")


def extraction() -> str:
    """Fill the example extraction sheet; link the rows of one work that dedup kept apart as one study."""
    ids = sample_ids()
    record_of = {sid: rid for rid, sid in ids.items()}
    clusters = pl.read_parquet(OUTPUTS / "dedup" / "clusters.parquet")
    report_of = dict(clusters.select("record_id", "study_id").iter_rows())
    works = _read("example_extraction.csv")
    values: dict[str, dict[str, str]] = {}
    links: list[list[str]] = []
    for work in works:
        reports = sorted({report_of[record_of[sid.strip()]] for sid in work["rows"].split(";")})
        entry = {name: work[name] for name in FORM_COLUMNS}
        entry["notes"] = f"example extraction of sample rows {work['rows']} (verified: {work['verified']})"
        for report in reports:
            values[report] = entry
        links += [[reports[0], other, "same_study", REVIEWER, f"example: sample rows {work['rows']} are one work"]
                  for other in reports[1:]]
    same = OUTPUTS / "extraction" / "same_study.csv"
    if not read_table(same).rows:  # people's file: written only while it holds nothing
        write_if_unchanged(same, render(["report_a", "report_b", "decision", "reviewer", "notes"], links),
                           read_table(same).fingerprint)
    sheet = OUTPUTS / "extraction" / f"{REVIEWER}.csv"
    if not sheet.exists():
        return (f"{len(links)} same_study links -> {same.relative_to(ROOT)}; now run `make extract` and this "
                "command again to fill the sheet")
    filled = _fill(sheet, values)
    return (f"{filled} example extraction rows -> {sheet.relative_to(ROOT)}; "
            f"{len(links)} same_study links -> {same.relative_to(ROOT)}")


STAGES = {"title_abstract": title_abstract, "full_text": full_text, "extraction": extraction}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in STAGES:
        print(f"usage: python tools/example_sheet.py {{{'|'.join(STAGES)}}}", file=sys.stderr)
        return 2
    print(f"example sheet: {STAGES[argv[0]]()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
