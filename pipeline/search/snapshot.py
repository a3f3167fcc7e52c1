"""Frozen searches on disk: `outputs/search/<source>/<YYYY-MM-DDTHHMMSSZ>/`.

A snapshot holds every raw reply as received (gzip: for PubMed `einfo-*.xml.gz`,
`esearch-*.xml.gz`, `efetch-00001.xml.gz`, ...) and `search_log.json` saying what was asked, when,
of which server and what came back. It is built in a hidden `.partial-<stamp>/` folder and renamed
into place only when complete, so a failed or interrupted run never touches earlier snapshots; the
next run of the same search resumes the partial folder from the ids it already holds (a partial
folder of a different search is discarded, never mixed in). Nothing here talks to a service:
`Partial` is the store a fetch loop writes to, whichever service the replies come from.

Only one search of a source runs at a time: `source_lock` holds `outputs/search/<source>/.lock`
(an OS lock, released when its process ends however it ends, so a lock left by a killed run is
taken over; the file names the holder's pid). A snapshot is marked complete only after every batch
file was read back and matched against what was stored; its log then lists each file's SHA-256,
and `read_log` refuses a snapshot whose files do not match it (missing, extra, changed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import re
import shutil
import socket
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.errors import BadReply, InputError, InternalError, UserError
from pipeline.files import pid_alive, sha256_file, write_bytes_atomic, write_text_atomic
from pipeline.layout import Layout

try:
    import fcntl
except ImportError:          # Windows: fall back to the pid in the lock file
    fcntl = None  # type: ignore[assignment]

STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
STAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")
LOG_NAME = "search_log.json"
STATE_NAME = "state.json"
PARTIAL_PREFIX = ".partial-"
LOCK_NAME = ".lock"


def stamp(moment: dt.datetime) -> str:
    """Folder name of a snapshot taken at `moment` (UTC): YYYY-MM-DDTHHMMSSZ."""
    return moment.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def iso(moment: dt.datetime) -> str:
    """ISO 8601 UTC with a Z, to the second."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def latest(layout: Layout, source: str) -> Path | None:
    """The newest complete snapshot of `source`, or None when it was never searched."""
    folder = layout.search / source
    if not folder.is_dir():
        return None
    complete = [p for p in folder.iterdir() if p.is_dir() and STAMP_RE.match(p.name) and (p / LOG_NAME).is_file()]
    return max(complete, key=lambda p: p.name, default=None)


def efetch_files(snapshot: Path) -> list[Path]:
    """The snapshot's efetch replies (PubMed XML, gzip), in the order they were fetched."""
    return sorted(Path(snapshot).glob("efetch-*.xml.gz"))


def read_log(snapshot: Path, batch_kind: str = "efetch") -> dict:
    """The snapshot's search_log.json, after checking the snapshot's files against it.

    InputError naming the file when the log is missing, unreadable or not complete, or when a file
    it lists is missing or changed, or a batch file lies in the folder that the log does not list.
    """
    path = Path(snapshot) / LOG_NAME
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.one(path, "search log not found: the snapshot is incomplete") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.one(path, f"search log is not valid JSON ({exc})") from None
    except OSError as exc:
        raise InputError.one(path, f"search log cannot be read ({exc.strerror or exc})") from None
    if not isinstance(log, dict) or log.get("status") != "complete":
        raise InputError.one(path, "search log does not say status: complete", column="status")
    verify(Path(snapshot), log, batch_kind)
    return log


def verify(snapshot: Path, log: dict, batch_kind: str = "efetch") -> None:
    """Raise InputError unless the snapshot's files are exactly those its log lists, unchanged."""
    fix = "the snapshot was changed after it was taken: restore it (e.g. from git), or delete the folder and search again"
    batches = log.get("batches")
    if not isinstance(batches, list) or not all(isinstance(b, dict) and isinstance(b.get("file"), str) for b in batches):
        raise InputError.one(snapshot / LOG_NAME, "search log has no usable list of batches", column="batches")
    listed = {b["file"] for b in batches}
    for name in sorted(listed):
        if Path(name).name != name or name.startswith("."):
            raise InputError.one(snapshot / LOG_NAME, f"batch file name {name!r} is not a plain file name", column="batches")
        if not (snapshot / name).is_file():
            raise InputError.one(snapshot / name, f"batch file listed in {LOG_NAME} is missing; {fix}")
    extra = sorted(p.name for p in snapshot.glob(f"{batch_kind}-*") if p.name not in listed)
    if extra:
        raise InputError.one(snapshot / extra[0], f"batch file is not listed in {LOG_NAME}; {fix}")
    files = log.get("files")
    if isinstance(files, dict):          # logs written since checksums were recorded
        for name, digest in sorted(files.items()):
            target = snapshot / str(name)
            if Path(str(name)).name != name or not target.is_file():
                raise InputError.one(target, f"file listed in {LOG_NAME} is missing; {fix}")
            if sha256_file(target) != digest:
                raise InputError.one(target, f"does not match its SHA-256 in {LOG_NAME}; {fix}")
        unlisted = sorted(listed - files.keys())
        if unlisted:
            raise InputError.one(snapshot / unlisted[0], f"batch file has no SHA-256 in {LOG_NAME}; {fix}")


def read_raw(path: Path) -> bytes:
    """One raw reply as received (un-gzipped)."""
    return gzip.decompress(Path(path).read_bytes())


IdsOf = Callable[[bytes], list[str]]   # the record ids in one stored batch; raises BadReply if unreadable


class Partial:
    """A snapshot being built. Nothing touches the disk before the first reply is saved.

    Batches are stored as `<batch_kind>-00001<suffix>`, ...; `ids_of` reads a stored batch back
    when a run resumes (for PubMed: the PMIDs of an efetch reply).
    """

    def __init__(self, source_dir: Path, identity: dict, now: dt.datetime,
                 resume: tuple[Path, dict, set[str]] | None = None, discard: tuple[Path, ...] = (),
                 batch_kind: str = "efetch", suffix: str = ".xml.gz"):
        self.source_dir = source_dir
        self.batch_kind = batch_kind
        self.suffix = suffix
        self.now = now
        self.discard = discard
        if resume:
            self.folder, self.state, self.pmids = resume
        else:
            self.folder = source_dir / f"{PARTIAL_PREFIX}{stamp(now)}"
            self.state = {"identity": identity, "runs": [], "counters": {}, "batches": []}
            self.pmids = set()
        self.resumed = resume is not None
        self.ids_of: IdsOf | None = None
        self._started = False

    @classmethod
    def begin(cls, layout: Layout, source: str, identity: dict, now: dt.datetime, ids_of: IdsOf,
              batch_kind: str = "efetch", suffix: str = ".xml.gz") -> Partial:
        """Resume the unfinished folder of this same search, else plan a fresh one (discarding others)."""
        return cls.begin_in(layout.search / source, identity, now, ids_of, batch_kind, suffix)

    @classmethod
    def begin_in(cls, source_dir: Path, identity: dict, now: dt.datetime, ids_of: IdsOf,
                 batch_kind: str = "efetch", suffix: str = ".xml.gz") -> Partial:
        """`begin` for snapshots kept outside outputs/search/ (the retraction check's)."""
        unfinished = sorted(source_dir.glob(f"{PARTIAL_PREFIX}*")) if source_dir.is_dir() else []
        resume = None
        for folder in reversed(unfinished):
            state = _read_state(folder)
            if state and state.get("identity") == identity:
                pmids = _stored_ids(folder, state, ids_of)
                if pmids is not None:
                    resume = (folder, state, pmids)
                    break
        discard = tuple(f for f in unfinished if resume is None or f != resume[0])
        partial = cls(source_dir, identity, now, resume, discard, batch_kind, suffix)
        partial.ids_of = ids_of
        return partial

    @property
    def batches(self) -> list[dict]:
        batches: list[dict] = self.state["batches"]
        return batches

    def save_raw(self, kind: str, data: bytes) -> str:
        """Store one reply as `<kind>-<n><suffix>`; return its file name."""
        n = self.state["counters"].get(kind, 0) + 1
        name = f"{kind}-{n:05d}{self.suffix}"
        self._write(name, data)
        self.state["counters"][kind] = n
        self._save_state()
        return name

    def add_batch(self, data: bytes, pmids: list[str], info: dict) -> str:
        """Store one batch reply holding the records `pmids` (a `fetch.BatchStore`)."""
        name = f"{self.batch_kind}-{len(self.batches) + 1:05d}{self.suffix}"
        self._write(name, data)
        self.batches.append({"file": name, "records": len(pmids), **info})
        self.pmids.update(pmids)
        self._save_state()
        return name

    def progress_note(self) -> str:
        """What an unfinished run leaves behind, for the message that ends it."""
        if not self._started:
            return "nothing was changed"
        return (f"kept {len(self.pmids):,} records in {len(self.batches)} batches in {self.folder} "
                f"(earlier snapshots are unchanged); run the same command again to resume")

    def finish(self, log: dict, log_name: str = LOG_NAME) -> Path:
        """Verify every stored file, write search_log.json (or `log_name`) with their checksums, tidy and rename into place.

        A batch file that is missing, unreadable or holds other records than were stored (another
        run wrote into this folder, a disk fault) stops here: the folder stays partial, never complete.
        """
        self._ensure()
        replies = {f"{kind}-{n:05d}{self.suffix}" for kind, count in self.state["counters"].items()
                   for n in range(1, count + 1)}
        found: set[str] = set()
        for batch in self.batches:
            path = self.folder / batch["file"]
            try:
                ids = self.ids_of(read_raw(path)) if self.ids_of else None
            except (OSError, EOFError, zlib.error, BadReply) as exc:
                raise InternalError(f"{path}: a stored batch cannot be read back ({exc}); the snapshot is left "
                                    "unfinished: run the same search again") from None
            if ids is not None and len(ids) != batch["records"]:
                raise InternalError(f"{path}: holds {len(ids)} records, {batch['records']} were stored; the snapshot "
                                    "is left unfinished (was another search of this source running?): run it again")
            found.update(ids or ())
        if self.ids_of and found != self.pmids:
            raise InternalError(f"{self.folder}: the batch files hold {len(found):,} records, {len(self.pmids):,} were "
                                "stored; the snapshot is left unfinished: run the same search again")
        names = sorted(replies | {b["file"] for b in self.batches})
        missing = [n for n in names if not (self.folder / n).is_file()]
        if missing:
            raise InternalError(f"{self.folder / missing[0]}: a stored reply is missing; the snapshot is left "
                                "unfinished: run the same search again")
        log = {**log, "files": {name: sha256_file(self.folder / name) for name in names}}
        keep = {log_name, *names}
        write_text_atomic(self.folder / log_name, json.dumps(log, indent=2, ensure_ascii=False) + "\n")
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink()           # state.json, a reply written just before an interruption, temp files
        target = self.source_dir / stamp(self.now)
        if target.exists():
            raise UserError(f"{target} already exists; wait a second and run again")
        self.folder.rename(target)
        return target

    def _ensure(self) -> None:
        if self._started:
            return
        for old in self.discard:
            shutil.rmtree(old)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state["runs"].append(iso(self.now))
        self._started = True

    def _write(self, name: str, data: bytes) -> None:
        self._ensure()
        write_bytes_atomic(self.folder / name, gzip.compress(data, mtime=0))

    def _save_state(self) -> None:
        write_text_atomic(self.folder / STATE_NAME, json.dumps(self.state, indent=1))


def _read_state(folder: Path) -> dict | None:
    try:
        state = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not {"identity", "runs", "counters", "batches"} <= state.keys():
        return None
    batches = state["batches"]
    names = [b.get("file") if isinstance(b, dict) else None for b in batches] if isinstance(batches, list) else [None]
    if not all(isinstance(n, str) and n and Path(n).name == n and not n.startswith(".") for n in names):
        return None                  # a batch file outside the folder: not a state this pipeline wrote
    return state


def _stored_ids(folder: Path, state: dict, ids_of: IdsOf) -> set[str] | None:
    """Record ids in the batches the state lists; None when one is missing or unreadable (start clean)."""
    pmids: set[str] = set()
    try:
        for batch in state["batches"]:
            pmids.update(ids_of(read_raw(folder / batch["file"])))
    except (OSError, EOFError, BadReply, KeyError, TypeError):
        return None
    return pmids


@contextlib.contextmanager
def source_lock(layout: Layout, source: str) -> Iterator[Path]:
    """Hold `outputs/search/<source>/.lock` while a search of `source` runs; UserError when one already does.

    The lock is the operating system's (flock), so it ends with its process, however that ends: a
    lock file left by a killed run is stale and taken over. The file says which pid holds it and is
    removed when the search ends (as is the source's folder, if the search left it empty).
    """
    folder = layout.search / source
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = _acquire(path, source)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": iso(dt.datetime.now(dt.UTC))}).encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()    # while still locked, so no other run can hold a lock on this file
        os.close(fd)
        for created in made:     # folders this lock made, when the search left them empty
            with contextlib.suppress(OSError):
                created.rmdir()


def _acquire(path: Path, source: str) -> int:
    """An open, locked descriptor of `path` (retrying when the file was replaced meanwhile)."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:     # a link or a folder planted where the lock goes: never follow it
            raise UserError(f"cannot lock {path} ({exc.strerror}); remove it and run this again") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UserError(f"{path} is not a lock file the pipeline made; remove it and run this again")
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise UserError(f"another search of {source!r} is running ({_holder(path)}); wait for it to finish "
                                "(or stop that process), then run this again") from None
        else:
            owner = _holder_pid(path)
            if owner and owner != os.getpid() and pid_alive(owner):
                os.close(fd)
                raise UserError(f"another search of {source!r} is running ({_holder(path)}); wait for it to finish")
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)         # the holder removed it as we opened it: take the new one


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {int(info['pid'])} on {info.get('host', '?')}, since {info.get('since', '?')}; lock file {path}"
    except (OSError, ValueError, KeyError, TypeError):
        return f"lock file {path}"


def _holder_pid(path: Path) -> int | None:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

