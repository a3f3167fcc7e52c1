"""Atomic file writes shared by every stage (CSV and text rules live in `textio`).

Nothing is ever half-written: data goes to a temporary file in the same folder as its target, is
flushed to disk, and renamed over the target in one step (then the folder is synced too). Inside
`transaction()` (one stage's outputs) every rename waits until all files are written, so a stage
that fails part-way (a full disk, a permission) leaves every earlier file as it was.

- A target that is a symbolic link is written through: its target file is replaced and the link kept
  (a symlinked reviewer sheet stays a link). Only at a path the pipeline generates (`Layout`) is
  the link itself replaced, so a link there can never lead a write onto someone's file.
- A replaced file keeps its permissions; a new one gets the usual ones (umask applied). A file
  with no write permission at all is taken as locked by a person and never replaced.
- A failure to write is a `StorageError` naming the file and the reason (disk full, permission
  denied, read-only file system), never a traceback.
- Temporary files are named `.<target>.<pid>.<random>.tmp`; one left behind by a killed process
  (its pid no longer runs) is removed the next time its target is written.
- `locked(target)` makes writers of one file take turns: an exclusive `flock` on a `.<name>.lock`
  file beside it, held while a writer checks the file is unchanged and replaces it (the screen stage
  and the screening app both take it for every sheet and resolutions file).
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import fcntl
import hashlib
import io
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import polars as pl

from pipeline import manifest
from pipeline.errors import ConcurrentChange, InputError, PipelineError, StorageError, UserError

_UMASK = os.umask(0o022)
os.umask(_UMASK)
_REASONS = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
    errno.ENOTDIR: "a file is in the way of a folder", errno.EEXIST: "a file is in the way of a folder",
    errno.EISDIR: "a folder is in the way of the file", errno.ENAMETOOLONG: "the name is too long",
}
_SWEPT: set[Path] = set()          # folders already swept by this process
_PENDING: contextvars.ContextVar[list[tuple[Path, Path, str, str | None]] | None] = contextvars.ContextVar("pending", default=None)


def reason(exc: OSError) -> str:
    """An OSError in plain words (disk full, permission denied, ...)."""
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Defer every atomic write's rename until the block ends, then rename all; on error, none."""
    if _PENDING.get() is not None:      # already inside one: the outer block commits
        yield
        return
    pending: list[tuple[Path, Path, str, str | None]] = []
    token = _PENDING.set(pending)
    try:
        yield
        for _, target, _, expected in pending:        # a person saved a file meanwhile: write none
            if expected is not None and _fingerprint(target) != expected:
                raise ConcurrentChange(target)
        for i, (tmp, target, digest, _) in enumerate(pending):
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise StorageError(f"cannot write {target}: {reason(exc)}") from None
            pending[i] = (target, target, digest, None)   # done: nothing to remove on the way out
            manifest.note(target, digest)
        for folder in {target.parent for _, target, _, _ in pending}:
            _sync_folder(folder)
    finally:
        for tmp, target, _, _ in pending:
            if tmp != target:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        _PENDING.reset(token)


def _fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes, "" when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {reason(exc)}") from None


@contextlib.contextmanager
def atomic_path(target: Path, expected: str | None = None, mode: int | None = None,
                digest: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds.

    A symbolic link is followed (to its final target, which need not exist yet), so the link stays.
    Raises StorageError when the file cannot be written; the target is then unchanged. `mode` sets
    the permissions (0o600 for secrets); `digest` is the SHA-256 of what the block writes, when the
    caller has it (saves reading the file back); it is computed only for a file the manifest lists.
    """
    wanted_mode = mode
    follow = Path(target).is_symlink() and not manifest.is_generated(Path(target))
    target = Path(os.path.realpath(target)) if follow else Path(target)
    try:
        mode = stat.S_IMODE(target.stat().st_mode) if not target.is_symlink() else 0o666 & ~_UMASK
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK  # mkstemp makes 0600; a new file gets normal permissions
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {reason(exc)}") from None
    else:
        if not target.is_file() and not target.is_symlink():
            raise StorageError(f"cannot write {target}: it is not a file (a folder or device is in the way)")
        if not mode & 0o222 and not target.is_symlink():
            raise StorageError(f"cannot write {target}: it is read-only (locked); make it writable, or close the "
                               "program that locked it, then run this again")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale_temps(target.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise StorageError(f"cannot write {target}: {reason(exc)}") from None
    tmp_path = Path(tmp)
    pending = _PENDING.get()
    committed = False
    try:
        try:
            yield tmp_path
            os.chmod(tmp_path, mode if wanted_mode is None else wanted_mode)
            if digest is None:
                digest = sha256_file(tmp_path) if manifest.records(target) else ""
            if pending is not None:
                pending.append((tmp_path, target, digest, expected))
                committed = True
                return
            os.replace(tmp_path, target)
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {reason(exc)}; it is as it was") from None
        committed = True
        _sync_folder(target.parent)
        manifest.note(target, digest)
    finally:
        if not committed:
            with contextlib.suppress(OSError):
                tmp_path.unlink()


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove the temporary files in `folder` left by atomic writes of processes that no longer run."""
    folder = Path(folder)
    if folder in _SWEPT:
        return []
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    _SWEPT.add(folder)
    for name in names:
        path = folder / name
        if is_stale_temp(path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def is_stale_temp(path: Path) -> bool:
    """Whether `path` is a temporary file of an atomic write whose process no longer runs."""
    match = re.match(r"^\..+?\.(?:(\d+)\.)?[a-z0-9_]{8}\.tmp$", path.name)
    if not match:
        return False
    pid = int(match.group(1)) if match.group(1) else None
    return pid is None or (pid != os.getpid() and not pid_alive(pid))


def pid_alive(pid: int) -> bool:
    """Whether process `pid` still runs (a lock or temp file whose owner died may be taken over)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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


def write_bytes_atomic(target: Path, data: bytes | bytearray, *, expected: str | None = None, mode: int | None = None,
                       skip_same: bool = True) -> bool:
    """Write `data` to `target` atomically; skip the write (return False) when it is unchanged.

    With `expected` (the SHA-256 of the file as read, "" for none), raise ConcurrentChange instead
    of writing when the file no longer holds that: a person saved it in between. `mode` sets the
    permissions (0o600 for secrets); `skip_same=False` writes without reading the old file first
    (the caller knows it differs).
    """
    target = Path(target)
    if expected is not None and _fingerprint(target) != expected:
        raise ConcurrentChange(target)
    sweep_stale_temps(Path(os.path.realpath(target)).parent)
    real = Path(os.path.realpath(target))
    # Hashed in memory (never read back), and only for a file the manifest lists (not a person's sheet).
    digest = hashlib.sha256(data).hexdigest() if manifest.records(target) or manifest.records(real) else None
    if skip_same:
        with contextlib.suppress(OSError):
            if (target.is_file() and target.read_bytes() == data
                    and mode in (None, stat.S_IMODE(target.stat().st_mode))):
                manifest.note(real, digest or "")
                return False
    with atomic_path(target, expected, mode, digest) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    return True


def write_text_atomic(target: Path, text: str, mode: int | None = None) -> bool:
    """UTF-8 text version of `write_bytes_atomic`."""
    return write_bytes_atomic(target, text.encode("utf-8"), mode=mode)


def write_parquet_atomic(target: Path, frame: pl.DataFrame) -> bool:
    """Write a frame as Parquet atomically; identical content leaves the file untouched."""
    buf = io.BytesIO()
    frame.write_parquet(buf, statistics=False)
    return write_bytes_atomic(target, buf.getvalue())


def read_parquet(path: Path, remedy: str, columns: list[str] | None = None,
                 schema: Mapping[str, pl.DataType | type[pl.DataType]] | None = None) -> pl.DataFrame:
    """A Parquet file the pipeline wrote; one clear error (ending in `remedy`) when it is missing,
    damaged, or lacks a column of `schema` (or holds it with another type)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} is missing: {remedy}")
    try:
        frame = pl.read_parquet(path, columns=columns)
    except Exception as exc:  # polars raises several kinds for a damaged file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        raise UserError(f"{path} cannot be read ({first}); it is damaged or not Parquet: {remedy}") from None
    if schema:
        missing = [name for name in schema if name not in frame.columns]
        if missing:
            raise UserError(f"{path} has no column {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}: "
                            f"it was edited or written by another version: {remedy}")
        wrong = [name for name, dtype in schema.items() if frame.schema[name] != dtype
                 and not (frame.schema[name].is_integer() and dtype.is_integer())]
        if wrong:
            raise UserError(f"{path}: column {wrong[0]} is {frame.schema[wrong[0]]}, not {schema[wrong[0]]}: "
                            f"it was edited or written by another version: {remedy}")
    return frame


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, for provenance in logs and reports."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_input(path: Path | str, what: str = "file") -> bytes:
    """The bytes of a file people gave us; InputError (one line) when it is not a readable regular file.

    A device (`/dev/zero`), a pipe or a folder would never end or make no sense as a file, so only a
    regular file (or a link to one) is read; opening never blocks on a pipe.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError.one(path, f"{what} not found") from None
    except IsADirectoryError:
        raise InputError.one(path, f"is a folder, not a {what}") from None
    except PermissionError:
        raise InputError.one(path, f"{what} cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError.one(path, f"{what} cannot be opened ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError.one(path, f"is a folder, not a {what}")
        if not stat.S_ISREG(info.st_mode):
            raise InputError.one(path, f"is not a regular file (a device, pipe or socket); give the path of a {what}")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except InputError:
        raise
    except OSError as exc:
        raise InputError.one(path, f"{what} cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def lock_path(target: Path) -> Path:
    """The lock file of `target`: `.<name>.lock` in the same folder."""
    target = Path(target)
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def locked(target: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold the exclusive write lock of `target` (see the module docstring); wait up to `timeout` s.

    Works between processes and between threads of one process (each call opens its own descriptor).
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PipelineError(f"{target} is being written by another process (lock {path}) "
                                        f"for over {timeout:.0f} s; try again when it has finished") from None
                time.sleep(0.005)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
