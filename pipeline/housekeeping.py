"""`status` and `clean`: what is done and what is next; remove only what can be regenerated."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from pipeline.console import summary
from pipeline.layout import Layout, from_args

# Files under outputs/ that people write or that cannot be regenerated offline. `clean` keeps them:
# search snapshots (every file, at any depth), reviewer sheets and resolutions
# (screening/<stage>/<name>.csv), automation overrides, dedup decisions, extraction sheets, resolutions
# and same_study links (extraction/<name>.csv).
KEEP_GLOBS = ("search/**/*", "screening/*/*.csv", "screening/automation_overrides.csv", "dedup/decisions.csv",
              "extraction/*.csv")
# Generated files that the globs above would otherwise keep.
GENERATED_GLOBS = ("screening/*/conflicts.csv", "extraction/final.csv", "extraction/discrepancies.csv",
                   "extraction/studies.csv")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `status` and `clean` to the CLI."""
    p = sub.add_parser("status", parents=[common], help="Per stage and reviewer: screened, remaining, conflicts, next step")
    p.set_defaults(func=run_status)
    p = sub.add_parser("clean", parents=[common], help="Remove regenerable outputs (never snapshots, sheets or decisions)")
    p.set_defaults(func=run_clean)


def run_status(args: argparse.Namespace) -> int:
    from pipeline.screen.command import print_status

    layout, protocol = from_args(args)
    return print_status(layout, protocol)


def regenerable(layout: Layout) -> list[Path]:
    """Files under outputs/ that the pipeline can write again from inputs."""
    keep = {p for pattern in KEEP_GLOBS for p in layout.outputs.glob(pattern)}
    keep -= {p for pattern in GENERATED_GLOBS for p in layout.outputs.glob(pattern)}
    return sorted(p for p in layout.outputs.rglob("*") if p.is_file() and p not in keep)


def run_clean(args: argparse.Namespace) -> int:
    layout = Layout.at(args.root, args.outputs)
    files = regenerable(layout)
    for path in files:
        path.unlink()
    for folder in sorted((p for p in layout.outputs.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            shutil.rmtree(folder)
    summary("clean", f"removed {len(files)} regenerable files under {layout.outputs}; kept snapshots, sheets and decisions")
    return 0
