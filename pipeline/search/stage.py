"""The search stage as a library call: check the protocol's PubMed queries, run them, freeze snapshots.

`run` prints nothing: progress goes to the optional callback, notes (such as "resuming a partial
search") to `note`, and the search logs' warnings come back in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError, Problem, UsageError
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import Protocol, PubMedSearch
from pipeline.search.entrez import EntrezClient
from pipeline.search.fetch import DEFAULT_BATCH
from pipeline.search.pubmed import take
from pipeline.search.query import check
from pipeline.search.settings import Settings
from pipeline.search.slicing import check_dates
from pipeline.search.snapshot import read_log


@dataclass(frozen=True)
class Searched:
    """One search frozen as a snapshot: its folder and its search log."""

    source: str
    folder: Path
    log: dict


@dataclass(frozen=True)
class SearchResult:
    """The searches checked and, unless only checking, the snapshots taken."""

    checked: list[PubMedSearch]
    searched: list[Searched] = field(default_factory=list)
    protocol_path: Path | None = None

    @property
    def warnings(self) -> list[str]:
        return [f"{s.source}: {text}" for s in self.searched for text in s.log["warnings"]]

    def describe(self, layout: Layout) -> list[str]:
        """One summary line per search (or one line when nothing was sent)."""
        if not self.checked:
            return [f"no PubMed sources in {self.protocol_path}; nothing to do"]
        if not self.searched:
            n = len(self.checked)
            return [f"{n} PubMed {'query' if n == 1 else 'queries'} checked; nothing sent"]
        lines = []
        for s in self.searched:
            log, slices = s.log, len(s.log["slices"])
            lines.append(f"{s.source}: {log['retrieved']:,} of {log['count_reported']:,} records "
                         f"({slices} slice{'s' if slices != 1 else ''}, {len(log['batches'])} batches, "
                         f"{log['requests']} requests) -> {layout.relative(s.folder)}")
        return lines


def run(layout: Layout, protocol: Protocol, *, sources: list[str] | None = None, check_only: bool = False,
        batch_size: int = DEFAULT_BATCH, timeout: float = 60.0, tries: int = 5, backoff: float = 1.0,
        client: EntrezClient | None = None, progress: Progress | None = None,
        note: Callable[[str], None] | None = None) -> SearchResult:
    """Check every selected query first (nothing is sent if one is wrong), then search each live."""
    searches = selected(protocol, sources)
    check_all(searches)
    if not searches or check_only:
        return SearchResult(searches, protocol_path=protocol.path)
    if tries < 1:
        raise UsageError(f"--tries must be at least 1, not {tries}")
    client = client or EntrezClient(Settings.from_env(timeout=timeout, tries=tries, backoff=backoff))
    done: list[Searched] = []
    for search in searches:
        folder = take(layout, search, client, batch_size=batch_size, report=_fetched(progress, search.name),
                      note=note or (lambda text: None))
        done.append(Searched(search.name, folder, read_log(folder)))
    return SearchResult(searches, done, protocol.path)


def _fetched(progress: Progress | None, source: str) -> Callable[[int, int], None]:
    """`take`'s (done, total) reports as the stage's progress task."""
    def update(done: int, total: int) -> None:
        report(progress, f"{source}: records fetched", done, total)

    return update


def selected(protocol: Protocol, names: list[str] | None) -> list[PubMedSearch]:
    """The PubMed searches to run: all of them, or those named with --source."""
    if not names:
        return list(protocol.searches)
    known = {s.name: s for s in protocol.searches}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError.one(protocol.path, f"no PubMed source named {', '.join(map(repr, unknown))}; "
                                            f"PubMed sources: {', '.join(known) or 'none'}")
    return [known[n] for n in dict.fromkeys(names)]


def check_all(searches: list[PubMedSearch]) -> None:
    """Every query and date limit, all problems reported at once, before any request."""
    problems: list[Problem] = []
    for search in searches:
        for checker in (lambda s=search: check(s.query, s.name),
                        lambda s=search: check_dates(s.name, s.mindate, s.maxdate)):
            try:
                checker()
            except InputError as exc:
                problems += exc.problems
    if problems:
        raise InputError(problems)
