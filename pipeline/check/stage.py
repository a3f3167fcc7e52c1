"""The retraction check as a library call: `run` asks Crossref about every candidate study, freezes the
replies, and says what they mean for the review; `load_assessment` reads that state back offline
(for `make status` and the report). Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline import hints
from pipeline.check import assess, retractions
from pipeline.errors import InternalError, UsageError, UserError
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import Protocol
from pipeline.search.services import CROSSREF, ServiceSettings


def load_assessment(layout: Layout, protocol: Protocol, studies: pl.DataFrame | None = None,
                    final: pl.DataFrame | None = None) -> assess.Assessment | None:
    """The retraction state from the stage files and the newest check; None before screening."""
    from pipeline.report.inputs import read_final

    if studies is None:
        if not layout.studies.is_file():
            return None
        studies = pl.read_parquet(layout.studies)
    if final is None:
        if not layout.final.is_file():
            return None
        final = read_final(layout.final)
    folder, log = retractions.newest(layout)
    return assess.assess(assess.candidates(studies, final), log, protocol.retractions,
                         layout.relative(folder) if folder else None, hints.make("check", layout))


def describe(result: assess.Assessment) -> list[str]:
    """Lines for `make status` and `make check`: when checked, what is flagged, what blocks."""
    when = f"checked on {result.checked_at[:10]} ({result.checked} studies)" if result.checked_at else "never checked"
    lines = [f"Retraction check: {when}; {len(result.flags)} flagged "
             f"({sum(f.included for f in result.flags)} included)."]
    for flag in result.flags:
        ack = flag.acknowledgment
        state = (f"acknowledged: {ack.decision} ({ack.reason})" if ack else "not acknowledged")
        lines.append(f"  {flag.study_id}: {assess.LABELS[flag.status]}"
                     + (" [included]" if flag.included else " [awaiting a decision]") + f"; {state}")
    return lines


@dataclass(frozen=True)
class CheckResult:
    """What one retraction check did: its snapshot, its log and what it means for the review."""

    folder: Path
    log: dict
    assessment: assess.Assessment

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        log = self.log
        counts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in log["counts"].items()) or "nothing to check"
        return (f"{log['studies_checked']:,} studies, {log['dois_asked']:,} DOIs asked in Crossref "
                f"({log['requests']} requests): {counts} -> {layout.relative(self.folder)}")


def run(layout: Layout, protocol: Protocol, *, timeout: float = 60.0, tries: int = 5, backoff: float = 1.0,
          client: retractions.CrossrefClient | None = None, progress: Progress | None = None,
          note: Callable[[str], None] = lambda text: None) -> CheckResult:
    """The check as a library call: every candidate study's DOI asked in Crossref, frozen, assessed."""
    from pipeline.report.inputs import read_final

    if not layout.studies.is_file() or not layout.final.is_file():
        raise UserError(f"the retraction check needs the screening results: run `{hints.make('review', layout)}` first")
    if tries < 1:
        raise UsageError(f"--tries must be at least 1, not {tries}")
    studies, final = pl.read_parquet(layout.studies), read_final(layout.final)
    if client is None:
        settings = ServiceSettings.from_env(CROSSREF, timeout=timeout, tries=tries, backoff=backoff)
        client = retractions.CrossrefClient(settings)
    folder = retractions.take(layout, studies, final, client, note=note,
                              report=lambda done, total: report(progress, "check: DOIs looked up in Crossref", done, total))
    _, log = retractions.newest(layout)
    found = load_assessment(layout, protocol, studies, final)
    if log is None or found is None:
        raise InternalError(f"the check just written to {folder} cannot be read back")
    return CheckResult(folder, log, found)
