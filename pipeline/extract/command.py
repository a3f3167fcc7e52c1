"""CLI for the extract stage: `python -m pipeline extract`."""

from __future__ import annotations

import argparse

from pipeline.console import summary, warn
from pipeline.extract import engine, outputs
from pipeline.layout import from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `extract` to the CLI."""
    parser = sub.add_parser(
        "extract", parents=[common], help="Write/refresh extraction sheets, link reports into studies, settle values",
        description="For every study included at full text: write/refresh each extraction reviewer's sheet "
                    "(keeping every value) with suggested values, link reports of one study, list "
                    "discrepancies between reviewers and write outputs/extraction/final.csv.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the stage and end with one line: what it found and where it wrote."""
    layout, protocol = from_args(args)
    result, changed = engine.run(layout, protocol)
    for warning in result.warnings:
        warn(warning)
    s = result.summary
    where = layout.relative(outputs.folder(layout))
    if not protocol.extraction.fields:
        summary("extract", f"{s['studies']} studies from {s['reports']} included reports; the protocol has no "
                           f"[extraction] form, so no sheets; wrote {where}/")
        return 0
    summary("extract", f"{s['studies']} studies from {s['reports']} included reports "
                       f"({s['links']['registration']} linked by registration, {s['links']['person']} by people); "
                       f"{s['complete']} extracted, {s['discrepancies']} with discrepancies "
                       f"({s['fields']['open']} fields open), {s['in_progress'] + s['not_started']} pending; "
                       f"{len(changed)} files updated under {where}/")
    return 0
