"""What a reviewer may write in the `decision` and `reason` cells, and what it means.

Decisions are read case-insensitively, ignoring spaces, `_` and `-` differences, and a few obvious
synonyms are accepted (`DECISION_WORDS`, quoted in the README). A cell may add a note after the
word, as people do in spreadsheets: `not sure (needs to be discussed)`, `No - wrong population`,
`exclude: animal study`; the word is the decision and the rest its note. Anything else is still an
error. Full-text exclusions need a reason from the protocol's list: its text (any case) or its
1-based number; an exclusion note that names one serves as the reason when the reason cell is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.contracts import Outcome
from pipeline.errors import Problem
from pipeline.screen.sheets import Table, column

# A reviewer's decision is an outcome (`contracts.Outcome`: include, exclude, not_retrieved) or "maybe",
# which is never final (`conflicts.outcome` makes it a conflict). Kept as plain strings, as final.csv holds them.
MAYBE = "maybe"

# Every accepted spelling -> the decision it means. Keys are already normalised by `_norm`.
DECISION_WORDS: dict[str, str] = {
    **dict.fromkeys(["include", "included", "incl", "inc", "yes", "y", "in", "i"], Outcome.INCLUDE.value),
    **dict.fromkeys(["exclude", "excluded", "excl", "exc", "no", "n", "out", "x", "e"], Outcome.EXCLUDE.value),
    **dict.fromkeys(["maybe", "unsure", "uncertain", "unclear", "not sure", "?", "??", "m"], MAYBE),
    **dict.fromkeys(["not retrieved", "not found", "no full text", "unavailable", "nr"], Outcome.NOT_RETRIEVED.value),
}

STAGE_LABELS = {"title_abstract": "title/abstract", "full_text": "full-text"}
STAGE_DECISIONS: dict[str, tuple[str, ...]] = {
    "title_abstract": (Outcome.INCLUDE.value, Outcome.EXCLUDE.value, MAYBE),
    "full_text": (Outcome.INCLUDE.value, Outcome.EXCLUDE.value, MAYBE, Outcome.NOT_RETRIEVED.value),
}
# A resolution settles a conflict, so it cannot be "maybe".
RESOLUTION_DECISIONS: dict[str, tuple[str, ...]] = {
    stage: tuple(d for d in allowed if d != MAYBE) for stage, allowed in STAGE_DECISIONS.items()
}


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip()


# Where a note may start after the decision word: an opening bracket, a spaced dash, or : ; ,
_NOTE_START = re.compile(r"\s*\(|\s+[-–—]+\s*|\s*[-–—]+\s+|\s*[:;,]\s*")


def parse_decision(text: str) -> str | None:
    """Canonical decision for a cell ("" -> None); raise ValueError naming the accepted words."""
    return split_decision(text)[0]


def split_decision(text: str) -> tuple[str | None, str]:
    """(canonical decision, note) for a cell: "No - wrong population" -> ("exclude", "wrong population")."""
    if not text.strip():
        return None, ""
    word = _norm(text)
    if word in DECISION_WORDS:
        return DECISION_WORDS[word], ""
    for match in _NOTE_START.finditer(text.strip()):
        head, rest = text.strip()[:match.start()], text.strip()[match.end():]
        if head and _norm(head) in DECISION_WORDS:
            note = rest.strip()
            if match.group(0).strip() == "(" and note.endswith(")"):
                note = note[:-1].strip()
            return DECISION_WORDS[_norm(head)], note
    raise ValueError(f"unknown decision {text.strip()!r}; write include, exclude or maybe "
                     f"(or not retrieved at full text); accepted synonyms: {', '.join(sorted(DECISION_WORDS))}")


def check_stage(decision: str, stage: str, allowed: dict[str, tuple[str, ...]] = STAGE_DECISIONS) -> None:
    """Raise ValueError when `decision` cannot be made at `stage` (e.g. not retrieved at title/abstract)."""
    if decision not in allowed[stage]:
        label = decision.replace("_", " ")
        raise ValueError(f"{label!r} is not a {STAGE_LABELS[stage]} decision "
                         f"(allowed: {', '.join(d.replace('_', ' ') for d in allowed[stage])})")


def parse_reason(text: str, reasons: tuple[str, ...]) -> str:
    """The protocol's exclusion reason named by `text` (its text in any case, or its number)."""
    given = text.strip().rstrip(".").strip()
    if not given:
        raise ValueError("a full-text exclusion needs a reason from the protocol's list: " + _numbered(reasons))
    if given.isdigit() and 1 <= int(given) <= len(reasons):
        return reasons[int(given) - 1]
    for reason in reasons:
        if _norm(reason).rstrip(".") == _norm(given):
            return reason
    raise ValueError(f"exclusion reason {text.strip()!r} is not in the protocol's list: " + _numbered(reasons))


def _numbered(reasons: tuple[str, ...]) -> str:
    return "; ".join(f"{i} = {r}" for i, r in enumerate(reasons, start=1)) or "(the protocol lists none)"


@dataclass(frozen=True)
class Call:
    """One decided row of a reviewer's sheet, mapped to the study it now belongs to."""

    reviewer: str
    key: str          # the row's record key as written (a study_id or a merged member's record_id)
    study_id: str
    row: int          # spreadsheet row number (header = 1)
    decision: str     # canonical: include | exclude | maybe | not_retrieved
    reason: str = ""  # full text: the protocol's wording of the exclusion reason
    note: str = ""    # what the cell said after the decision word ("No - wrong population")


KEY_COLUMNS = ("record_id", "key", "id", "study_id")


def sheet_calls(table: Table, stage: str, reviewer: str, study_of: dict[str, str],
                reasons: tuple[str, ...]) -> tuple[list[Call], list[tuple[int, str, str]], list[Problem]]:
    """Validate one reviewer sheet: (decided rows, orphaned rows (row, key, last study), problems).

    A key no study has any more is *orphaned* when the pipeline wrote the row (its study_id cell is
    filled) and an *unknown key* problem when a person typed it. The same key twice with different
    decisions is a problem; two keys of one merged study that disagree are left for `outcomes`.
    """
    where = str(table.path)
    key_col = column(table, *KEY_COLUMNS)
    dec_col, reason_col = column(table, "decision"), column(table, "reason")
    study_col = column(table, "study_id")
    if not table.rows:
        return [], [], []
    if key_col is None:
        return [], [], [Problem(where, "no record key column (record_id)", 1, "record_id")]
    if dec_col is None:
        return [], [], [Problem(where, f"no decision column (the columns are {', '.join(map(repr, table.header))}); "
                                       "name the column of decisions `decision` so they are counted", 1, "decision")]
    calls: list[Call] = []
    orphans: list[tuple[int, str, str]] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[int, str, str]] = {}
    for number, row in zip(table.row_numbers, table.rows):
        key = row[key_col].strip()
        if not key:
            if dec_col and row[dec_col].strip():
                problems.append(Problem(where, "a decision without a record key", number, key_col))
            continue
        decision = reason = note = ""
        if dec_col:
            try:
                found, note = split_decision(row[dec_col])
                decision = found or ""
                if decision:
                    check_stage(decision, stage)
            except ValueError as exc:
                problems.append(Problem(where, str(exc), number, dec_col))
                decision = ""
        if decision == Outcome.EXCLUDE and stage == "full_text":
            given = row[reason_col] if reason_col else ""
            if not given.strip() and note:
                given = note  # "exclude - wrong population": the note names the reason
            try:
                reason = parse_reason(given, reasons)
            except ValueError as exc:
                problems.append(Problem(where, str(exc), number, reason_col or "reason"))
                decision = ""
        if decision and key in seen and seen[key][1:] != (decision, reason):
            first = seen[key][0]
            problems.append(Problem(where, f"record {key!r} appears twice with different decisions "
                                           f"(row {first}: {seen[key][1]}, row {number}: {decision}); keep one", number, dec_col))
            continue
        if decision and key not in seen:
            seen[key] = (number, decision, reason)
        study = study_of.get(key)
        if study is None:
            last = row[study_col].strip() if study_col and study_col != key_col else ""
            if last:
                orphans.append((number, key, last))
            else:
                problems.append(Problem(where, f"unknown record key {key!r}: no study or record has it", number, key_col))
            continue
        if decision:
            calls.append(Call(reviewer, key, study, number, decision, reason, note))
    return calls, orphans, problems
