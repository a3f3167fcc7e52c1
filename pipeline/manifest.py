"""The record of what the pipeline wrote: `outputs/.pipeline-outputs.json`, marker and manifest in one.

Its presence marks a folder as an outputs tree the pipeline made; `clean` refuses any folder
without it. It lists every generated file the pipeline wrote there (path relative to the folder,
SHA-256 of what was written), so `clean` removes exactly those files, and only while they still
hold what the pipeline wrote: a reviewer's `.xlsx`, notes, full-text PDFs or backups beside them
are never listed, so never touched. People's files the pipeline writes (sheets, resolutions, search
snapshots: `Layout` says which) are not listed either: `clean` never removes them, so their hashes
would serve nothing, and leaving them out spares the screening app a manifest update (a read, a
rewrite and an fsync) on every decision. A folder becomes an outputs tree when a stage is pointed at it
(`claim`, done by `Layout`) and first writes into it; it then also gets its starter files (its
`.gitignore`), each only when absent, so a person's edits to one are never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

try:
    import fcntl
except ImportError:          # Windows: manifest updates are not locked against a concurrent stage
    fcntl = None  # type: ignore[assignment]

NAME = ".pipeline-outputs.json"
MADE_BY = "review-pipeline"
_CLAIMED: dict[Path, Callable[[str], bool]] = {}
_STARTERS: dict[Path, Mapping[str, str]] = {}


def claim(outputs: Path, generated: Callable[[str], bool] = lambda rel: False,
          starters: Mapping[str, str] | None = None) -> None:
    """Let this process record the files it writes under `outputs` (nothing is written yet).

    `generated(relative_path)` says whether a path there is one the pipeline generates (`Layout`);
    `starters` (relative path -> text) are written when the tree gets its marker, each only if absent.
    """
    root = Path(os.path.abspath(outputs))
    _CLAIMED[root] = generated
    _STARTERS[root] = dict(starters or {})


def is_generated(path: Path) -> bool:
    """Whether `path` is a generated file of a claimed outputs tree (a link there is replaced, never followed)."""
    root, rel = _locate(path)
    return root is not None and _CLAIMED[root](rel)


def marker(outputs: Path) -> Path:
    return Path(outputs) / NAME


def is_outputs_tree(outputs: Path) -> bool:
    """Whether `outputs` holds the pipeline's marker (a readable manifest it wrote)."""
    return read(outputs) is not None


def read(outputs: Path) -> dict[str, str] | None:
    """The manifest's files (relative path -> SHA-256), or None when `outputs` has no valid marker."""
    path = marker(outputs)
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("made_by") != MADE_BY or not isinstance(data.get("files"), dict):
        return None
    return {str(k): str(v) for k, v in data["files"].items()}


def records(target: Path) -> bool:
    """Whether `note` lists `target`: a generated file of a claimed outputs tree (so its SHA-256 is needed)."""
    root, rel = _locate(target)
    return root is not None and _CLAIMED[root](rel)


def note(target: Path, digest: str) -> None:
    """Record that the pipeline wrote `target` with content `digest`, if it is a generated file of a
    claimed outputs tree; for another file there, only make sure the tree has its marker."""
    root, rel = _locate(target)
    if root is None:
        return
    if not _CLAIMED[root](rel):
        if not marker(root).exists():
            with contextlib.suppress(OSError), _locked(root):
                pass
        return
    # A manifest that cannot be updated (a full disk) only means `clean` keeps this file: never fatal.
    with contextlib.suppress(OSError), _locked(root) as files:
        if files is not None:
            files[rel] = digest


def forget(outputs: Path, names: list[str]) -> None:
    """Drop entries (files `clean` removed) from the manifest."""
    with _locked(Path(outputs), create=False) as files:
        if files is not None:
            for name in names:
                files.pop(name, None)


def _locate(target: Path) -> tuple[Path | None, str]:
    path = Path(os.path.abspath(target))
    for root in _CLAIMED:
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        if rel.parts and not any(part.startswith(".") for part in rel.parts):   # not temps or partial snapshots
            return root, rel.as_posix()
    return None, ""


@contextlib.contextmanager
def _locked(root: Path, create: bool = True) -> Iterator[dict[str, str] | None]:
    """The manifest's files to change in place, saved afterwards; one process at a time."""
    if not root.is_dir():
        yield None
        return
    lock_path = root / (NAME + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError:
        yield None                # a read-only folder: the write itself reports the problem
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        files = read(root)
        if files is None:
            if not create or marker(root).exists():
                yield None        # someone else's file of that name: never overwrite it
                return
            files = {}
        before = dict(files)
        yield files
        if files != before or not marker(root).exists():
            new_tree = not marker(root).exists()
            _save(root, files)
            if new_tree:
                for rel, text in _STARTERS.get(root, {}).items():
                    _write_if_absent(root / rel, text)
    finally:
        os.close(fd)


def _write_if_absent(target: Path, text: str) -> None:
    """Write `text` to `target` atomically unless a file is there already (a hard link never replaces)."""
    def link(tmp: str) -> None:
        with contextlib.suppress(FileExistsError):
            os.link(tmp, target)
    _commit(target.parent, f".{target.name}.", text, link)


def _save(root: Path, files: dict[str, str]) -> None:
    text = json.dumps({"made_by": MADE_BY,
                       "about": "files the review pipeline wrote here; `python -m pipeline clean` removes only these",
                       "files": dict(sorted(files.items()))}, indent=1, ensure_ascii=False) + "\n"
    _commit(root, f"{NAME}.{os.getpid()}.", text, lambda tmp: os.replace(tmp, marker(root)))


def _commit(folder: Path, prefix: str, text: str, put: Callable[[str], None]) -> None:
    """Write `text` to a synced temporary file in `folder`, then `put` it in place; the temp never stays."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        put(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
