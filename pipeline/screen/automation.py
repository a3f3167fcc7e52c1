"""Automation rules: mark studies ineligible before screening, unless a person overrules it.

PRISMA 2020 counts these apart ("records marked as ineligible by automation tools"). Each study is
listed once, under the first rule (in protocol order) that fires, so the per-rule counts add up to
the total. A person overrules a rule in `automation_overrides.csv` (study_id, decision=eligible,
reviewer, notes); the study is then screened like any other and `overruled` is true.
"""

from __future__ import annotations

import polars as pl

from pipeline import contracts
from pipeline.errors import Problem
from pipeline.protocol import AutomationRule
from pipeline.screen.sheets import Table, column

AUTOMATION_SCHEMA = contracts.AUTOMATION_SCHEMA
OVERRIDE_HEADER = contracts.OVERRIDE_COLUMNS


def _values(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


def fires(rule: AutomationRule, value: object) -> list[str] | None:
    """The values that make `rule` fire on one cell, or None when it does not fire."""
    values = _values(value)
    lowered = [v.strip().lower() for v in values]
    if rule.exclude_if_any:
        listed = {v.lower() for v in rule.exclude_if_any}
        hits = [v for v, low in zip(values, lowered) if low in listed]
        if hits:
            return hits
    if rule.exclude_unless_any and values:
        listed = {v.lower() for v in rule.exclude_unless_any}
        if not any(low in listed for low in lowered):
            return values
    hits = []
    for v in values:
        try:
            number = float(v)
        except ValueError:
            continue
        if (rule.exclude_below is not None and number < rule.exclude_below) or (
                rule.exclude_above is not None and number > rule.exclude_above):
            hits.append(v)
    return hits or None


def evaluate(studies: pl.DataFrame, rules: tuple[AutomationRule, ...],
             protocol_file: str = "the protocol") -> tuple[pl.DataFrame, list[Problem]]:
    """One row per study some rule marks ineligible (first rule wins); problems (in `protocol_file`) for unknown fields."""
    problems = [Problem(protocol_file, f"automation rule {r.name!r}: field {r.field!r} is not a records column")
                for r in rules if r.field not in studies.columns]
    usable = [r for r in rules if r.field in studies.columns]
    rows = []
    if usable:
        for study in studies.select(["study_id", *{r.field for r in usable}]).iter_rows(named=True):
            for rule in usable:
                hit = fires(rule, study[rule.field])
                if hit is not None:
                    rows.append((study["study_id"], rule.name, rule.field, "; ".join(hit), False))
                    break
    return pl.DataFrame(rows, schema=AUTOMATION_SCHEMA, orient="row").sort("study_id"), problems


def read_overrides(table: Table, study_of: dict[str, str]) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """Overrides by study: {study_id: {reviewer, notes}}; every bad row is a Problem."""
    problems: list[Problem] = []
    out: dict[str, dict[str, str]] = {}
    key_col, dec_col = column(table, "study_id", "record_id"), column(table, "decision")
    who_col, notes_col = column(table, "reviewer"), column(table, "notes")
    if table.rows and (key_col is None or dec_col is None):
        return out, [Problem(str(table.path), "needs the columns study_id and decision", 1)]
    for number, row in zip(table.row_numbers, table.rows):
        key = row[key_col].strip()  # type: ignore[index]  # both columns exist when there are rows
        study = study_of.get(key)
        if study is None:
            problems.append(Problem(str(table.path), f"unknown study or record id {key!r}", number, key_col))
            continue
        if row[dec_col].strip().lower() != "eligible":  # type: ignore[index]
            problems.append(Problem(str(table.path), f"decision must be 'eligible', not {row[dec_col]!r}", number, dec_col))  # type: ignore[index]
            continue
        out[study] = {"reviewer": row[who_col].strip() if who_col else "", "notes": row[notes_col] if notes_col else ""}
    return out, problems


def apply_overrides(marked: pl.DataFrame, overrides: dict[str, dict[str, str]]) -> pl.DataFrame:
    """Set `overruled` for studies a person declared eligible."""
    return marked.with_columns(pl.col("study_id").is_in(list(overrides)).alias("overruled"))
