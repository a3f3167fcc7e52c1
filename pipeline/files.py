"""Atomic file writes shared by every stage (CSV and text rules live in `textio`).

Nothing is ever half-written: data goes to a temporary file in the same folder as its target, is
flushed to disk, and renamed over the target in one step (then the folder is synced too). A target
that is a symbolic link is written through: its target file is replaced and the link kept. A
replaced file keeps its permissions; a new one gets the usual ones (umask applied).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl

_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds.

    A symbolic link is followed (to its final target, which need not exist yet), so the link stays.
    """
    target = Path(os.path.realpath(target)) if Path(target).is_symlink() else Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK  # mkstemp makes 0600; a new file gets normal permissions
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
        _sync_folder(target.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _sync_folder(folder: Path) -> None:
    """Flush a rename to disk (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(target: Path, data: bytes) -> bool:
    """Write `data` to `target` atomically; skip the write (return False) when it is unchanged."""
    target = Path(target)
    if target.is_file() and target.read_bytes() == data:
        return False
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def write_text_atomic(target: Path, text: str) -> bool:
    """UTF-8 text version of `write_bytes_atomic`."""
    return write_bytes_atomic(target, text.encode("utf-8"))


def write_parquet_atomic(target: Path, frame: pl.DataFrame) -> bool:
    """Write a frame as Parquet atomically; identical content leaves the file untouched."""
    buf = io.BytesIO()
    frame.write_parquet(buf, statistics=False)
    return write_bytes_atomic(target, buf.getvalue())


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, for provenance in logs and reports."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
