"""CLI for the dedup stage (placeholder until the stage is built)."""

from __future__ import annotations

import argparse

from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `dedup` to the CLI."""
    parser = sub.add_parser("dedup", parents=[common], help="Find duplicate records and group them into studies", description="Find duplicate records and group them into studies.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PipelineError("the dedup stage is not built yet")
