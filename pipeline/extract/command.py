"""CLI for the extract stage: `python -m pipeline extract`."""

from __future__ import annotations

import argparse

from pipeline.console import progress_callback, summary, warn
from pipeline.extract import engine
from pipeline.options import from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `extract` to the CLI."""
    parser = sub.add_parser(
        "extract", parents=[common], help="Write/refresh extraction sheets, link reports into studies, settle values",
        description="For every study included at full text: write/refresh each extraction reviewer's sheet "
                    "(keeping every value) with suggested values, link reports of one study, list "
                    "discrepancies between reviewers and write outputs/extraction/final.csv.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`pipeline.extract.run`, then its warnings and one line: what it found and where it wrote."""
    layout, protocol = from_args(args)
    with progress_callback() as progress:
        result = engine.run(layout, protocol, progress=progress)
    for warning in result.warnings:
        warn(warning)
    summary("extract", result.describe(layout))
    return 0
