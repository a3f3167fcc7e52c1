"""CLI for the screen stage (placeholder until the stage is built)."""

from __future__ import annotations

import argparse

from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `screen` to the CLI."""
    parser = sub.add_parser("screen", parents=[common], help="Write/refresh reviewer sheets, find conflicts, compute agreement", description="Write/refresh reviewer sheets, find conflicts, compute agreement.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PipelineError("the screen stage is not built yet")
