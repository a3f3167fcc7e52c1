"""The search stage as a library call: check the protocol's live queries (PubMed, ClinicalTrials.gov,
Europe PMC), run them, freeze snapshots.

`run` prints nothing: progress goes to the optional callback, notes (such as "resuming a partial
search") to `note`, and the search logs' warnings come back in the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pipeline.errors import InputError, Problem, UsageError
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import LIVE_TYPES, CtgovSearch, LiveSearch, Protocol, PubMedSearch
from pipeline.search import ctgov, europepmc
from pipeline.search.entrez import EntrezClient
from pipeline.search.fetch import DEFAULT_BATCH
from pipeline.search.pubmed import take
from pipeline.search.query import check, check_boolean
from pipeline.search.services import CTGOV, EUROPEPMC, ServiceSettings
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

    checked: list[LiveSearch]
    searched: list[Searched] = field(default_factory=list)
    protocol_path: Path | None = None

    @property
    def warnings(self) -> list[str]:
        return [f"{s.source}: {text}" for s in self.searched for text in s.log["warnings"]]

    def describe(self, layout: Layout) -> list[str]:
        """One summary line per search (or one line when nothing was sent)."""
        if not self.checked:
            return [f"no live sources (PubMed, ClinicalTrials.gov, Europe PMC) in {self.protocol_path}; nothing to do"]
        if not self.searched:
            n = len(self.checked)
            kinds: dict[str, int] = {}
            for search in self.checked:
                kinds[LIVE_TYPES[_type_of(search)]] = kinds.get(LIVE_TYPES[_type_of(search)], 0) + 1
            named = ", ".join(f"{k} {name}" for name, k in kinds.items())
            return [f"{n} {'query' if n == 1 else 'queries'} checked ({named}); nothing sent"]
        lines = []
        for s in self.searched:
            log = s.log
            reported = "?" if log["count_reported"] is None else f"{log['count_reported']:,}"
            if "slices" in log:
                slices = len(log["slices"])
                how = f"{slices} slice{'s' if slices != 1 else ''}, {len(log['batches'])} batches, {log['requests']} requests"
            else:
                how = (f"{len(log['batches'])} pages, {log['requests']} requests"
                       + (f", restarted {log['restarts']} times after an expired page token" if log.get("restarts") else ""))
            lines.append(f"{s.source}: {log['retrieved']:,} of {reported} records ({how}) -> {layout.relative(s.folder)}")
        return lines


def run(layout: Layout, protocol: Protocol, *, sources: list[str] | None = None, check_only: bool = False,
        batch_size: int = DEFAULT_BATCH, page_size: int = 1000, timeout: float = 60.0, tries: int = 5, backoff: float = 1.0,
        client: EntrezClient | None = None, progress: Progress | None = None,
        note: Callable[[str], None] | None = None) -> SearchResult:
    """Check every selected query first (nothing is sent if one is wrong), then search each live."""
    searches = selected(protocol, sources)
    check_all(searches)
    if not searches or check_only:
        return SearchResult(searches, protocol_path=protocol.path)
    if tries < 1:
        raise UsageError(f"--tries must be at least 1, not {tries}")
    if client is None and any(isinstance(s, PubMedSearch) for s in searches):
        client = EntrezClient(Settings.from_env(timeout=timeout, tries=tries, backoff=backoff))
    done: list[Searched] = []
    for search in searches:
        fetched, quiet = _fetched(progress, search.name), note or (lambda text: None)
        if isinstance(search, PubMedSearch):
            assert client is not None
            folder = take(layout, search, client, batch_size=batch_size, report=fetched, note=quiet)
        elif isinstance(search, CtgovSearch):
            folder = ctgov.take(layout, search, ServiceSettings.from_env(CTGOV, timeout=timeout, tries=tries, backoff=backoff),
                                page_size=min(page_size, ctgov.MAX_PAGE), report=fetched, note=quiet)
        else:
            folder = europepmc.take(layout, search, ServiceSettings.from_env(EUROPEPMC, timeout=timeout, tries=tries, backoff=backoff),
                                    page_size=min(page_size, europepmc.MAX_PAGE), report=fetched, note=quiet)
        done.append(Searched(search.name, folder, read_log(folder)))
    return SearchResult(searches, done, protocol.path)


def _fetched(progress: Progress | None, source: str) -> Callable[[int, int], None]:
    """`take`'s (done, total) reports as the stage's progress task."""
    def update(done: int, total: int) -> None:
        report(progress, f"{source}: records fetched", done, total)

    return update


def _type_of(search: LiveSearch) -> str:
    return "pubmed" if isinstance(search, PubMedSearch) else "ctgov" if isinstance(search, CtgovSearch) else "europepmc"


def selected(protocol: Protocol, names: list[str] | None) -> list[LiveSearch]:
    """The live searches to run: all of them, or those named with --source."""
    if not names:
        return list(protocol.live)
    known = {s.name: s for s in protocol.live}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError.one(protocol.path, f"no live source named {', '.join(map(repr, unknown))}; "
                                            f"live sources: {', '.join(known) or 'none'}")
    return [known[n] for n in dict.fromkeys(names)]


def check_all(searches: list[LiveSearch]) -> None:
    """Every query and date limit, all problems reported at once, before any request."""
    problems: list[Problem] = []
    for search in searches:
        problems += _problems_of(search)
    if problems:
        raise InputError(problems)


def _problems_of(search: LiveSearch) -> list[Problem]:
    """What is wrong with one search's query (and PubMed's date limits)."""
    problems: list[Problem] = []
    checks: list[Callable[[], None]]
    if isinstance(search, PubMedSearch):
        checks = [partial(check, search.query, search.name),
                  partial(check_dates, search.name, search.mindate, search.maxdate)]
    elif isinstance(search, CtgovSearch):
        checks = [partial(ctgov.check, search)]
    else:
        checks = [partial(check_boolean, search.query, search.name)]
    for checker in checks:
        try:
            checker()
        except InputError as exc:
            problems += exc.problems
    return problems
