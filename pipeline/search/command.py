"""CLI for the search stage: `python -m pipeline search [--source NAME] [--check]`."""

from __future__ import annotations

import argparse

from rich.progress import Progress

from pipeline.console import console, progress, summary, warn
from pipeline.errors import InputError, PipelineError, Problem
from pipeline.layout import from_args
from pipeline.protocol import Protocol, PubMedSearch
from pipeline.search.entrez import MAX_BATCH, EntrezClient
from pipeline.search.fetch import DEFAULT_BATCH
from pipeline.search.pubmed import take
from pipeline.search.query import check
from pipeline.search.settings import Settings
from pipeline.search.slicing import check_dates
from pipeline.search.snapshot import read_log

DESCRIPTION = """\
Run each PubMed search of the protocol (queries/review.toml, [[sources]] with type = "pubmed") live
through NCBI's E-utilities and freeze it as outputs/search/<source>/<YYYY-MM-DDTHHMMSSZ>/: every raw
reply (gzip) and search_log.json (query, PubMed's translation, dates, counts, versions).

Queries are checked first (parentheses, quotes, field tags); nothing is sent if one is wrong.
Results over PubMed's 9,999-record limit are split into publication-date slices automatically.
A run that fails or is interrupted leaves earlier snapshots as they were; run it again to resume."""

EPILOG = """\
environment:
  NCBI_EMAIL       your e-mail address, sent to NCBI with every request (required)
  NCBI_API_KEY     NCBI API key: 10 instead of 3 requests/second (optional; never logged or stored)
  NCBI_EUTILS_URL  E-utilities base URL (default https://eutils.ncbi.nlm.nih.gov/entrez/eutils/),
                   e.g. a stand-in: python tests/eutils_server.py --port 8765
                   and NCBI_EUTILS_URL=http://127.0.0.1:8765/

examples:
  python -m pipeline search --check          check the queries, send nothing
  NCBI_EMAIL=me@example.org python -m pipeline search --source pubmed"""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `search` to the CLI."""
    parser = sub.add_parser(
        "search", parents=[common], help="Run the PubMed searches live and freeze each as a dated snapshot",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", action="append", metavar="NAME",
                        help="only this PubMed source (repeatable; default: every PubMed source)")
    parser.add_argument("--check", action="store_true", help="only check the queries and date limits; send nothing")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, metavar="N",
                        help=f"records per efetch request (default {DEFAULT_BATCH}, at most {MAX_BATCH:,})")
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
        summary("search", f"no PubMed sources in {protocol.path}; nothing to do")
        return 0
    check_all(searches)
    if args.check:
        summary("search", f"{len(searches)} PubMed {'query' if len(searches) == 1 else 'queries'} checked; nothing sent")
        return 0
    if args.tries < 1:
        raise PipelineError(f"--tries must be at least 1, not {args.tries}")
    client = EntrezClient(Settings.from_env(timeout=args.timeout, tries=args.tries, backoff=args.backoff))
    for search in searches:
        with FetchProgress(f"{search.name}: records fetched") as bar:
            folder = take(layout, search, client, batch_size=args.batch_size, report=bar.update,
                          note=lambda text: console.print(text, markup=False, soft_wrap=True))
        log = read_log(folder)
        for text in log["warnings"]:
            warn(f"{search.name}: {text}")
        where = layout.relative(folder)
        summary("search", f"{search.name}: {log['retrieved']:,} of {log['count_reported']:,} records "
                          f"({len(log['slices'])} slice{'s' if len(log['slices']) != 1 else ''}, "
                          f"{len(log['batches'])} batches, {log['requests']} requests) -> {where}")
    return 0


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
