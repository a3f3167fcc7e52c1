"""CLI for the search stage: `python -m pipeline search [--source NAME] [--check]`."""

from __future__ import annotations

import argparse

from pipeline.console import console, progress_callback, summary, warn
from pipeline.options import from_args
from pipeline.search.entrez import MAX_BATCH
from pipeline.search.fetch import DEFAULT_BATCH
from pipeline.search.stage import run as run_stage

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
    """`pipeline.search.run`: every query checked first, then one search at a time, each with its summary line."""
    layout, protocol = from_args(args)
    checked = run_stage(layout, protocol, sources=args.source, check_only=True)
    if args.check or not checked.checked:
        summary("search", checked.describe(layout)[0])
        return 0
    for search in checked.checked:
        with progress_callback() as progress:
            result = run_stage(layout, protocol, sources=[search.name], batch_size=args.batch_size,
                               timeout=args.timeout, tries=args.tries, backoff=args.backoff, progress=progress,
                               note=lambda text: console.print(text, markup=False, soft_wrap=True))
        for text in result.warnings:
            warn(text)
        for line in result.describe(layout):
            summary("search", line)
    return 0
