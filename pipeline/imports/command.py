"""CLI for the import stage (placeholder until the stage is built)."""

from __future__ import annotations

import argparse

from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `import` to the CLI."""
    parser = sub.add_parser("import", parents=[common], help="Build the records table from the newest snapshots and the import files", description="Build the records table from the newest snapshots and the import files.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PipelineError("the import stage is not built yet")
