"""`status` and `clean`: what is done and what is next; remove only what can be regenerated."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from pipeline.console import summary
from pipeline.layout import Layout, Owner
from pipeline.options import from_args, layout_from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `status` and `clean` to the CLI."""
    p = sub.add_parser("status", parents=[common], help="Per stage and reviewer: screened, remaining, conflicts, next step")
    p.set_defaults(func=run_status)
    p = sub.add_parser("clean", parents=[common], help="Remove regenerable outputs (never snapshots, sheets or decisions)")
    p.set_defaults(func=run_clean)


def run_status(args: argparse.Namespace) -> int:
    from pipeline.screen.status import print_status

    layout, protocol = from_args(args)
    return print_status(layout, protocol)


def regenerable(layout: Layout) -> list[Path]:
    """Files under outputs/ that `Layout` marks generated: people's files and unknown files stay."""
    if not layout.outputs.is_dir():
        return []
    return sorted(p for p in layout.outputs.rglob("*") if p.is_file() and layout.owner(p) == Owner.GENERATED)


def clean(layout: Layout) -> list[Path]:
    """Remove every generated file (and folders left empty); return what was removed."""
    files = regenerable(layout)
    for path in files:
        path.unlink()
    if layout.outputs.is_dir():
        for folder in sorted((p for p in layout.outputs.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                shutil.rmtree(folder)
    return files


def run_clean(args: argparse.Namespace) -> int:
    layout = layout_from_args(args)
    files = clean(layout)
    summary("clean", f"removed {len(files)} regenerable files under {layout.outputs}; kept snapshots, sheets and decisions")
    return 0
