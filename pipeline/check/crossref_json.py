"""Crossref `/works/{doi}` replies -> the updates that matter to a review (pure functions).

Crossref carries editorial updates as relations between works: the updated work lists them in
`updated-by`, the notice that updates it lists its target in `update-to`. Each entry has the other
work's `DOI`, a `type` (retraction, expression_of_concern, correction, erratum, withdrawal, ...),
the date it was `updated`, and a `source` ("publisher", or "retraction-watch" for entries from
the Retraction Watch database Crossref acquired). `status()` reduces them to one word a reviewer
acts on: retracted > concern > corrected > none.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.contracts import CrossrefUpdate
from pipeline.errors import BadReply
from pipeline.records import normalise_doi

RETRACTION_TYPES = ("retraction", "partial_retraction", "withdrawal", "removal")
CONCERN_TYPES = ("expression_of_concern",)
CORRECTION_TYPES = ("correction", "erratum", "corrigendum", "addendum", "clarification")
STATUSES = ("retracted", "concern", "corrected", "none", "not_found")
FLAGGED = ("retracted", "concern")          # must be acknowledged in the protocol


def parse_work(data: bytes) -> dict[str, Any]:
    """The `message` of a /works/{doi} reply; BadReply when it is not a work reply."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadReply(f"Crossref reply is not JSON ({exc})") from None
    message = body.get("message") if isinstance(body, dict) and body.get("status") == "ok" else None
    if not isinstance(message, dict):
        raise BadReply("Crossref reply has no work message (status is not 'ok')")
    return message


def kind_of(value: Any) -> str:
    return str(value or "").strip().lower().replace("-", "_").replace(" ", "_")


def updates(work: dict[str, Any]) -> list[CrossrefUpdate]:
    """Every updated-by and update-to entry of a work, in the order Crossref lists them."""
    out = []
    for direction in ("updated-by", "update-to"):
        entries = work.get(direction)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            out.append(CrossrefUpdate(direction=direction, kind=kind_of(entry.get("type")), doi=normalise_doi(str(entry.get("DOI") or "")),
                              date=_date(entry.get("updated")), source=_str(entry.get("source")), label=_str(entry.get("label"))))
    return out


def status(found: list[CrossrefUpdate]) -> str:
    """retracted, concern, corrected or none, from the updates made *to* the work."""
    kinds = {u.kind for u in found if u.direction == "updated-by"}
    if kinds & set(RETRACTION_TYPES):
        return "retracted"
    if kinds & set(CONCERN_TYPES):
        return "concern"
    if kinds & set(CORRECTION_TYPES):
        return "corrected"
    return "none"


def is_notice(found: list[CrossrefUpdate]) -> bool:
    """The work is itself a retraction or concern notice about another work."""
    return any(u.direction == "update-to" and u.kind in RETRACTION_TYPES + CONCERN_TYPES for u in found)


def _date(value: Any) -> str | None:
    parts = value.get("date-parts") if isinstance(value, dict) else None
    if not (isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]):
        return None
    try:
        numbers = [int(p) for p in parts[0][:3] if p is not None]
    except (TypeError, ValueError):
        return None
    return "-".join([f"{numbers[0]:04d}"] + [f"{n:02d}" for n in numbers[1:]]) if numbers else None


def _str(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None
