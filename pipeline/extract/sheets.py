"""Extraction sheets: one per reviewer, one row per included study, carried across re-runs.

Rows are keyed by `study_id` (a study's id, or any report or record id of it). The pipeline owns and
refreshes `title`, every `suggested_<field>`, `reports`, `authors`, `year`, `journal`, the links and
`status`; the reviewer owns every form field and `notes`, which the pipeline never changes. Rows are
never deleted or reordered; new studies are appended in study_id order; columns a reviewer added or
moved stay where they are. The screening sheets' reader and writer (`pipeline.screen.sheets`) do the
file work, so the same spreadsheet re-saves survive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.errors import Problem
from pipeline.extract import values
from pipeline.extract.suggest import suggestable
from pipeline.protocol import ExtractionField, ExtractionForm
from pipeline.screen.sheets import Table, column

KEY = "study_id"
SHOWN = ("title", "authors", "year", "journal", "pubmed_url", "doi_url", "pmc_url")


def standard_columns(form: ExtractionForm) -> list[str]:
    """The column order of a new sheet: key, title, each field beside its suggestion, notes, then context."""
    cols = [KEY, "title"]
    for f in form.fields:
        cols.append(f.name)
        if suggestable(f):
            cols.append(f"suggested_{f.name}")
    return cols + ["notes", "reports", "authors", "year", "journal", "pubmed_url", "doi_url", "pmc_url", "status"]


def owned_columns(form: ExtractionForm) -> list[str]:
    return ["title", *(f"suggested_{f.name}" for f in form.fields if suggestable(f)), "reports", "authors", "year",
            "journal", "pubmed_url", "doi_url", "pmc_url", "status"]


@dataclass(frozen=True)
class Entry:
    """One filled row of a reviewer's sheet, mapped to its study; `values` only holds non-empty fields."""

    reviewer: str
    row: int
    key: str
    study_id: str
    values: dict[str, str]


def read_entries(table: Table, reviewer: str, form: ExtractionForm, study_of_key: Mapping[str, str],
                 known: Mapping[str, str]) -> tuple[list[Entry], list[Problem]]:
    """Validate a sheet: its filled rows, and every problem (file, row, column).

    `study_of_key`: any key -> included study; `known`: any key of a report that is not included
    (its row stays, flagged, and is not counted). A key neither knows is an error when a person
    typed it (no `status` written by the pipeline) and an orphan otherwise.
    """
    where = str(table.path)
    if not table.rows:
        return [], []
    key_col = column(table, KEY, "record_id", "key", "id")
    if key_col is None:
        return [], [Problem(where, f"no {KEY} column", 1, KEY)]
    cols = {f.name: column(table, f.name) for f in form.fields}
    status_col = column(table, "status")
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, row in zip(table.row_numbers, table.rows):
        key = row[key_col].strip()
        filled: dict[str, str] = {}
        for f in form.fields:
            col = cols[f.name]
            if col is None or not row[col].strip():
                continue
            try:
                filled[f.name] = values.parse(row[col], f)
            except ValueError as exc:
                problems.append(Problem(where, str(exc), number, col))
        if not key:
            if filled:
                problems.append(Problem(where, "values without a study_id", number, key_col))
            continue
        study = study_of_key.get(key)
        if study is None:
            if key not in known and not (status_col and row[status_col].strip()):
                problems.append(Problem(where, f"unknown study id {key!r}: no included study, report or record has it",
                                        number, key_col))
            continue
        if filled:
            entries.append(Entry(reviewer, number, key, study, filled))
    return entries, problems


def regenerate(table: Table, form: ExtractionForm, study_of_key: Mapping[str, str], shown: Mapping[str, dict[str, str]],
               studies: Sequence[str], flags: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """The sheet's new header and rows: refresh what the pipeline owns, append studies without a row.

    `shown[study]`: the pipeline's cell values (title, suggestions, reports, links ...);
    `flags[key]`: a status note for rows whose key is no included study (e.g. excluded at full text).
    """
    standard = standard_columns(form)
    header = list(table.header) or list(standard)
    key_col = column(table, KEY, "record_id", "key", "id") or KEY
    if key_col not in header:
        header.insert(0, key_col)
    names = {name: column(table, name) or name for name in standard}
    names[KEY] = key_col
    for name in standard:
        if names[name] not in header:
            header.append(names[name])
    owned = {names[c]: c for c in owned_columns(form)}
    rows: list[list[str]] = []
    first_row_of: dict[str, str] = {}
    for row in table.rows:
        values_ = dict(row)
        key = values_.get(key_col, "").strip()
        study = study_of_key.get(key)
        if study is not None:
            status = []
            if key != study:
                status.append(f"part of study {study}")
            elif study in first_row_of:
                status.append(f"second row for this study (first: {first_row_of[study]}); both are read")
            first_row_of.setdefault(study, key)
            for col, name in owned.items():
                values_[col] = "; ".join(status) if name == "status" else shown[study].get(name, "")
        elif key:
            values_[names["status"]] = flags.get(key, "orphaned: no report has this id any more; not counted")
        rows.append([values_.get(col, "") for col in header])
    for study in sorted(set(studies) - set(first_row_of)):
        values_ = {key_col: study}
        for col, name in owned.items():
            values_[col] = "" if name == "status" else shown[study].get(name, "")
        rows.append([values_.get(col, "") for col in header])
    return header, rows


def field_help(field: ExtractionField) -> str:
    """How to fill a field, for docs and error messages."""
    if field.type in ("choice", "multi"):
        sep = " (several: separate with ;)" if field.type == "multi" else ""
        return f"one of: {values.allowed(field)}{sep}"
    return {"integer": "a whole number", "number": "a number", "registry": "registration numbers separated by ;",
            "text": "free text"}[field.type]
