"""CLI for the screen stage: `python -m pipeline screen`."""

from __future__ import annotations

import argparse

from pipeline.console import progress_callback, summary, warn
from pipeline.options import from_args
from pipeline.screen import engine


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `screen` to the CLI."""
    parser = sub.add_parser(
        "screen", parents=[common], help="Write/refresh reviewer sheets, find conflicts, compute agreement",
        description="Write/refresh reviewer sheets (keeping every decision), apply automation rules, "
                    "derive final decisions, list conflicts and compute agreement.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`pipeline.screen.run`, then its warnings and one line: what it decided and where it wrote."""
    layout, protocol = from_args(args)
    with progress_callback() as progress:
        result = engine.run(layout, protocol, progress=progress)
    for warning in result.warnings:
        warn(warning)
    if result.orphans:
        warn(f"{len(result.orphans)} sheet row(s) are orphaned (their records are gone); listed in {layout.orphans}")
    summary("screen", result.describe(layout))
    return 0
