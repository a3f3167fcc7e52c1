"""CLI for the retraction check: `python -m pipeline check` (`make check`; needs network)."""

from __future__ import annotations

import argparse

from pipeline.check.stage import describe
from pipeline.check.stage import run as run_stage
from pipeline.console import console, progress_callback, summary, warn
from pipeline.options import from_args
from pipeline.textio import printable

DESCRIPTION = """\
Look up every included study's DOI (and every study still awaiting a decision) in Crossref's REST
API (/works/{doi}): its updated-by relations carry retractions, expressions of concern and
corrections, including those from the Retraction Watch database. What Crossref answered is frozen
in outputs/checks/retractions/<YYYY-MM-DDTHHMMSSZ>/ (raw replies + check_log.json), so the report
can say "checked on <date>". Records' own flags (PubMed, Europe PMC) are combined with it.

A retracted included study, or one under an expression of concern, must be acknowledged in the
protocol before the report calls the review complete:

  [[retractions]]
  doi = "10.1234/abcd"          # or study = "<study id>"
  decision = "keep"             # or "exclude" (then exclude it at full text)
  reason = "Retracted for a figure error that does not touch the outcomes we extract"
"""

EPILOG = """\
environment:
  CONTACT_EMAIL     your e-mail address, sent to Crossref as `mailto` (or NCBI_EMAIL); required
  CROSSREF_API_URL  Crossref REST base URL (default https://api.crossref.org/), e.g. a stand-in:
                    python tests/crossref_server.py --port 8768 and CROSSREF_API_URL=http://127.0.0.1:8768/"""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `check` to the CLI."""
    parser = sub.add_parser("check", parents=[common], help="Check included studies for retractions in Crossref (live)",
                            description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per request (default 60)")
    parser.add_argument("--tries", type=int, default=5, metavar="N", help="attempts per request (default 5)")
    parser.add_argument("--backoff", type=float, default=1.0, metavar="SECONDS",
                        help="wait before the first retry, doubling each time (default 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`python -m pipeline check`: one call of `pipeline.check.run`, its flags and its summary line."""
    layout, protocol = from_args(args)
    with progress_callback() as progress:
        result = run_stage(layout, protocol, timeout=args.timeout, tries=args.tries, backoff=args.backoff,
                       progress=progress, note=lambda text: console.print(text, markup=False, soft_wrap=True))
    for line in describe(result.assessment)[1:]:
        console.print(printable(line), markup=False, soft_wrap=True)
    for problem in result.assessment.blocking:
        warn(problem)
    summary("check", result.describe(layout))
    return 0
