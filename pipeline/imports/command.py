"""CLI for the records stage: `python -m pipeline import` (one call of `pipeline.imports.run`)."""

from __future__ import annotations

import argparse

from pipeline.console import progress_callback, summary, warn
from pipeline.imports.build import run as run_stage
from pipeline.options import from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `import` to the CLI."""
    parser = sub.add_parser(
        "import", parents=[common],
        help="Build the records table from the newest snapshots and the import files",
        description="Build outputs/records/records.parquet and sources.json from the newest PubMed "
                    "snapshots and the import files the protocol lists (RIS, MEDLINE, CSV).",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read every source, write the records table and per-source provenance, print one summary line."""
    layout, protocol = from_args(args)
    with progress_callback() as progress:
        result = run_stage(layout, protocol, progress=progress)
    for text in result.warnings:
        warn(text)
    summary("import", result.describe(layout))
    return 0
