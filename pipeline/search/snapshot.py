"""Frozen searches on disk: `outputs/search/<source>/<YYYY-MM-DDTHHMMSSZ>/`.

A snapshot holds every raw reply as received (gzip: for PubMed `einfo-*.xml.gz`,
`esearch-*.xml.gz`, `efetch-00001.xml.gz`, ...) and `search_log.json` saying what was asked, when,
of which server and what came back. It is built in a hidden `.partial-<stamp>/` folder and renamed
into place only when complete, so a failed or interrupted run never touches earlier snapshots; the
next run of the same search resumes the partial folder from the ids it already holds (a partial
folder of a different search is discarded, never mixed in). Nothing here talks to a service:
`Partial` is the store a fetch loop writes to, whichever service the replies come from.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import BadReply, InputError, UserError
from pipeline.files import write_bytes_atomic, write_text_atomic
from pipeline.layout import Layout

STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
STAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z$")
LOG_NAME = "search_log.json"
STATE_NAME = "state.json"
PARTIAL_PREFIX = ".partial-"


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


def read_log(snapshot: Path) -> dict:
    """The snapshot's search_log.json; InputError naming the file when missing or unreadable."""
    path = Path(snapshot) / LOG_NAME
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.one(path, "search log not found: the snapshot is incomplete") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.one(path, f"search log is not valid JSON ({exc})") from None
    if not isinstance(log, dict) or log.get("status") != "complete":
        raise InputError.one(path, "search log does not say status: complete", column="status")
    return log


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
        self._started = False

    @classmethod
    def begin(cls, layout: Layout, source: str, identity: dict, now: dt.datetime, ids_of: IdsOf,
              batch_kind: str = "efetch", suffix: str = ".xml.gz") -> Partial:
        """Resume the unfinished folder of this same search, else plan a fresh one (discarding others)."""
        source_dir = layout.search / source
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
        return cls(source_dir, identity, now, resume, discard, batch_kind, suffix)

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

    def finish(self, log: dict) -> Path:
        """Write search_log.json, tidy the folder and rename it to its final stamp."""
        self._ensure()
        keep = {LOG_NAME} | {b["file"] for b in self.batches} | {
            f"{kind}-{n:05d}{self.suffix}" for kind, count in self.state["counters"].items() for n in range(1, count + 1)}
        write_text_atomic(self.folder / LOG_NAME, json.dumps(log, indent=2, ensure_ascii=False) + "\n")
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
    return state if isinstance(state, dict) and {"identity", "runs", "counters", "batches"} <= state.keys() else None


def _stored_ids(folder: Path, state: dict, ids_of: IdsOf) -> set[str] | None:
    """Record ids in the batches the state lists; None when one is missing or unreadable (start clean)."""
    pmids: set[str] = set()
    try:
        for batch in state["batches"]:
            pmids.update(ids_of(read_raw(folder / batch["file"])))
    except (OSError, EOFError, BadReply, KeyError, TypeError):
        return None
    return pmids
