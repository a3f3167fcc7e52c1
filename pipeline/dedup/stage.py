"""The dedup stage's I/O edge: records.parquet + people's decisions in, clusters, studies, pairs, summary out.

`pipeline.dedup.engine.dedup` is the pure core; `run` reads its inputs from the `Layout` (with the
import's links between reports, `links.parquet`, when there are any), calls it
and writes every output atomically (unchanged bytes are not rewritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import hints
from pipeline.dedup import decisions as person
from pipeline.dedup import pair_review
from pipeline.dedup.engine import DedupResult, dedup
from pipeline.errors import UserError
from pipeline.files import read_parquet, transaction, write_parquet_atomic, write_text_atomic
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import Protocol
from pipeline.records import RECORD_SCHEMA
from pipeline.textio import frame_to_csv_atomic


@dataclass(frozen=True)
class DedupRunResult(DedupResult):
    """What `run` computed and which files it changed."""

    changed: list[Path] = field(default_factory=list)
    moved: int = 0                              # decisions moved from pairs_to_review.csv into decisions.csv
    warnings: list[str] = field(default_factory=list)

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        s = self.stats
        removed = s.duplicates_removed
        return (f"{s.records_in:,} records -> {s.studies:,} studies; duplicates removed: "
                f"{removed['identifier']:,} by identifier, {removed['fuzzy']:,} fuzzy, {removed['person']:,} by people; "
                f"{s.pairs_waiting:,} pairs waiting in {layout.relative(layout.pairs_to_review)}; "
                + (f"{self.moved:,} decision(s) moved from pairs_to_review.csv into decisions.csv; " if self.moved else "")
                + (f"{s.linked_reports['reports']:,} reports linked into {s.linked_reports['studies']:,} studies "
                   "by trial number; " if s.linked_reports.get("reports") else "")
                + f"wrote {layout.relative(layout.dedup)}/")


def run(layout: Layout, protocol: Protocol | None = None, *, progress: Progress | None = None) -> DedupRunResult:
    """Group the records table into studies, people's decisions first (the protocol is not needed)."""
    if not layout.records.exists():
        raise UserError(f"{layout.records} is missing: run `{hints.python('import', layout)}` first")
    rebuild = f"run `{hints.make('records', layout)}` ({hints.python('import', layout)}) to write it again"
    records = read_parquet(layout.records, rebuild, schema=RECORD_SCHEMA)
    person.ensure_file(layout.dedup_decisions)
    warnings: list[str] = []
    known = set(records["record_id"].to_list())
    moved = pair_review.carry_over(layout.pairs_to_review, layout.dedup_decisions, known,
                                   layout.relative(layout.pairs_to_review), layout.relative(layout.dedup_decisions))
    decided = person.read(layout.dedup_decisions, known, warnings)
    task = f"dedup: comparing {records.height:,} records"
    report(progress, task, 0, None)
    links = (read_parquet(layout.records_links, rebuild)
             if layout.records_links.exists() else None)
    result = dedup(records, decided, decisions_file=str(layout.dedup_decisions), links=links)
    report(progress, task, 1, 1)
    waiting, warnings = pair_review.keep_typed(result.pairs_to_review, layout.pairs_to_review,
                                               layout.relative(layout.pairs_to_review))
    outputs = [
        (layout.clusters, lambda p: write_parquet_atomic(p, result.clusters)),
        (layout.studies, lambda p: write_parquet_atomic(p, result.studies)),
        (layout.pairs_to_review, lambda p: frame_to_csv_atomic(p, waiting)),
        (layout.linked_reports, lambda p: frame_to_csv_atomic(p, result.groups)),
        (layout.dedup_summary, lambda p: write_text_atomic(p, json.dumps(result.summary, indent=2) + "\n")),
    ]
    with transaction():                  # every file or none: a full disk leaves all as they were
        changed = [path for path, write in outputs if write(path)]
    return DedupRunResult(result.clusters, result.studies, waiting, result.stats, groups=result.groups,
                          changed=changed, moved=moved, warnings=warnings)
