"""The extraction part of `make status`: what is left to extract, as one next step."""

from __future__ import annotations

import json

from pipeline import hints
from pipeline.layout import Layout
from pipeline.protocol import Protocol


def next_step(layout: Layout, protocol: Protocol, included_reports: int) -> str:
    """After screening is complete: the next extraction step, or `make report` when it is done."""
    form = protocol.extraction
    if not form.fields:
        return f"Run `{hints.make('report', layout)}`."
    if not form.reviewers:
        return f"Name the extraction reviewers in {layout.relative(protocol.path)} ([extraction] reviewers)."
    path = layout.extraction_summary
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        summary = None
    missing = [who for who in form.reviewers if not layout.extraction_sheet(who).exists()]
    if summary is None or summary.get("reports") != included_reports or missing:
        return (f"Run `{hints.make('extract', layout)}` ({hints.python('extract', layout)}) to write the extraction "
                "sheets for the included studies.")
    behind = {w: r["assigned"] - r["extracted"] for w, r in summary["reviewers"].items() if r["assigned"] > r["extracted"]}
    if behind:
        todo = "; ".join(f"{w} has {n} to extract in {layout.relative(layout.extraction_sheet(w))}"
                         for w, n in behind.items())
        return f"Extract: {todo}. Then run `{hints.make('extract', layout)}`."
    if summary["fields"]["open"]:
        return (f"Settle {summary['fields']['open']} extraction discrepancies listed in "
                f"{layout.relative(layout.discrepancies)}: add a row per field to "
                f"{layout.relative(layout.extraction_resolutions)} (study_id, field, value, resolved_by, notes), "
                f"then run `{hints.make('extract', layout)}`.")
    return (f"Extraction is complete: {summary['studies']} studies from {summary['reports']} reports. "
            f"Run `{hints.make('report', layout)}`.")
