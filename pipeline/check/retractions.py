"""The retraction check, live: each included (or still undecided) study's DOI looked up in Crossref.

`take` asks Crossref's `/works/{doi}` for every candidate study with a DOI (with the `mailto`
Crossref asks polite clients for), and freezes what came back like a search:
`outputs/checks/retractions/<YYYY-MM-DDTHHMMSSZ>/` holds every raw reply (gzip) and
`check_log.json` (when, of which server, which study and DOI, the updates found and their
status). It is built in a hidden partial folder and renamed when complete; an interrupted run
resumes from the DOIs already asked. `newest` reads the latest complete check back, offline, for
`make status` and the report.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl

from pipeline import __version__, hints
from pipeline.check import crossref_json
from pipeline.check.assess import candidates
from pipeline.errors import InputError, Refused, ServiceUnavailable, UserError
from pipeline.layout import Layout
from pipeline.search.client import HttpClient, Request
from pipeline.search.services import ServiceSettings
from pipeline.search.snapshot import STAMP_RE, Partial, iso

LOG_NAME = "check_log.json"
BATCH_KIND = "works"


def work_doi(data: bytes) -> list[str]:
    """The DOI a stored reply is about ([] for a 'not found' reply); BadReply when unreadable."""
    if data.strip() == b"Resource not found.":
        return []
    doi = crossref_json.parse_work(data).get("DOI")
    return [str(doi).lower()] if doi else []


class CrossrefClient:
    """`GET works/{doi}` with mailto, paced and retried by `http`; 404 answers None."""

    def __init__(self, settings: ServiceSettings, http: HttpClient | None = None):
        self.settings = settings
        self.http = http or settings.client()

    @property
    def requests(self) -> int:
        return self.http.requests

    def work(self, doi: str) -> tuple[bytes, dict[str, Any] | None]:
        query = f"?{urlencode({'mailto': self.settings.mailto})}" if self.settings.mailto else ""
        request = Request("GET", f"{self.settings.base_url}works/{quote(doi, safe='/')}{query}")
        try:
            return self.http.call(request, crossref_json.parse_work, f"Crossref works at {self.settings.base_url}")
        except Refused as exc:
            if exc.status == 404:
                return exc.body or b"Resource not found.", None
            raise


def take(layout: Layout, studies: pl.DataFrame, final: pl.DataFrame, client: CrossrefClient, *,
         now: dt.datetime | None = None, report: Callable[[int, int], None] = lambda done, total: None,
         note: Callable[[str], None] = lambda text: None) -> Path:
    """Check every candidate study's DOI in Crossref and freeze the replies; return the snapshot folder."""
    if not client.settings.mailto:
        raise UserError("Crossref asks every client for a contact address: export CONTACT_EMAIL=you@example.org "
                        f"(or NCBI_EMAIL) and run `{hints.make('check', layout)}` again")
    chosen = candidates(studies, final)
    dois = sorted({d for d in chosen["doi"].to_list() if d})
    now = now or dt.datetime.now(dt.UTC)
    identity = {"check": "retractions", "api_url": client.settings.base_url, "dois": dois}
    partial = Partial.begin_in(layout.retraction_checks, identity, now, ids_of=work_doi, batch_kind=BATCH_KIND,
                               suffix=".json.gz")
    if partial.resumed:
        note(f"check: resuming {partial.folder.name} ({len(partial.batches):,} DOIs already asked)")
    done = {b["doi"]: b for b in partial.batches}
    requests_before = client.requests
    report(len(done), len(dois))
    try:
        for doi in dois:
            if doi in done:
                continue
            data, work = client.work(doi)
            name = partial.add_batch(data, [doi] if work is not None else [], {"doi": doi, "found": work is not None})
            done[doi] = {"file": name, "doi": doi, "found": work is not None}
            report(len(done), len(dois))
    except ServiceUnavailable as exc:
        raise ServiceUnavailable(f"check: {exc}; {partial.progress_note()}") from None
    except KeyboardInterrupt:
        note(f"check: interrupted; {partial.progress_note()}")
        raise
    rows = []
    for row in chosen.iter_rows(named=True):
        entry: dict[str, Any] = {"study_id": row["study_id"], "doi": row["doi"], "included": row["included"]}
        batch = done.get(row["doi"]) if row["doi"] else None
        if batch is None:
            entry.update(status="no_doi", updates=[], file=None)
        elif not batch["found"]:
            entry.update(status="not_found", updates=[], file=batch["file"])
        else:
            found = crossref_json.updates(crossref_json.parse_work(_raw(partial.folder / batch["file"])))
            entry.update(status=crossref_json.status(found), is_notice=crossref_json.is_notice(found),
                         updates=[u.as_dict() for u in found], file=batch["file"])
        rows.append(entry)
    statuses = [r["status"] for r in rows]
    log = {
        "check": "retractions", "service": "Crossref REST API (/works/{doi})", "api_url": client.settings.base_url,
        "mailto_sent": True, "started_at": iso(now), "finished_at": iso(dt.datetime.now(dt.UTC)),
        "runs": partial.state["runs"], "studies_checked": len(rows), "dois_asked": len(dois),
        "counts": {s: statuses.count(s) for s in crossref_json.STATUSES + ("no_doi",) if statuses.count(s)},
        "studies": rows, "requests": client.requests - requests_before, "tool_version": __version__,
        "status": "complete",
    }
    return partial.finish(log, log_name=LOG_NAME)


def _raw(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def newest(layout: Layout) -> tuple[Path | None, dict | None]:
    """The latest complete check and its log, or (None, None) when no check has run."""
    folder = layout.retraction_checks
    if not folder.is_dir():
        return None, None
    complete = [p for p in folder.iterdir() if p.is_dir() and STAMP_RE.match(p.name) and (p / LOG_NAME).is_file()]
    if not complete:
        return None, None
    latest = max(complete, key=lambda p: p.name)
    path = latest / LOG_NAME
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError.one(path, f"check log is not valid JSON ({exc})") from None
    if not isinstance(log, dict) or log.get("status") != "complete" or not isinstance(log.get("studies"), list):
        raise InputError.one(path, "check log does not say status: complete", column="status")
    return latest, log


