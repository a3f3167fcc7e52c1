"""Frozen PubMed searches: `outputs/search/<source>/<YYYY-MM-DDTHHMMSSZ>/`.

A snapshot holds every raw E-utilities reply as received (gzip: `einfo-*.xml.gz`,
`esearch-*.xml.gz`, `efetch-00001.xml.gz`, ...) and `search_log.json` saying what was asked, when,
of which server and what came back. It is built in a hidden `.partial-<stamp>/` folder and renamed
into place only when complete, so a failed or interrupted run never touches earlier snapshots; the
next run of the same search resumes the partial folder from the PMIDs it already holds (a partial
folder of a different search is discarded, never mixed in).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import Bio

from pipeline import __version__
from pipeline.errors import InputError, PipelineError
from pipeline.files import write_bytes_atomic, write_text_atomic
from pipeline.layout import Layout
from pipeline.protocol import PubMedSearch
from pipeline.search.entrez import (
    DEFAULT_BATCH,
    MAX_BATCH,
    BadReply,
    EntrezClient,
    EutilsUnavailable,
    check_dates,
    efetch_pmids,
    fetch,
    plan,
)
from pipeline.search.query import check

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


class Partial:
    """A snapshot being built. Nothing touches the disk before the first reply is saved."""

    def __init__(self, source_dir: Path, identity: dict, now: dt.datetime,
                 resume: tuple[Path, dict, set[str]] | None = None, discard: tuple[Path, ...] = ()):
        self.source_dir = source_dir
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
    def begin(cls, layout: Layout, source: str, identity: dict, now: dt.datetime) -> Partial:
        """Resume the unfinished folder of this same search, else plan a fresh one (discarding others)."""
        source_dir = layout.search / source
        unfinished = sorted(source_dir.glob(f"{PARTIAL_PREFIX}*")) if source_dir.is_dir() else []
        resume = None
        for folder in reversed(unfinished):
            state = _read_state(folder)
            if state and state.get("identity") == identity:
                pmids = _stored_pmids(folder, state)
                if pmids is not None:
                    resume = (folder, state, pmids)
                    break
        discard = tuple(f for f in unfinished if resume is None or f != resume[0])
        return cls(source_dir, identity, now, resume, discard)

    @property
    def batches(self) -> list[dict]:
        batches: list[dict] = self.state["batches"]
        return batches

    def save_raw(self, kind: str, data: bytes) -> str:
        """Store one reply as `<kind>-<n>.xml.gz`; return its file name."""
        n = self.state["counters"].get(kind, 0) + 1
        name = f"{kind}-{n:05d}.xml.gz"
        self._write(name, data)
        self.state["counters"][kind] = n
        self._save_state()
        return name

    def add_batch(self, data: bytes, pmids: list[str], info: dict) -> str:
        """Store one efetch reply holding `pmids`."""
        name = f"efetch-{len(self.batches) + 1:05d}.xml.gz"
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
            f"{kind}-{n:05d}.xml.gz" for kind, count in self.state["counters"].items() for n in range(1, count + 1)}
        write_text_atomic(self.folder / LOG_NAME, json.dumps(log, indent=2, ensure_ascii=False) + "\n")
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink()           # state.json, a reply written just before an interruption, temp files
        target = self.source_dir / stamp(self.now)
        if target.exists():
            raise PipelineError(f"{target} already exists; wait a second and run again")
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


def _stored_pmids(folder: Path, state: dict) -> set[str] | None:
    """PMIDs in the batches the state lists; None when one is missing or unreadable (start clean)."""
    pmids: set[str] = set()
    try:
        for batch in state["batches"]:
            pmids.update(efetch_pmids(read_raw(folder / batch["file"])))
    except (OSError, EOFError, BadReply, KeyError, TypeError):
        return None
    return pmids


def take(layout: Layout, search: PubMedSearch, client: EntrezClient, *, batch_size: int = DEFAULT_BATCH,
         now: dt.datetime | None = None, report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Run one PubMed search live and freeze it as a complete snapshot; return its folder."""
    check(search.query, search.name)
    check_dates(search.name, search.mindate, search.maxdate)
    if not 1 <= batch_size <= MAX_BATCH:
        raise PipelineError(f"batch size must be between 1 and {MAX_BATCH:,}, not {batch_size}")
    settings = client.settings
    now = now or dt.datetime.now(dt.UTC)
    identity = {"source": search.name, "database": search.database, "query": search.query,
                "mindate": search.mindate, "maxdate": search.maxdate, "datetype": search.datetype,
                "eutils_url": settings.base_url}
    partial = Partial.begin(layout, search.name, identity, now)
    if partial.resumed:
        note(f"{search.name}: resuming {partial.folder.name} ({len(partial.pmids):,} records already stored)")
    elif partial.discard:
        note(f"{search.name}: an unfinished run of a different search will be discarded")
    term = " ".join(search.query.split())
    requests_before = client.requests
    try:
        einfo_data, info = client.einfo()
        partial.save_raw("einfo", einfo_data)
        top, slices = plan(client, term, search.mindate, search.maxdate, search.datetype,
                           lambda data: partial.save_raw("esearch", data), today=now.date(), note=note)
        not_returned = fetch(client, slices, partial, batch_size, report)
    except EutilsUnavailable as exc:
        raise PipelineError(f"{search.name}: {exc}; {partial.progress_note()}") from None
    except KeyboardInterrupt:
        note(f"{search.name}: interrupted; {partial.progress_note()}")
        raise
    wanted = {p for s in slices for p in s.result.ids}
    warnings = list(top.warnings)
    if not_returned:
        warnings.append(f"{len(not_returned)} PMIDs found by esearch were not returned by efetch")
    if extra := len(partial.pmids - wanted):
        warnings.append(f"{extra} records stored by an earlier run no longer match the query")
    log: dict[str, Any] = {
        "source": search.name, "database": search.database, "platform": search.platform,
        "query": search.query, "term_sent": term, "query_translation": top.translation,
        "mindate": search.mindate, "maxdate": search.maxdate, "datetype": search.datetype,
        "started_at": iso(now), "finished_at": iso(dt.datetime.now(dt.UTC)),
        "runs": partial.state["runs"], "count_reported": top.count, "retrieved": len(partial.pmids),
        "not_returned": not_returned, "database_build": info["build"], "database_last_update": info["last_update"],
        "slices": [{"mindate": s.mindate, "maxdate": s.maxdate, "count": s.result.count, "esearch_file": s.esearch_file}
                   for s in slices],
        "batch_size": batch_size, "batches": partial.batches, "warnings": warnings,
        "tool": settings.tool, "tool_version": __version__, "biopython_version": Bio.__version__,
        "eutils_url": settings.base_url, "requests": client.requests - requests_before, "status": "complete",
    }
    return partial.finish(log)
