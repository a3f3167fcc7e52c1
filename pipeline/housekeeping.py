"""`status` and `clean`: what is done and what is next; remove only what the pipeline wrote and can write again.

`clean` works only on an outputs tree the pipeline made (it holds `.pipeline-outputs.json`, see
`manifest`), and removes a file only when both agree: the manifest lists it as written by the
pipeline and it still holds what was written, and `Layout` marks its path generated (so search
snapshots, reviewer sheets, resolutions, overrides and dedup decisions never go). It never
follows a symbolic link, never leaves the tree, and `--dry-run` lists what it would remove.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline import manifest
from pipeline.console import line, summary
from pipeline.errors import UserError
from pipeline.files import is_stale_temp
from pipeline.layout import Layout, Owner, owner_of
from pipeline.options import from_args, layout_from_args


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `status` and `clean` to the CLI."""
    p = sub.add_parser("status", parents=[common], help="Per stage and reviewer: screened, remaining, conflicts, next step")
    p.set_defaults(func=run_status)
    p = sub.add_parser("clean", parents=[common], help="Remove regenerable outputs (never snapshots, sheets or decisions)",
                       description="Remove the files the pipeline wrote under the outputs folder and can write again. "
                                   "Never touches search snapshots, reviewer sheets, resolutions, overrides, dedup "
                                   "decisions, or any file the pipeline did not write (notes, spreadsheets, PDFs).")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")
    p.set_defaults(func=run_clean)


def run_status(args: argparse.Namespace) -> int:
    from pipeline.screen.status import print_status

    layout, protocol = from_args(args)
    return print_status(layout, protocol)


def plan(outputs: Path) -> tuple[list[Path], list[str], list[str]]:
    """(files to remove, listed files a person changed since, listed entries already gone) in `outputs`."""
    files = manifest.read(outputs)
    assert files is not None
    remove, changed, gone = [], [], []
    for rel, digest in sorted(files.items()):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts or owner_of(rel) != Owner.GENERATED:
            continue                        # people's files, snapshots, searches in progress: never
        path = outputs.joinpath(*parts)
        if _through_link(outputs, path):
            continue                        # never follow a link out of (or around) the tree
        if not path.is_file():
            gone.append(rel)
        elif _sha256(path) != digest:
            changed.append(rel)
        else:
            remove.append(path)
    for folder, dirs, names in os.walk(outputs):        # temp files of killed runs (os.walk follows no links)
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink()]
        remove += [Path(folder) / n for n in names if is_stale_temp(Path(folder) / n)]
    return remove, changed, gone


def regenerable(layout: Layout) -> list[Path]:
    """The files `clean` would remove under `layout.outputs` (none when it is not an outputs tree)."""
    return plan(layout.outputs)[0] if manifest.is_outputs_tree(layout.outputs) else []


@dataclass(frozen=True)
class Cleaned:
    """What `clean` removed (or, in a dry run, would remove) and what it kept because a person changed it."""

    removed: list[Path]
    changed: list[str]
    dry_run: bool = False


def clean(layout: Layout, *, dry_run: bool = False, explicit: bool = True) -> Cleaned:
    """Remove the generated files the pipeline wrote under `layout.outputs` (see the module); UserError
    when it is not an outputs tree the pipeline made. `explicit=False` (the default folder) makes
    a folder the pipeline never wrote into a no-op instead of an error."""
    outputs = layout.outputs
    if not outputs.is_dir() or outputs.is_symlink():
        if not explicit and not outputs.exists():
            return Cleaned([], [], dry_run)
        raise UserError(f"{outputs} is not an outputs folder the pipeline made (not a folder, or a link); nothing removed")
    if not manifest.is_outputs_tree(outputs):
        if not explicit:
            return Cleaned([], [], dry_run)
        raise UserError(f"{outputs} is not an outputs folder the pipeline made (no {manifest.NAME} in it); "
                        "nothing removed")
    if (outputs / ".git").exists() or (outputs / "queries").is_dir() or outputs in (layout.root, *layout.root.parents):
        raise UserError(f"{outputs} is a project folder, not its outputs folder; nothing removed")
    remove, changed, gone = plan(outputs)
    if dry_run:
        return Cleaned(remove, changed, True)
    removed = []
    for path in remove:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    _prune(outputs, {p.parent for p in removed})
    manifest.forget(outputs, [p.relative_to(outputs).as_posix() for p in removed] + gone)
    return Cleaned(removed, changed)


def run_clean(args: argparse.Namespace) -> int:
    layout = layout_from_args(args)
    shown = layout.relative(layout.outputs)
    done = clean(layout, dry_run=args.dry_run, explicit=args.outputs is not None)
    kept = (f"; kept {len(done.changed)} changed since the pipeline wrote them ({', '.join(done.changed[:3])}"
            f"{', ...' if len(done.changed) > 3 else ''})") if done.changed else ""
    if done.dry_run:
        for path in done.removed:
            line("would remove", layout.relative(path), "bold")
        summary("clean", f"dry run: would remove {len(done.removed)} files under {shown}/{kept}; removed nothing")
    elif not done.removed and not manifest.is_outputs_tree(layout.outputs):
        summary("clean", f"nothing to clean: the pipeline has recorded no files under {shown}/; nothing removed")
    else:
        summary("clean", f"removed {len(done.removed)} files the pipeline wrote under {shown}/; kept snapshots, "
                         f"sheets, decisions and every file it did not write{kept}")
    return 0


def _through_link(outputs: Path, path: Path) -> bool:
    current = outputs
    for part in path.relative_to(outputs).parts:
        current = current / part
        if current.is_symlink():
            return True
    return False


def _prune(outputs: Path, folders: set[Path]) -> None:
    """Remove folders `clean` emptied (and their emptied parents), never `outputs` itself."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != outputs and outputs in folder.parents:
            try:
                folder.rmdir()              # only succeeds when empty
            except OSError:
                break
            folder = folder.parent


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
