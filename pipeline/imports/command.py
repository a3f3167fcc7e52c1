"""CLI for the records stage: `python -m pipeline import`."""

from __future__ import annotations

import argparse

from pipeline.console import summary
from pipeline.files import transaction
from pipeline.imports.build import build, describe, write
from pipeline.layout import from_args


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
    built = build(layout, protocol)
    with transaction():                  # every file or none
        changed = write(layout, built)
    summary("import", describe(built, layout, changed))
    return 0
