"""CLI for the dedup stage: `python -m pipeline dedup` and `python -m pipeline dedup-csv IN OUT`."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from pipeline.console import console, progress_callback, summary
from pipeline.dedup.engine import dedup
from pipeline.dedup.stage import run as run_stage
from pipeline.errors import InputError
from pipeline.files import write_bytes_atomic
from pipeline.options import layout_from_args
from pipeline.textio import csv_bytes


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `dedup` and `dedup-csv` to the CLI."""
    parser = sub.add_parser(
        "dedup", parents=[common], help="Find duplicate records and group them into studies",
        description="Group the records table into studies: people's decisions (outputs/dedup/decisions.csv) "
                    "first, then shared identifiers, then fuzzy matches; borderline pairs go to pairs_to_review.csv.")
    parser.set_defaults(func=run)
    csv_parser = sub.add_parser(
        "dedup-csv", help="Dedup one CSV in the benchmark layout and write ID,cluster_id",
        description="Read a CSV with columns ID, ENTRYTYPE, author, year, title, journal, volume, number, pages "
                    "(and abstract, doi, ... where present) and write ID,cluster_id for every record; "
                    "cluster_id is the ID of the record kept for that study.")
    csv_parser.add_argument("input", type=Path, help="records CSV (benchmark layout)")
    csv_parser.add_argument("output", type=Path, help="where to write ID,cluster_id")
    csv_parser.set_defaults(func=run_csv)


def run(args: argparse.Namespace) -> int:
    """`pipeline.dedup.run` on the project's records table, then its summary line."""
    layout = layout_from_args(args)
    with progress_callback() as progress:
        result = run_stage(layout, progress=progress)
    summary("dedup", result.describe(layout))
    return 0


def run_csv(args: argparse.Namespace) -> int:
    """Dedup one benchmark-layout CSV; write `ID,cluster_id` for every input record."""
    from pipeline.imports import benchmark_csv

    records = benchmark_csv.read(args.input, source="csv", source_file=str(args.input))
    if records.height == 0:
        raise InputError.one(args.input, "has no records")
    with console.status(f"comparing {records.height:,} records"):
        result = dedup(records)
    ids = result.clusters.select(
        pl.col("record_id").str.strip_prefix("csv:").alias("ID"),
        pl.col("study_id").str.strip_prefix("csv:").alias("cluster_id"),
    )
    order = records.select(pl.col("source_record_id").alias("ID")).with_row_index("n")
    ids = order.join(ids, on="ID", how="left").sort("n")
    write_bytes_atomic(args.output, csv_bytes(["ID", "cluster_id"], ids.select("ID", "cluster_id").iter_rows(), bom=False))
    s = result.stats
    summary("dedup-csv", f"{s.records_in:,} records -> {s.studies:,} studies "
                         f"({s.removed_total:,} duplicates); wrote {args.output}")
    return 0

