"""File I/O shared by every stage: atomic writes and spreadsheet-safe CSV.

Nothing is ever half-written: data goes to a temporary file in the same folder, is flushed, and
is renamed over the target in one step. CSV cells that a spreadsheet would run as a formula are
prefixed with an apostrophe so Excel and LibreOffice show them as text.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes_atomic(target: Path, data: bytes) -> bool:
    """Write `data` to `target` atomically; skip the write (return False) when it is unchanged."""
    target = Path(target)
    if target.exists() and target.read_bytes() == data:
        return False
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return True


def write_text_atomic(target: Path, text: str) -> bool:
    """UTF-8 text version of `write_bytes_atomic`."""
    return write_bytes_atomic(target, text.encode("utf-8"))


def guard_cell(value: object) -> str:
    """Render one CSV cell so that a spreadsheet never evaluates it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def unguard_cell(text: str) -> str:
    """Undo `guard_cell` when reading a sheet back."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """CSV with a UTF-8 BOM (so Excel detects UTF-8), CRLF line ends and guarded cells."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([guard_cell(v) for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write_csv_atomic(target: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bool:
    """Write a spreadsheet-safe CSV atomically; unchanged content is not rewritten."""
    return write_bytes_atomic(target, csv_bytes(header, rows))


def frame_to_csv_atomic(target: Path, frame: pl.DataFrame) -> bool:
    """Write a polars frame as spreadsheet-safe CSV; list cells are joined with '; '."""
    cols = frame.columns
    out = frame.with_columns(
        [pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    )
    return write_csv_atomic(target, cols, out.iter_rows())


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
