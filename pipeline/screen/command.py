"""CLI for the screen stage: `python -m pipeline screen` (and `print_status` for `status`)."""

from __future__ import annotations

import argparse

from pipeline.console import summary, warn
from pipeline.layout import from_args
from pipeline.screen import engine
from pipeline.screen.status import print_status

__all__ = ["print_status", "register", "run"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `screen` to the CLI."""
    parser = sub.add_parser(
        "screen", parents=[common], help="Write/refresh reviewer sheets, find conflicts, compute agreement",
        description="Write/refresh reviewer sheets (keeping every decision), apply automation rules, "
                    "derive final decisions, list conflicts and compute agreement.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the stage and end with one line: what it decided and where it wrote."""
    layout, protocol = from_args(args)
    result, changed = engine.run(layout, protocol)
    for warning in result.warnings:
        warn(warning)
    if result.orphans:
        warn(f"{len(result.orphans)} sheet row(s) are orphaned (their records are gone); "
             f"listed in {layout.screening / 'orphans.csv'}")
    s = result.summary["stages"]
    ta, ft = s["title_abstract"], s["full_text"]
    summary("screen", f"{result.summary['automation']['ineligible']} ineligible by automation; title/abstract "
                      f"{ta['included']} included, {ta['excluded']} excluded, {ta['pending']} pending "
                      f"({ta['conflicts']['open']} conflicts); full text {ft['included']} included, "
                      f"{ft['excluded']} excluded, {ft['not_retrieved']} not retrieved, {ft['pending']} pending; "
                      f"{len(changed)} files updated under {layout.relative(layout.screening)}/")
    return 0
