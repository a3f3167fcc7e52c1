"""CLI for the report stage: `python -m pipeline report [--check]`."""

from __future__ import annotations

import argparse

from pipeline.console import console, summary
from pipeline.errors import PipelineError
from pipeline.layout import from_args


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
    from pipeline.report.build import build

    layout, protocol = from_args(args)
    with console.status("Writing the report ..."):
        report = build(layout, protocol)
    counts = report.counts
    waiting = counts.studies_included
    state = "complete" if counts.complete else (
        f"in progress: {waiting.awaiting_ta} awaiting title/abstract and {waiting.awaiting_ft} awaiting "
        "full-text decisions")
    changed = f"{len(report.changed)} of {len(report.written)} files changed"
    text = (f"{report.included} studies included ({state}); wrote {layout.relative(report.index)} "
            f"+ prisma.svg, prisma.csv, included.ris, included.csv ({changed})")
    if args.check:
        from pipeline.report.browser import check

        with console.status("Checking the report in headless Chromium ..."):
            result = check(report.index, counts.expected(), layout.report / "screenshot.png")
        if not result.ok:
            raise PipelineError("the browser check failed:\n  - " + "\n  - ".join(result.problems))
        text += (f"; browser check passed ({result.numbers_checked} diagram numbers read back, no console "
                 f"errors, no outside requests; screenshot {layout.relative(result.screenshot)})")  # type: ignore[arg-type]
    summary("report", text)
    return 0

