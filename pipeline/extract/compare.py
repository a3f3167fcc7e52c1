"""From reviewers' extractions to one value per study and field: agreement, discrepancy, resolution.

Rules (docs/extraction.md quotes them):
- a reviewer has extracted a study when any field of any of their rows for it is filled;
- a study is *pending* until every reviewer named in `[extraction] reviewers` has extracted it;
- then each field is final when all of them wrote the same value (empty = "not reported", so one
  reviewer's value against another's empty cell is a discrepancy); otherwise it is a *discrepancy*,
  also when two of one reviewer's rows for the study disagree;
- a row of `outputs/extraction/resolutions.csv` (`study_id, field, value, resolved_by, notes`) settles a
  field, discrepancy or not; its value is checked like a sheet cell and may be empty (not reported).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.errors import Problem
from pipeline.extract import values
from pipeline.extract.sheets import Entry
from pipeline.protocol import ExtractionForm
from pipeline.screen.sheets import Table, column

RESOLUTION_HEADER = ["study_id", "field", "value", "resolved_by", "notes"]
OWN = "own rows disagree"


@dataclass(frozen=True)
class Resolution:
    study_id: str
    field: str
    value: str
    resolved_by: str
    row: int


@dataclass(frozen=True)
class FieldOutcome:
    """One field of one study: its final value, and whether reviewers disagreed."""

    value: str
    state: str                      # agreed | resolved | discrepancy | pending
    calls: dict[str, str]           # reviewer -> value written ("" = empty, OWN when own rows disagree)
    resolution: Resolution | None = None


def by_reviewer(entries: Iterable[Entry], form: ExtractionForm) -> dict[str, dict[str, dict[str, str]]]:
    """study -> reviewer -> field -> value (OWN when a reviewer's rows for the study disagree)."""
    seen: dict[str, dict[str, dict[str, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    for e in entries:
        for f in form.fields:
            seen[e.study_id][e.reviewer][f.name].add(e.values.get(f.name, ""))
    out: dict[str, dict[str, dict[str, str]]] = {}
    for study, people in seen.items():
        out[study] = {}
        for who, fields in people.items():
            row: dict[str, str] = {}
            for f in form.fields:
                written = fields[f.name] - {""} if len(fields[f.name]) > 1 else fields[f.name]
                distinct: list[str] = []
                for v in sorted(written):
                    if not any(values.same(v, d, f) for d in distinct):
                        distinct.append(v)
                row[f.name] = distinct[0] if len(distinct) == 1 else OWN
            out[study][who] = row
    return out


def read_resolutions(table: Table, form: ExtractionForm, study_of_key: Mapping[str, str]
                     ) -> tuple[dict[tuple[str, str], Resolution], list[Problem]]:
    """Valid resolutions by (study, field); every bad row is a Problem (file, row, column)."""
    where = str(table.path)
    cols = {name: column(table, name) for name in RESOLUTION_HEADER}
    if table.rows and any(cols[c] is None for c in ("study_id", "field", "value")):
        return {}, [Problem(where, "needs the columns " + ", ".join(RESOLUTION_HEADER), 1)]
    names = {f.name: f for f in form.fields}
    out: dict[tuple[str, str], Resolution] = {}
    problems: list[Problem] = []
    for number, row in zip(table.row_numbers, table.rows):
        key = row[cols["study_id"]].strip()  # type: ignore[index]
        study = study_of_key.get(key)
        if study is None:
            problems.append(Problem(where, f"unknown study id {key!r}: no included study has it", number, cols["study_id"]))
            continue
        name = row[cols["field"]].strip()  # type: ignore[index]
        field = names.get(name) or names.get(name.lower().replace(" ", "_"))
        if field is None:
            problems.append(Problem(where, f"unknown field {name!r}; the form's fields: {', '.join(names)}",
                                    number, cols["field"]))
            continue
        try:
            value = values.parse(row[cols["value"]], field)  # type: ignore[index]
        except ValueError as exc:
            problems.append(Problem(where, str(exc), number, cols["value"]))
            continue
        who = row[cols["resolved_by"]].strip() if cols["resolved_by"] else ""
        if not who:
            problems.append(Problem(where, "resolved_by is required (who decided: consensus or a third reviewer)",
                                    number, cols["resolved_by"] or "resolved_by"))
            continue
        old = out.get((study, field.name))
        if old is not None and not values.same(old.value, value, field):
            problems.append(Problem(where, f"{field.name} of study {study!r} is resolved twice differently "
                                    f"(row {old.row} and row {number})", number, cols["value"]))
            continue
        out.setdefault((study, field.name), Resolution(study, field.name, value, who, number))
    return out, problems


def outcomes(study: str, reviewers: tuple[str, ...], made: Mapping[str, Mapping[str, str]], form: ExtractionForm,
             resolutions: Mapping[tuple[str, str], Resolution]) -> dict[str, FieldOutcome]:
    """Apply the module's rules to every field of one study."""
    done = [who for who in reviewers if who in made]
    complete = bool(reviewers) and len(done) == len(reviewers)
    out: dict[str, FieldOutcome] = {}
    for f in form.fields:
        calls = {who: made[who][f.name] for who in done}
        res = resolutions.get((study, f.name))
        written = list(calls.values())
        agree = bool(written) and OWN not in written and all(values.same(written[0], v, f) for v in written[1:])
        if res is not None:
            out[f.name] = FieldOutcome(res.value, "resolved", calls, res)
        elif not complete:
            out[f.name] = FieldOutcome("", "pending", calls)
        elif agree:
            out[f.name] = FieldOutcome(written[0], "agreed", calls)
        else:
            out[f.name] = FieldOutcome("", "discrepancy", calls)
    return out


def discrepancy_rows(results: Mapping[str, Mapping[str, FieldOutcome]], reviewers: tuple[str, ...],
                     titles: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """discrepancies.csv: each study field on which reviewers disagree (open or resolved)."""
    header = ["study_id", "title", "field", "status", *reviewers, "resolution", "resolved_by"]
    rows = []
    for study in sorted(results):
        for name, o in results[study].items():
            disputed = o.state == "discrepancy" or (o.resolution is not None and len(o.calls) == len(reviewers)
                                                     and len(set(o.calls.values())) > 1) \
                or (o.resolution is not None and OWN in o.calls.values())
            if not disputed:
                continue
            r = o.resolution
            rows.append([study, titles.get(study, ""), name, "resolved" if r else "open",
                         *(o.calls.get(w, "") for w in reviewers), r.value if r else "", r.resolved_by if r else ""])
    return header, rows
