"""CLI for the report stage: `python -m pipeline report [--check]`."""

from __future__ import annotations

import argparse

from pipeline.console import progress_callback, summary
from pipeline.options import from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `report` to the CLI."""
    parser = sub.add_parser(
        "report", parents=[common], help="Write the PRISMA 2020 HTML report (and check it in Chromium)",
        description="Write outputs/report/: index.html (self-contained), prisma.svg, prisma.csv (PRISMA2020 "
                    "template), included.ris and included.csv, from the import, dedup and screen outputs.")
    parser.add_argument("--check", action="store_true",
                        help="open the report in headless Chromium: no console errors, no outside requests, "
                             "diagram numbers read back; saves outputs/report/screenshot.png")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`pipeline.report.run`, then its summary line."""
    from pipeline.report.build import run as run_stage

    layout, protocol = from_args(args)
    with progress_callback() as progress:
        result = run_stage(layout, protocol, check=args.check, progress=progress)
    summary("report", result.describe(layout))
    return 0
