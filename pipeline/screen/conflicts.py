"""From reviewers' calls to one outcome per study: agreement, conflict, resolution or pending.

Rules (the README quotes them):
- every reviewer named for the stage screens every study entering it;
- all named reviewers made the same call -> that call is final (one reviewer: single screening);
- any "maybe", any disagreement (at full text also on the exclusion reason), or two of one
  reviewer's rows for the same merged study disagreeing -> conflict, also for a lone reviewer;
- a row in `<stage>/resolutions.csv` (consensus or a third reviewer) settles the study, conflict or not;
- otherwise the study is pending until everyone has screened it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pipeline import contracts
from pipeline.contracts import RESOLUTION_COLUMNS
from pipeline.errors import Problem
from pipeline.screen.decisions import (
    MAYBE,
    RESOLUTION_DECISIONS,
    STAGE_LABELS,
    Call,
    check_stage,
    parse_decision,
    parse_reason,
)
from pipeline.screen.sheets import Table, column

RESOLUTION_HEADER = RESOLUTION_COLUMNS
SELF = "own copies disagree"


@dataclass(frozen=True)
class Resolution:
    study_id: str
    decision: str
    reason: str
    resolved_by: str
    row: int


@dataclass(frozen=True)
class Outcome:
    """A study's state at one stage."""

    study_id: str
    final: str                      # a `contracts.Outcome` value: include | exclude | not_retrieved | pending | conflict
    reason: str                     # full-text exclusion reason when final == exclude
    issue: str                      # why the reviewers' calls do not settle it ("" when they do)
    calls: dict[str, str]           # reviewer -> their call as shown in conflicts.csv ("" = not yet)
    resolution: Resolution | None
    deciders: tuple[str, ...]       # people whose calls made the final decision


def reviewer_calls(calls: list[Call]) -> dict[str, dict[str, tuple[str, str] | str]]:
    """study -> reviewer -> (decision, reason), or SELF when a reviewer's own rows disagree."""
    grouped: dict[str, dict[str, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for call in calls:
        grouped[call.study_id][call.reviewer].add((call.decision, call.reason))
    return {study: {who: next(iter(made)) if len(made) == 1 else SELF for who, made in by.items()}
            for study, by in grouped.items()}


def _show(call: tuple[str, str] | str | None) -> str:
    if call is None:
        return ""
    if call == SELF:
        return SELF
    decision, reason = call  # type: ignore[str-unpack]  # SELF is the only string
    return decision.replace("_", " ") + (f": {reason}" if reason else "")


def outcome(study: str, reviewers: tuple[str, ...], made: dict[str, tuple[str, str] | str],
            resolution: Resolution | None) -> Outcome:
    """Apply the module's rules to one study's calls."""
    calls = {who: made.get(who) for who in reviewers}
    done = {who: c for who, c in calls.items() if c is not None}
    issue = ""
    if any(c == SELF for c in done.values()):
        issue = "a reviewer's rows for this merged study disagree"
    elif any(c[0] == MAYBE for c in done.values()):
        issue = "maybe"
    elif len({c[0] for c in done.values()}) > 1:
        issue = "reviewers disagree"
    elif len(set(done.values())) > 1:
        issue = "different exclusion reasons"
    shown = {who: _show(c) for who, c in calls.items()}
    if resolution is not None:
        return Outcome(study, resolution.decision, resolution.reason, issue, shown, resolution,
                       (resolution.resolved_by,))
    if issue:
        return Outcome(study, contracts.Outcome.CONFLICT.value, "", issue, shown, None, ())
    if len(done) < len(reviewers) or not reviewers:
        return Outcome(study, contracts.Outcome.PENDING.value, "", "", shown, None, ())
    decision, reason = next(iter(done.values()))  # type: ignore[str-unpack]  # no SELF left here
    return Outcome(study, decision, reason, "", shown, None, tuple(sorted(done)))


def read_resolutions(table: Table, stage: str, study_of: dict[str, str], in_stage: set[str],
                     reasons: tuple[str, ...]) -> tuple[dict[str, Resolution], list[Problem]]:
    """Valid resolutions by study; every bad row is a Problem (file, row, column)."""
    where = str(table.path)
    key_col, dec_col = column(table, "study_id", "record_id"), column(table, "decision")
    reason_col, who_col = column(table, "reason"), column(table, "resolved_by")
    if table.rows and (key_col is None or dec_col is None):
        return {}, [Problem(where, "needs the columns " + ", ".join(RESOLUTION_HEADER), 1)]
    out: dict[str, Resolution] = {}
    problems: list[Problem] = []
    for number, row in zip(table.row_numbers, table.rows):
        key = row[key_col].strip()  # type: ignore[index]  # both columns exist when there are rows
        study = study_of.get(key)
        if study is None:
            problems.append(Problem(where, f"unknown study or record id {key!r}", number, key_col))
            continue
        if study not in in_stage:
            problems.append(Problem(where, f"study {study!r} is not screened at the {STAGE_LABELS[stage]} stage", number, key_col))
            continue
        try:
            decision = parse_decision(row[dec_col])  # type: ignore[index]
            if decision is None:
                raise ValueError("a resolution needs a decision")
            check_stage(decision, stage, RESOLUTION_DECISIONS)
            reason = ""
            if decision == contracts.Outcome.EXCLUDE and stage == "full_text":
                try:
                    reason = parse_reason(row[reason_col] if reason_col else "", reasons)
                except ValueError as exc:
                    problems.append(Problem(where, str(exc), number, reason_col or "reason"))
                    continue
        except ValueError as exc:
            problems.append(Problem(where, str(exc), number, dec_col))
            continue
        who = row[who_col].strip() if who_col else ""
        if not who:
            problems.append(Problem(where, "resolved_by is required (who decided: consensus or a third reviewer)",
                                    number, who_col or "resolved_by"))
            continue
        new = Resolution(study, decision, reason, who, number)
        old = out.get(study)
        if old is not None and (old.decision, old.reason) != (decision, reason):
            problems.append(Problem(where, f"study {study!r} is resolved twice differently (row {old.row} and row {number})",
                                    number, dec_col))
            continue
        out.setdefault(study, new)
    return out, problems


def conflict_rows(outcomes: list[Outcome], reviewers: tuple[str, ...], titles: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """conflicts.csv: each study whose calls disagree (open or resolved), each reviewer's call."""
    header = ["study_id", "title", "issue", "status", *reviewers, "resolution", "resolution_reason", "resolved_by"]
    rows = []
    for o in sorted(outcomes, key=lambda o: o.study_id):
        if not o.issue:
            continue
        r = o.resolution
        rows.append([o.study_id, titles.get(o.study_id, ""), o.issue, "resolved" if r else "open",
                     *(o.calls[w] for w in reviewers),
                     r.decision.replace("_", " ") if r else "", r.reason if r else "", r.resolved_by if r else ""])
    return header, rows
