"""The resolver's view of one stage: each conflict with every reviewer's call, settled into resolutions.csv.

A study is shown only once every reviewer named for the stage has screened it (so no reviewer's
call is shown while another is still deciding), and only if the calls do not settle it: any
"maybe", a disagreement, or at full text different exclusion reasons (`screen.conflicts.outcome`,
the same rules as `make screen`). Resolutions are rows of `<stage>/resolutions.csv`, the file a
person may also edit by hand; the app updates a study's row or appends one, atomically.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pipeline.app.session import WORDS, Refused, Session
from pipeline.app.sheet import CsvFile
from pipeline.app.studies import Catalogue
from pipeline.contracts import Outcome
from pipeline.screen import conflicts
from pipeline.screen.decisions import RESOLUTION_DECISIONS, check_stage, parse_decision, parse_reason, sheet_calls


class Resolver:
    """Conflicts of one stage across the reviewers' sessions, and the resolutions file."""

    def __init__(self, stage: str, sessions: Mapping[str, Session], resolutions: CsvFile, catalogue: Catalogue,
                 reasons: tuple[str, ...]):
        self.stage, self.sessions, self.file, self.catalogue = stage, sessions, resolutions, catalogue
        self.reasons = reasons if stage == "full_text" else ()
        self.lock = threading.RLock()

    def _study_of(self) -> dict[str, str]:
        study_of = dict(self.catalogue.study_of)
        for session in self.sessions.values():
            for key in session.keys:
                study_of.setdefault(key, key)
        return study_of

    def conflicts(self) -> list[dict[str, Any]]:
        """Every conflict all reviewers have screened: calls, notes, the issue and any resolution."""
        with self.lock:
            self.file.refresh()
            study_of = self._study_of()
            calls: list = []
            in_stage: set[str] = set()
            notes: dict[str, dict[str, str]] = {}
            for who, session in self.sessions.items():
                session.sheet.refresh()
                screened_here = {study_of[k] for k in session.keys}
                in_stage |= screened_here
                made, _, _ = sheet_calls(session.sheet.table, self.stage, who, study_of, session.reasons)
                calls += [c for c in made if c.study_id in screened_here]
                for c in made:
                    note = session.sheet.cell(c.key, "notes")
                    if note:
                        notes.setdefault(c.study_id, {})[who] = note
            resolved, _ = conflicts.read_resolutions(self.file.table, self.stage, study_of, in_stage, self.reasons)
            by_study = conflicts.reviewer_calls(calls)
            reviewers = tuple(self.sessions)
            out = []
            for study_id in sorted(by_study):
                made_by = by_study[study_id]
                if set(made_by) != set(reviewers):
                    continue  # blinding: shown only once every reviewer has screened it
                o = conflicts.outcome(study_id, reviewers, made_by, resolved.get(study_id))
                if not o.issue:
                    continue
                info = self.catalogue.get(study_id)
                r = o.resolution
                out.append({"study_id": study_id, "title": info.title, "authors": list(info.authors)[:6],
                            "year": info.year, "journal": info.journal, "abstract": info.abstract,
                            "links": [{"label": lb, "url": u} for lb, u in info.links],
                            "issue": o.issue, "calls": o.calls, "notes": notes.get(study_id, {}),
                            "resolution": None if r is None else {"decision": r.decision.replace("_", " "),
                                                                  "reason": r.reason, "resolved_by": r.resolved_by},
                            "cells": {name: self.file.cell(study_id, name) for name in ("decision", "reason", "resolved_by", "notes")}})
            return out

    def resolve(self, study_id: str, decision: str, reason: str, notes: str, resolver: str,
                expected: Mapping[str, str] | None) -> dict[str, Any]:
        """Write (or rewrite) the study's row of resolutions.csv; return the conflict as now shown."""
        canonical = parse_decision(decision)
        try:
            if canonical is None:
                raise ValueError("a resolution needs a decision")
            check_stage(canonical, self.stage, RESOLUTION_DECISIONS)
            reason = parse_reason(reason, self.reasons) if canonical == Outcome.EXCLUDE and self.reasons else ""
        except ValueError as exc:
            raise Refused(str(exc)) from None
        with self.lock:
            shown = {c["study_id"]: c for c in self.conflicts()}
            if study_id not in shown:
                raise Refused(f"{study_id!r} is not a conflict every reviewer has screened")
            cells = {"decision": WORDS[canonical], "reason": reason, "resolved_by": resolver, "notes": notes}
            check = {k: v for k, v in (expected or {}).items() if k in cells} if expected is not None else None
            self.file.change(study_id, cells, check, create=cells)
            return next(c for c in self.conflicts() if c["study_id"] == study_id)
