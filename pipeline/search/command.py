"""CLI for the search stage: `python -m pipeline search [--source NAME] [--check]`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

from rich.progress import Progress

from pipeline.console import console, progress, summary, warn
from pipeline.errors import InputError, PipelineError, Problem
from pipeline.layout import from_args
from pipeline.protocol import LIVE_TYPES, CtgovSearch, EuropePmcSearch, LiveSearch, Protocol, PubMedSearch
from pipeline.search import ctgov, europepmc
from pipeline.search.entrez import MAX_BATCH, EntrezClient
from pipeline.search.fetch import DEFAULT_BATCH
from pipeline.search.pubmed import take
from pipeline.search.query import check, check_boolean
from pipeline.search.services import CTGOV, EUROPEPMC, ServiceSettings
from pipeline.search.settings import Settings
from pipeline.search.slicing import check_dates
from pipeline.search.snapshot import read_log

DESCRIPTION = """\
Run each live search of the protocol (queries/review.toml, [[sources]] with type = "pubmed",
"ctgov" or "europepmc") and freeze it as outputs/search/<source>/<YYYY-MM-DDTHHMMSSZ>/: every raw
reply (gzip) and search_log.json (PRISMA-S: query as sent, date, count reported vs retrieved,
service and tool versions).

Queries are checked first (parentheses, quotes, PubMed field tags); nothing is sent if one is wrong.
PubMed results over its 9,999-record limit are split into publication-date slices automatically;
ClinicalTrials.gov and Europe PMC are read page by page (an expired page token restarts the query).
A run that fails or is interrupted leaves earlier snapshots as they were; run it again to resume."""

EPILOG = """\
environment:
  NCBI_EMAIL         your e-mail address, sent to NCBI with every request (required for PubMed)
  NCBI_API_KEY       NCBI API key: 10 instead of 3 requests/second (optional; never logged or stored)
  NCBI_EUTILS_URL    E-utilities base URL (default https://eutils.ncbi.nlm.nih.gov/entrez/eutils/),
                     e.g. a stand-in: python tests/eutils_server.py --port 8765
                     and NCBI_EUTILS_URL=http://127.0.0.1:8765/
  CTGOV_API_URL      ClinicalTrials.gov API v2 (default https://clinicaltrials.gov/api/v2/);
                     stand-in: python tests/ctgov_server.py --port 8766 -> http://127.0.0.1:8766/api/v2/
  EUROPEPMC_API_URL  Europe PMC REST (default https://www.ebi.ac.uk/europepmc/webservices/rest/);
                     stand-in: python tests/europepmc_server.py --port 8767
                     -> http://127.0.0.1:8767/europepmc/webservices/rest/

examples:
  python -m pipeline search --check          check the queries, send nothing
  NCBI_EMAIL=me@example.org python -m pipeline search --source pubmed
  python -m pipeline search --source ctgov --source europepmc"""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `search` to the CLI."""
    parser = sub.add_parser(
        "search", parents=[common], help="Run the live searches (PubMed, ClinicalTrials.gov, Europe PMC) and freeze each as a dated snapshot",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", action="append", metavar="NAME",
                        help="only this live source (repeatable; default: every PubMed, ClinicalTrials.gov and Europe PMC source)")
    parser.add_argument("--check", action="store_true", help="only check the queries and date limits; send nothing")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="N",
                        help=f"records per efetch request (default {DEFAULT_BATCH}, at most {MAX_BATCH:,})")
    parser.add_argument("--page-size", type=int, default=1000, metavar="N",
                        help="records per ClinicalTrials.gov / Europe PMC page (default and most 1,000)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="give up on a request after this long without data (default 60)")
    parser.add_argument("--tries", type=int, default=5, metavar="N",
                        help="attempts per request before giving up (default 5)")
    parser.add_argument("--backoff", type=float, default=1.0, metavar="SECONDS",
                        help="wait before the first retry, doubling each time (default 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    layout, protocol = from_args(args)
    searches = selected(protocol, args.source)
    if not searches:
        summary("search", f"no live sources (PubMed, ClinicalTrials.gov, Europe PMC) in {protocol.path}; nothing to do")
        return 0
    check_all(searches)
    if args.check:
        kinds = ", ".join(f"{n} {LIVE_TYPES[t]}" for t, n in _count_types(searches).items())
        summary("search", f"{len(searches)} {'query' if len(searches) == 1 else 'queries'} checked ({kinds}); nothing sent")
        return 0
    if args.tries < 1:
        raise PipelineError(f"--tries must be at least 1, not {args.tries}")
    patience = {"timeout": args.timeout, "tries": args.tries, "backoff": args.backoff}
    entrez = EntrezClient(Settings.from_env(**patience)) if any(isinstance(s, PubMedSearch) for s in searches) else None
    note = lambda text: console.print(text, markup=False, soft_wrap=True)   # noqa: E731
    for search in searches:
        with FetchProgress(f"{search.name}: records fetched") as bar:
            if isinstance(search, PubMedSearch):
                assert entrez is not None
                folder = take(layout, search, entrez, batch_size=args.batch_size, report=bar.update, note=note)
            elif isinstance(search, CtgovSearch):
                folder = ctgov.take(layout, search, ServiceSettings.from_env(CTGOV, **patience),
                                    page_size=min(args.page_size, ctgov.MAX_PAGE), report=bar.update, note=note)
            else:
                folder = europepmc.take(layout, search, ServiceSettings.from_env(EUROPEPMC, **patience),
                                        page_size=min(args.page_size, europepmc.MAX_PAGE), report=bar.update, note=note)
        log = read_log(folder)
        for text in log["warnings"]:
            warn(f"{search.name}: {text}")
        where = layout.relative(folder)
        reported = "?" if log["count_reported"] is None else f"{log['count_reported']:,}"
        if isinstance(search, PubMedSearch):
            how = (f"{len(log['slices'])} slice{'s' if len(log['slices']) != 1 else ''}, "
                   f"{len(log['batches'])} batches, {log['requests']} requests")
        else:
            how = (f"{len(log['batches'])} pages, {log['requests']} requests"
                   + (f", restarted {log['restarts']} times after an expired page token" if log.get("restarts") else ""))
        summary("search", f"{search.name}: {log['retrieved']:,} of {reported} records ({how}) -> {where}")
    return 0


def _count_types(searches: list[LiveSearch]) -> dict[str, int]:
    kinds = {PubMedSearch: "pubmed", CtgovSearch: "ctgov", EuropePmcSearch: "europepmc"}
    out: dict[str, int] = {}
    for search in searches:
        out[kinds[type(search)]] = out.get(kinds[type(search)], 0) + 1
    return out


class FetchProgress:
    """A records-fetched bar that appears with the first batch, so an early failure stays one line."""

    def __init__(self, description: str):
        self.description = description
        self.bar: Progress | None = None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress()
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __enter__(self) -> FetchProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


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
