"""The dedup stage's I/O edge: records.parquet + people's decisions in, clusters, studies, pairs, summary out.

`pipeline.dedup.engine.dedup` is the pure core; `run` reads its inputs from the `Layout`, calls it
and writes every output atomically (unchanged bytes are not rewritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.dedup import decisions as person
from pipeline.dedup.engine import DedupResult, dedup
from pipeline.errors import UserError
from pipeline.files import write_parquet_atomic, write_text_atomic
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import Protocol
from pipeline.textio import frame_to_csv_atomic


@dataclass(frozen=True)
class DedupRunResult(DedupResult):
    """What `run` computed and which files it changed."""

    changed: list[Path] = field(default_factory=list)

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        s = self.stats
        removed = s.duplicates_removed
        return (f"{s.records_in:,} records -> {s.studies:,} studies; duplicates removed: "
                f"{removed['identifier']:,} by identifier, {removed['fuzzy']:,} fuzzy, {removed['person']:,} by people; "
                f"{s.pairs_waiting:,} pairs waiting in {layout.relative(layout.pairs_to_review)}; "
                f"wrote {layout.relative(layout.dedup)}/")


def run(layout: Layout, protocol: Protocol | None = None, *, progress: Progress | None = None) -> DedupRunResult:
    """Group the records table into studies, people's decisions first (the protocol is not needed)."""
    if not layout.records.exists():
        raise UserError(f"{layout.records} is missing: run `python -m pipeline import` first")
    records = pl.read_parquet(layout.records)
    person.ensure_file(layout.dedup_decisions)
    decided = person.read(layout.dedup_decisions, set(records["record_id"].to_list()))
    task = f"dedup: comparing {records.height:,} records"
    report(progress, task, 0, None)
    result = dedup(records, decided, decisions_file=str(layout.dedup_decisions))
    report(progress, task, 1, 1)
    outputs = [
        (layout.clusters, lambda p: write_parquet_atomic(p, result.clusters)),
        (layout.studies, lambda p: write_parquet_atomic(p, result.studies)),
        (layout.pairs_to_review, lambda p: frame_to_csv_atomic(p, result.pairs_to_review)),
        (layout.dedup_summary, lambda p: write_text_atomic(p, json.dumps(result.summary, indent=2) + "\n")),
    ]
    changed = [path for path, write in outputs if write(path)]
    return DedupRunResult(result.clusters, result.studies, result.pairs_to_review, result.stats, changed)
