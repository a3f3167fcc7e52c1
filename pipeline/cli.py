"""Command line: `python -m pipeline <stage>` (also installed as `review-pipeline`).

Each stage package has a `command` module with `register(subparsers)`; this module only wires them
together, adds the common options and turns user-facing errors into one clear message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipeline import __version__, housekeeping
from pipeline.app import command as app_cmd
from pipeline.check import command as check_cmd
from pipeline.console import console
from pipeline.dedup import command as dedup_cmd
from pipeline.errors import InternalError, PipelineError, UsageError
from pipeline.extract import command as extract_cmd
from pipeline.files import reason
from pipeline.imports import command as import_cmd
from pipeline.options import common_parser
from pipeline.prioritise import command as simulate_cmd
from pipeline.report import command as report_cmd
from pipeline.screen import command as screen_cmd
from pipeline.search import command as search_cmd
from pipeline.textio import printable


def build_parser() -> argparse.ArgumentParser:
    """The whole CLI; each stage registers its own sub-command and options."""
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Systematic-review pipeline: search -> import -> dedup -> screen -> extract -> report (PRISMA 2020).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)
    for module in (search_cmd, import_cmd, dedup_cmd, screen_cmd, app_cmd, extract_cmd, report_cmd, check_cmd,
                   housekeeping, simulate_cmd):
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; user-facing errors print as messages and exit 1, never as tracebacks."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InternalError as exc:
        console.print("[red]internal error[/red]:", end=" ")
        console.print(f"{printable(exc)} (a bug or a hand-edited generated file: please report it)", markup=False,
                      soft_wrap=True)
        return 1
    except PipelineError as exc:
        console.print("[red]error[/red]:", end=" ")
        console.print(printable(exc), markup=False, soft_wrap=True)
        return 2 if isinstance(exc, UsageError) else 1
    except OSError as exc:     # the machine, not the pipeline: a file system refused (each write is atomic)
        where = f"{exc.filename}: " if exc.filename else ""
        console.print("[red]error[/red]:", end=" ")
        console.print(printable(f"{where}{reason(exc)}; nothing was half-written"), markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        console.print("interrupted: nothing was half-written; rerun the same command to continue.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
