"""`status` and `clean`: what is done and what is next; remove only what the pipeline wrote and can write again.

`clean` works only on an outputs tree the pipeline made (it holds `.pipeline-outputs.json`, see
`manifest`), and removes only files listed there that still hold what the pipeline wrote, minus
people's files (search snapshots, reviewer sheets, resolutions, overrides, dedup decisions). It
never follows a symbolic link, never leaves the tree, and `--dry-run` lists what it would remove.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path, PurePosixPath

from pipeline import manifest
from pipeline.console import line, summary
from pipeline.errors import UserError
from pipeline.files import is_stale_temp
from pipeline.layout import Layout, from_args

# Files under outputs/ that people write or that cannot be regenerated offline. `clean` keeps them:
# search snapshots (every file, at any depth), reviewer sheets and resolutions
# (screening/<stage>/<name>.csv), automation overrides and dedup decisions.
KEEP_GLOBS = ("search/**/*", "screening/*/*.csv", "screening/automation_overrides.csv", "dedup/decisions.csv")
# Generated files that the globs above would otherwise keep.
GENERATED_GLOBS = ("screening/*/conflicts.csv",)


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
    from pipeline.screen.command import print_status

    layout, protocol = from_args(args)
    return print_status(layout, protocol)


def peoples(rel: str) -> bool:
    """Whether `rel` (a path relative to outputs/) is a people's file `clean` always keeps."""
    path = PurePosixPath(rel)
    if any(path.match(g) for g in GENERATED_GLOBS):
        return False
    return rel.startswith("search/") or any(path.match(g) for g in KEEP_GLOBS[1:])


def plan(outputs: Path) -> tuple[list[Path], list[str], list[str]]:
    """(files to remove, listed files a person changed since, listed entries already gone) in `outputs`."""
    files = manifest.read(outputs)
    assert files is not None
    remove, changed, gone = [], [], []
    for rel, digest in sorted(files.items()):
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts or peoples(rel):
            continue
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


def run_clean(args: argparse.Namespace) -> int:
    layout = Layout.at(args.root, args.outputs)
    outputs = layout.outputs
    default = args.outputs is None
    shown = layout.relative(outputs)
    if not outputs.is_dir() or outputs.is_symlink():
        if default and not outputs.exists():
            summary("clean", f"nothing to clean: {shown}/ does not exist")
            return 0
        raise UserError(f"{outputs} is not an outputs folder the pipeline made (not a folder, or a link); nothing removed")
    if not manifest.is_outputs_tree(outputs):
        if default:
            summary("clean", f"nothing to clean: the pipeline has recorded no files under {shown}/ "
                             f"(no {manifest.NAME}); nothing removed")
            return 0
        raise UserError(f"{outputs} is not an outputs folder the pipeline made (no {manifest.NAME} in it); "
                        "nothing removed")
    if (outputs / ".git").exists() or (outputs / "queries").is_dir() or outputs in (layout.root, *layout.root.parents):
        raise UserError(f"{outputs} is a project folder, not its outputs folder; nothing removed")
    remove, changed, gone = plan(outputs)
    if args.dry_run:
        for path in remove:
            line("would remove", layout.relative(path), "bold")
        for rel in changed:
            line("would keep", f"{shown}/{rel} (changed since the pipeline wrote it)", "bold")
        summary("clean", f"dry run: would remove {len(remove)} files under {shown}/; removed nothing")
        return 0
    removed = []
    for path in remove:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    _prune(outputs, {p.parent for p in removed})
    manifest.forget(outputs, [p.relative_to(outputs).as_posix() for p in removed] + gone)
    kept = f"; kept {len(changed)} changed since written ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''})" \
        if changed else ""
    summary("clean", f"removed {len(removed)} files the pipeline wrote under {shown}/; kept snapshots, sheets, "
                     f"decisions and every file it did not write{kept}")
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
