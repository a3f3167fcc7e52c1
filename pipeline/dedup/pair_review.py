"""Decisions people type into `outputs/dedup/pairs_to_review.csv` move into `decisions.csv`.

The pairs file is regenerated on every run, so a decision typed there would be lost. Before each
run its `decision` cells are read: `duplicate` / `not_duplicate` (and the obvious spellings:
`same`, `yes`, `dup` / `different`, `no`, `not dup`; any case, `-` `_` or spaces) are appended to
`decisions.csv` with the row's `reviewer` and `notes` cells when the person added them, so every
later run applies them first and the pair leaves the review list. A word we do not know, a pair
decided the other way in `decisions.csv`, or a pair naming a record that is gone is an error naming
the row and column, and then nothing is moved and nothing regenerated.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from pipeline.console import warn
from pipeline.dedup.decisions import COLUMNS
from pipeline.errors import InputError, Problem
from pipeline.files import write_bytes_atomic
from pipeline.textio import SHEET_FIX, decode, guard_cell, sniff_delimiter, unguard_cell, unix_lines

WORDS = {
    **dict.fromkeys(["duplicate", "duplicates", "dup", "dupe", "same", "same study", "yes", "y", "merge"], "duplicate"),
    **dict.fromkeys(["not duplicate", "not duplicates", "not dup", "no dup", "different", "distinct", "no", "n",
                     "keep apart", "separate"], "not_duplicate"),
}


def _pair(a: str, b: str) -> tuple[str, str]:
    """A pair's key whatever the order of its two ids."""
    return (a, b) if a <= b else (b, a)


def _word(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower()).strip()


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header (lower case) and rows of a CSV people may have re-saved; a missing file is empty."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return [], []
    decoded = decode(data, str(path), fix=SHEET_FIX)
    if decoded.warning:
        warn(decoded.warning)
    text = unix_lines(decoded.text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
    if not rows:
        return [], []
    return [h.strip().lower() for h in rows[0]], rows[1:]


def carry_over(pairs: Path, decisions: Path, known_ids: set[str], label: str, decisions_label: str) -> int:
    """Append the decisions typed in `pairs` to `decisions`; return how many were moved."""
    header, body = _rows(pairs)
    if "decision" not in header:
        return 0
    col: dict[str, int] = {name: header.index(name) for name in ("record_id_a", "record_id_b", "decision", "reviewer", "notes") if name in header}
    old_header, old_rows = _rows(decisions)
    existing: dict[tuple[str, str], tuple[str, int]] = {}
    if old_header:
        at = {name: old_header.index(name) for name in ("record_id_a", "record_id_b", "decision") if name in old_header}
        if len(at) == 3:
            for number, row in enumerate(old_rows, start=2):
                cells = [unguard_cell(row[at[n]]).strip() if at[n] < len(row) else "" for n in ("record_id_a", "record_id_b", "decision")]
                if cells[0] and cells[1]:
                    existing.setdefault(_pair(cells[0], cells[1]), (cells[2].lower(), number))

    def cell(row: list[str], name: str) -> str:
        k = col.get(name)
        return unguard_cell(row[k]).strip() if k is not None and k < len(row) else ""

    problems: list[Problem] = []
    moved: list[list[str]] = []
    for number, row in enumerate(body, start=2):
        typed = cell(row, "decision")
        if not typed:
            continue
        decision = WORDS.get(_word(typed))
        a, b = cell(row, "record_id_a"), cell(row, "record_id_b")
        if decision is None:
            problems.append(Problem(label, f"decision {typed!r} is not duplicate or not_duplicate "
                                           f"(also accepted: {', '.join(sorted(WORDS))})", number, "decision"))
            continue
        gone = [c for c, v in (("record_id_a", a), ("record_id_b", b)) if v not in known_ids]
        if gone:
            problems += [Problem(label, f"record id {cell(row, c)!r} is not in the records table any more; "
                                        "this pair cannot be decided", number, c) for c in gone]
            continue
        pair = _pair(a, b)
        if pair in existing:
            if existing[pair][0] != decision:
                problems.append(Problem(label, f"this pair is already marked {existing[pair][0]} in {decisions_label} "
                                               f"(row {existing[pair][1]}); change one of them", number, "decision"))
            continue
        existing[pair] = (decision, number)
        notes = cell(row, "notes")
        moved.append([a, b, decision, cell(row, "reviewer"), "; ".join(x for x in (notes, f"from {label} row {number}") if x)])
    if problems:
        raise InputError(problems)
    if not moved:
        return 0
    try:
        old = Path(decisions).read_bytes()
    except FileNotFoundError:
        old = b""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if not old.strip():
        old = b""
        writer.writerow(COLUMNS)
    writer.writerows([guard_cell(v) for v in r] for r in moved)
    if old and not old.endswith(b"\n"):
        old += b"\r\n"
    write_bytes_atomic(decisions, old + buf.getvalue().encode("utf-8"))
    return len(moved)


def keep_typed(waiting: pl.DataFrame, pairs: Path, label: str) -> tuple[pl.DataFrame, list[str]]:
    """The new pairs table with the columns a person added to the old one (e.g. `notes`) carried over by
    pair; warnings for typed cells whose pair is no longer waiting (it was decided or merged meanwhile)."""
    header, body = _rows(pairs)
    extra = [h for h in header if h and h not in waiting.columns]
    if not extra or "record_id_a" not in header or "record_id_b" not in header:
        return waiting, []
    ia, ib = header.index("record_id_a"), header.index("record_id_b")
    typed: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    for number, row in enumerate(body, start=2):
        cells = {h: unguard_cell(row[header.index(h)]).strip() if header.index(h) < len(row) else "" for h in extra}
        if any(cells.values()) and ia < len(row) and ib < len(row):
            typed[_pair(unguard_cell(row[ia]).strip(), unguard_cell(row[ib]).strip())] = (number, cells)
    keys = [_pair(a, b) for a, b in waiting.select("record_id_a", "record_id_b").iter_rows()]
    out = waiting.with_columns([pl.Series(h, [typed.get(k, (0, {}))[1].get(h, "") for k in keys], dtype=pl.Utf8) for h in extra])
    gone = sorted(n for k, (n, _) in typed.items() if k not in set(keys))
    warnings = [f"{label}: cells typed in row(s) {', '.join(map(str, gone[:10]))} belong to pairs no longer waiting "
                "(decided or merged meanwhile); copy what you need into decisions.csv notes"] if gone else []
    return out, warnings
