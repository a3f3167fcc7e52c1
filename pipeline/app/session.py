"""One reviewer at one stage: their sheet, their queue, their undo history, and what the page shows.

Blinding: a session reads one sheet only, its own reviewer's; nothing of another reviewer's sheet
ever reaches it. Which rows are screened here: every row with a record key whose `status` cell is
empty or says only where the record was merged (rows the screen stage flags as ineligible, not
included at title/abstract, or orphaned are not screened).

The sequence the arrows walk through: the studies already decided (in sheet order, then in the
order they were decided here), then the unscreened ones in the ranking's order, re-ranked after
each decision. Deciding an unscreened study shows the top of the new ranking; deciding one revisited
with ← shows the one after it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.app.highlight import Highlighter
from pipeline.app.order import Orderings, Pool, plain
from pipeline.app.sheet import CsvFile
from pipeline.app.studies import Catalogue
from pipeline.contracts import Outcome
from pipeline.screen.decisions import (
    KEY_COLUMNS,
    MAYBE,
    STAGE_DECISIONS,
    check_stage,
    parse_decision,
    parse_reason,
)

CELLS = ("decision", "reason", "notes")
WORDS = {Outcome.INCLUDE.value: "include", Outcome.EXCLUDE.value: "exclude", MAYBE: "maybe",
         Outcome.NOT_RETRIEVED.value: "not retrieved"}
MODES = ("prioritised", "plain")


class Refused(ValueError):
    """A request the session cannot carry out (unknown study, bad decision); the message says why."""


@dataclass
class Change:
    """One saved change, for undo: the row's cells before and after."""

    key: str
    before: dict[str, str]
    after: dict[str, str]


def screenable(status: str) -> bool:
    """A row is screened here unless the screen stage flagged it (status other than "merged into ...")."""
    return all(part.strip().startswith("merged into") for part in status.split(";") if part.strip())


class Session:
    """The reviewer's sheet and queue at one stage."""

    def __init__(self, stage: str, reviewer: str, sheet: CsvFile, catalogue: Catalogue, highlighter: Highlighter,
                 reasons: tuple[str, ...], orderings: Orderings):
        self.stage, self.reviewer = stage, reviewer
        self.sheet, self.catalogue, self.highlighter = sheet, catalogue, highlighter
        self.reasons = reasons if stage == "full_text" else ()
        self.orderings = orderings
        self.mode = MODES[0]
        self.lock = threading.RLock()
        self.undo_stack: list[Change] = []
        self.history: list[str] = []
        self.sheet.on_reload = self._rebuild
        self._rebuild()

    # -- state from the sheet -----------------------------------------------------------------
    def _rebuild(self) -> None:
        table = self.sheet.table
        status_col = next((h for h in table.header if h.lower().strip() == "status"), None)
        prio_col = next((h for h in table.header if h.lower().strip() == "priority"), None)
        keys: list[str] = []
        seen: set[str] = set()
        priority: dict[str, float] = {}
        for row in table.rows:
            key = row.get(self.sheet.key_col, "").strip()
            if not key or key in seen or (status_col and not screenable(row.get(status_col, ""))):
                continue
            seen.add(key)
            keys.append(key)
            if prio_col:
                with contextlib.suppress(ValueError):
                    priority[key] = float(row.get(prio_col, "").strip())
        self.keys = keys
        self.pool_keys = seen
        self.pool = Pool(keys, self._text, priority)
        self.decided: dict[str, str] = {}
        for key in keys:
            cell = self.sheet.cell(key, "decision").strip()
            if cell:
                self.decided[key] = self._canonical(cell) or cell
        kept = [k for k in self.history if k in self.decided]
        known = set(kept)
        self.history = [k for k in keys if k in self.decided and k not in known] + kept
        self._rank()

    def _text(self, key: str) -> str:
        """What a ranking reads of a study: title, abstract, keywords, MeSH (as the prioritise stage does)."""
        study = self.catalogue.get(key, self.sheet.row(key))
        return " \n ".join([study.title, study.abstract, " ; ".join(study.keywords), " ; ".join(study.mesh)])

    def _rank(self) -> None:
        ranking = self.orderings.ranking if self.mode == "prioritised" else plain
        self.queue = ranking(self.pool, self.decided)

    @staticmethod
    def _canonical(cell: str) -> str | None:
        try:
            return parse_decision(cell)
        except ValueError:
            return None

    def sequence(self) -> list[str]:
        return self.history + self.queue

    # -- what the page shows ------------------------------------------------------------------
    def progress(self) -> dict[str, Any]:
        counts = {d: 0 for d in STAGE_DECISIONS[self.stage]}
        for value in self.decided.values():
            if value in counts:
                counts[value] += 1
        stopping = self.orderings.stopping(self.pool, self.decided) if self.mode == "prioritised" else None
        return {"screened": len(self.decided), "total": len(self.keys), "counts": counts,
                "stopping": None if stopping is None else {"label": stopping.label, "detail": stopping.detail,
                                                           "reached": stopping.reached},
                "mode": self.mode, "ordering": self.orderings.name}

    def study(self, key: str) -> dict[str, Any]:
        row = self.sheet.row(key)
        info = self.catalogue.get(key, row)
        cells = {name: self.sheet.cell(key, name) for name in CELLS}
        decision = self._canonical(cells["decision"]) or ""
        seq = self.sequence()
        at = seq.index(key) if key in seq else -1
        hl = self.highlighter.segments
        return {
            "key": key, "study_id": info.study_id, "title": hl(info.title), "abstract": hl(info.abstract),
            "authors": list(info.authors), "year": info.year, "journal": info.journal,
            "keywords": [hl(k) for k in info.keywords], "mesh": [hl(m) for m in info.mesh],
            "publication_types": list(info.publication_types), "registry_ids": list(info.registry_ids),
            "links": [{"label": label, "url": url} for label, url in info.links], "flags": list(info.flags),
            "records": info.records, "decision": decision, "cells": cells,
            "unreadable": cells["decision"].strip() if cells["decision"].strip() and not decision else "",
            "prev": seq[at - 1] if at > 0 else None, "next": seq[at + 1] if 0 <= at < len(seq) - 1 else None,
            "position": at + 1, "length": len(seq),
        }

    def view(self, key: str | None = None, message: str = "") -> dict[str, Any]:
        """The page's state: the study `key` (default: the first unscreened), progress, a message."""
        with self.lock:
            self.sheet.refresh()
            if key is not None and key not in self.pool_keys:
                key = None
            if key is None:
                key = self.queue[0] if self.queue else None
            out: dict[str, Any] = {"progress": self.progress(), "message": message, "undo": bool(self.undo_stack)}
            if key is None:
                out["study"] = None
                out["last"] = self.history[-1] if self.history else None
            else:
                out["study"] = self.study(key)
            return out

    def move(self, key: str | None, step: int) -> dict[str, Any]:
        """The study before (`step` -1) or after (+1) `key` in the sequence."""
        with self.lock:
            self.sheet.refresh()
            seq = self.sequence()
            if key is None or key not in seq:
                return self.view(None)
            at = seq.index(key) + step
            if at >= len(seq):
                return self.view(None) if not self.queue else self.view(key, "this is the last study")
            return self.view(seq[max(at, 0)])

    # -- changes ------------------------------------------------------------------------------
    def decide(self, key: str, decision: str, reason: str, expected: Mapping[str, str] | None) -> dict[str, Any]:
        """Write the reviewer's call for `key`, then show the next study."""
        canonical = parse_decision(decision)
        if canonical is None:
            raise Refused("no decision given")
        try:
            check_stage(canonical, self.stage)
            reason = parse_reason(reason, self.reasons) if canonical == Outcome.EXCLUDE and self.reasons else ""
        except ValueError as exc:
            raise Refused(str(exc)) from None
        with self.lock:
            self.sheet.refresh()
            if key not in self.pool_keys:
                raise Refused(f"{key!r} is not a study of this sheet")
            was_queued = key in self.queue
            seq_before = self.sequence()
            after = {"decision": WORDS[canonical], "reason": reason}
            self._save(key, after, expected)
            if key not in self.history:
                self.history.append(key)
            self.decided[key] = canonical
            self._rank()
            if was_queued:
                return self.view(None)
            seq = self.sequence()
            at = seq_before.index(key)
            follow = next((k for k in seq_before[at + 1:] if k in seq), None)
            return self.view(follow)

    def note(self, key: str, text: str, expected: Mapping[str, str] | None) -> dict[str, Any]:
        """Write the reviewer's note for `key`; the page stays on it."""
        with self.lock:
            self.sheet.refresh()
            if key not in self.pool_keys:
                raise Refused(f"{key!r} is not a study of this sheet")
            self._save(key, {"notes": text}, expected)
            return self.view(key, "note saved")

    def _save(self, key: str, after: dict[str, str], expected: Mapping[str, str] | None) -> None:
        before = {name: self.sheet.cell(key, name) for name in after}
        check = {k: v for k, v in (expected or {}).items() if k in CELLS} if expected is not None else None
        self.sheet.change(key, after, check)
        self.undo_stack.append(Change(key, before, dict(after)))

    def undo(self) -> dict[str, Any]:
        """Put back the cells of the last change made here, and show that study."""
        with self.lock:
            self.sheet.refresh()
            if not self.undo_stack:
                return self.view(None, "nothing to undo")
            change = self.undo_stack.pop()   # dropped also when refused: the file has moved on since
            self.sheet.change(change.key, change.before, change.after)
            cell = change.before.get("decision", self.sheet.cell(change.key, "decision")).strip()
            if "decision" in change.before:
                if cell:
                    self.decided[change.key] = self._canonical(cell) or cell
                else:
                    self.decided.pop(change.key, None)
                    self.history = [k for k in self.history if k != change.key]
                self._rank()
            return self.view(change.key, "undone")

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise Refused(f"order must be one of {', '.join(MODES)}")
        with self.lock:
            self.mode = mode
            self._rank()


__all__ = ["CELLS", "KEY_COLUMNS", "MODES", "Refused", "Session"]
