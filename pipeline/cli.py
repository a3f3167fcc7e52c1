"""Command line: `python -m pipeline <stage>` (also installed as `review-pipeline`).

Each stage package has a `command` module with `register(subparsers)`; this module only wires them
together, adds the common options and turns user-facing errors into one clear message. A command
imports only the module that registers it (`COMMANDS`): `simulate` need not load the web app, and
every command starts faster; `--help` and an unknown command load them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.console import console
from pipeline.errors import InternalError, PipelineError, UsageError
from pipeline.files import reason
from pipeline.options import common_parser
from pipeline.textio import printable

# sub-command -> the module whose `register` adds it (in the order `--help` lists them)
COMMANDS: dict[str, str] = {
    "search": "pipeline.search.command",
    "import": "pipeline.imports.command",
    "dedup": "pipeline.dedup.command",
    "dedup-csv": "pipeline.dedup.command",
    "screen": "pipeline.screen.command",
    "app": "pipeline.app.command",
    "extract": "pipeline.extract.command",
    "report": "pipeline.report.command",
    "check": "pipeline.check.command",
    "status": "pipeline.housekeeping",
    "clean": "pipeline.housekeeping",
    "simulate": "pipeline.prioritise.command",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI; each stage registers its own sub-command and options (only `command`'s module when it is known)."""
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Systematic-review pipeline: search -> import -> dedup -> screen -> extract -> report (PRISMA 2020).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)
    wanted = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for name in dict.fromkeys(wanted):
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one stage; user-facing errors print as messages and exit 1, never as tracebacks."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)    # the top level has no option taking a value
    args = build_parser(command).parse_args(argv)
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
