"""Run bib-dedupe on one benchmark CSV and write `ID,cluster_id` for every record.

Runs inside the separate benchmark venv (`.bench-venv/`, which has bib-dedupe and pandas but not
this project), so it imports nothing from `pipeline`. It calls bib-dedupe the way the project's own
evaluation (notebooks/evaluation.py) does: prep -> block -> match -> cluster -> merge, all timed
by the caller. The record kept for each cluster is the one whose ID survives in merge's output;
that ID becomes the cluster_id, so `benchmarks.dedup_metrics` keeps the same record bib-dedupe kept.

Usage: .bench-venv/bin/python benchmarks/bibdedupe_runner.py RECORDS.csv OUT.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from bib_dedupe.bib_dedupe import block, cluster, match, merge, prep


def clusters_to_rows(all_ids: list[str], components: list[list[str]], kept: set[str]) -> list[tuple[str, str]]:
    """`(ID, cluster_id)` for every record: members of a component point at its kept member."""
    cluster_of = {record_id: record_id for record_id in all_ids}
    for component in components:
        survivors = [record_id for record_id in component if record_id in kept]
        if len(survivors) != 1:
            raise SystemExit(f"bib-dedupe kept {len(survivors)} records of cluster {component}, expected 1")
        for record_id in component:
            cluster_of[record_id] = survivors[0]
    return [(record_id, cluster_of[record_id]) for record_id in all_ids]


def run(records_csv: Path, out_csv: Path, cpu: int) -> int:
    """Deduplicate `records_csv` with bib-dedupe; returns the number of records it kept.

    Prints one `bib-dedupe phases:` line (seconds per step) so the benchmark can also show the time
    without merge, which only builds the merged records that our `dedup-csv` does not write.
    """
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[name] = now - clock
        clock = now

    records_df = pd.read_csv(records_csv)
    records_df["ID"] = records_df["ID"].astype(str)
    all_ids = records_df["ID"].tolist()
    lap("read")
    records_df = prep(records_df, verbosity_level=0, cpu=cpu)
    lap("prep")
    blocked_df = block(records_df, verbosity_level=0, cpu=cpu)
    lap("block")
    matched_df = match(blocked_df, verbosity_level=0, cpu=cpu)
    lap("match")
    components = cluster(matched_df, verbosity_level=0)
    lap("cluster")
    merged_df = merge(records_df, duplicate_id_sets=components, verbosity_level=0)
    lap("merge")
    print("bib-dedupe phases: " + " ".join(f"{k}={v:.2f}" for k, v in phases.items()), file=sys.stderr, flush=True)
    kept = set(merged_df["ID"].astype(str))
    rows = clusters_to_rows(all_ids, [[str(i) for i in c] for c in components], kept)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "cluster_id"])
        writer.writerows(rows)
    return len(kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("records", type=Path, help="records_pre_merged.csv")
    parser.add_argument("out", type=Path, help="where to write ID,cluster_id")
    parser.add_argument("--cpu", type=int, default=-1, help="bib-dedupe's cpu argument (-1: all cores, its default)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    kept = run(args.records, args.out, args.cpu)
    print(f"bib-dedupe kept {kept} records", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
