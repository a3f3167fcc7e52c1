"""CLI for the report stage (placeholder until the stage is built)."""

from __future__ import annotations

import argparse

from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `report` to the CLI."""
    parser = sub.add_parser("report", parents=[common], help="Write the PRISMA 2020 HTML report", description="Write the PRISMA 2020 HTML report.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PipelineError("the report stage is not built yet")
