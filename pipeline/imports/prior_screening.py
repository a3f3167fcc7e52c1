"""A team's earlier screening from another tool, carried over as named reviewers' decisions.

The protocol lists each export under `[[screening.imported]]` (see docs/imports.md):

    rayyan-csv     Rayyan: Export > CSV. Each row's `notes` cell holds every reviewer's vote:
                   `RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS:
                   wrong population | USER-NOTES: {"Alice"=>["check dose"]}`; `reviewers` maps Rayyan's
                   names to the protocol's.
    asreview-csv   ASReview LAB: Export > Dataset (CSV). `included` (v1) or `asreview_label` (v2): 1, 0 or
                   empty; one reviewer per project (`reviewer`).
    covidence-csv  Covidence: Export references (CSV) from one list (e.g. Irrelevant, Excluded); `decision`
                   says which, `reviewer` who made it; full-text exclusions carry "Exclusion reason: ..." in Notes.

Each row is matched to a study by DOI, then PMID, then normalised title and year (title alone when
it is unique). Matched decisions enter the screen stage as that reviewer's decisions, so agreement
and kappa count them, and are written into the empty decision cells of the reviewer's sheet with a
note saying where they came from; a decision the reviewer has written in the sheet always wins.
Rows that match no study, or match one whose other rows disagree, are reported, never dropped silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import InputError, Problem
from pipeline.imports.csv_exports import Row, Table, read_table
from pipeline.imports.id_register import title_key
from pipeline.imports.text import ReadLog
from pipeline.protocol import PriorScreening, Protocol
from pipeline.records import normalise_doi

_RAYYAN_PART = re.compile(r"(RAYYAN-INCLUSION|RAYYAN-EXCLUSION-REASONS|RAYYAN-LABELS|USER-NOTES):\s*(.*?)\s*(?=\|\s*[A-Z][A-Z-]+:|$)", re.S)
_VOTE = re.compile(r'"((?:[^"\\]|\\.)+)"\s*=>\s*"([^"]*)"')
_USER_NOTE = re.compile(r'"((?:[^"\\]|\\.)+)"\s*=>\s*\[(.*?)\]', re.S)
_RAYYAN_WORDS = {"included": "include", "excluded": "exclude", "maybe": "maybe", "undecided": ""}
_COVIDENCE_REASON = re.compile(r"Exclusion reason:\s*([^;]+)", re.IGNORECASE)


@dataclass(frozen=True)
class PriorDecision:
    """One reviewer's decision on one row of another tool's export, with what identifies the record."""

    file: str
    row: int
    stage: str
    reviewer: str
    decision: str                 # include | exclude | maybe
    reason: str = ""              # the export's exclusion reason text, as written
    note: str = ""
    doi: str | None = None
    pmid: str | None = None
    title: str | None = None
    year: int | None = None

    @property
    def origin(self) -> str:
        return f"{self.file} row {self.row}"


@dataclass(frozen=True)
class Prior:
    """A matched decision, ready to be a reviewer's call: reason already the protocol's wording."""

    decision: str
    reason: str
    note: str
    origin: str


def read_all(protocol: Protocol, relative: object = str) -> list[PriorDecision]:
    """Every decision in every `[[screening.imported]]` file; all problems in one InputError."""
    decisions: list[PriorDecision] = []
    problems: list[Problem] = []
    for spec in protocol.prior_screening:
        label = relative(spec.path) if callable(relative) else str(spec.path)
        try:
            decisions += read(spec, label, protocol)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return decisions


def read(spec: PriorScreening, label: str, protocol: Protocol) -> list[PriorDecision]:
    """The decisions of one export file in its tool's layout."""
    table = read_table(Path(spec.path), label, None, ReadLog())
    if spec.format == "rayyan-csv":
        return _rayyan(table, spec, label, protocol)
    if spec.format == "asreview-csv":
        return _asreview(table, spec, label)
    if spec.format == "covidence-csv":
        return _covidence(table, spec, label)
    raise InputError.one(label, f"unknown screening export format {spec.format!r}")


def _identity(row: Row, doi: tuple[str, ...], pmid: tuple[str, ...], title: tuple[str, ...], year: tuple[str, ...]) -> dict:
    from pipeline.imports.text import year as parse_year

    found_pmid = row.get(*pmid)
    digits = re.fullmatch(r"\s*(?:pmid:?\s*)?0*(\d{1,8})\s*", found_pmid or "", re.IGNORECASE)  # not a 10-digit Embase id
    return {"doi": normalise_doi(row.get(*doi)), "pmid": digits.group(1) if digits else None,
            "title": row.get(*title), "year": parse_year(row.get(*year))}


def _rayyan(table: Table, spec: PriorScreening, label: str, protocol: Protocol) -> list[PriorDecision]:
    table.require("title", "notes")
    names = dict(spec.reviewers)
    allowed = set(protocol.reviewers[spec.stage])
    out: list[PriorDecision] = []
    problems: list[Problem] = []
    unknown: dict[str, int] = {}
    for line, cells in table.rows:
        row = Row(table, line, cells)
        parts = dict(_RAYYAN_PART.findall(row.get("notes") or ""))
        votes = _VOTE.findall(parts.get("RAYYAN-INCLUSION", ""))
        user_notes = {who: "; ".join(n.strip().strip('"') for n in re.findall(r'"((?:[^"\\]|\\.)*)"', text))
                      for who, text in _USER_NOTE.findall(parts.get("USER-NOTES", ""))}
        ident = _identity(row, ("doi",), ("pubmed_id", "pmid"), ("title",), ("year",))
        for who, word in votes:
            decision = _RAYYAN_WORDS.get(word.strip().lower())
            if decision is None:
                problems.append(Problem(label, f"Rayyan decision {word!r} for {who!r} is not Included, Excluded or Maybe", line, "notes"))
                continue
            reviewer = names.get(who, who if who in allowed else "")
            if who in names and not names[who]:
                continue  # mapped to "" in the protocol: this person's votes are not carried over
            if not reviewer:
                unknown.setdefault(who, line)
                continue
            if decision:
                out.append(PriorDecision(label, line, spec.stage, reviewer, decision,
                                         parts.get("RAYYAN-EXCLUSION-REASONS", "").split(",")[0].strip() if decision == "exclude" else "",
                                         user_notes.get(who, ""), **ident))
    for who, line in unknown.items():
        problems.append(Problem(label, f"Rayyan reviewer {who!r} is not a reviewer of screening.{spec.stage}: map the name "
                                       f"in the protocol, e.g. reviewers = {{ \"{who}\" = \"{sorted(allowed)[0] if allowed else 'name'}\" }} "
                                       f"(or = \"\" to leave this person's votes out)", line, "notes"))
    if problems:
        raise InputError(problems)
    return out


def _asreview(table: Table, spec: PriorScreening, label: str) -> list[PriorDecision]:
    label_col = table.column("included", "asreview_label", "label_included", "final_included", "label")
    if label_col is None:
        raise InputError.one(label, "no 'included' or 'asreview_label' column: export the dataset from ASReview LAB "
                                    "with its labels (Export > Dataset, CSV)", 1, "included")
    table.require("title")
    out: list[PriorDecision] = []
    problems: list[Problem] = []
    for line, cells in table.rows:
        row = Row(table, line, cells)
        value = (row.at(label_col) or "").strip()
        if value in ("", "-1", "-1.0"):
            continue  # not screened in ASReview
        decision = {"1": "include", "1.0": "include", "0": "exclude", "0.0": "exclude"}.get(value)
        if decision is None:
            problems.append(Problem(label, f"label {value!r} is not 1, 0 or empty", line, table.header[label_col]))
            continue
        ident = _identity(row, ("doi",), ("pmid", "pubmed_id"), ("title", "primary_title"), ("year", "publication_year"))
        out.append(PriorDecision(label, line, spec.stage, spec.reviewer, decision, "",
                                 row.get("asreview_note", "exported_notes_1", "notes") or "", **ident))
    if problems:
        raise InputError(problems)
    return out


def _covidence(table: Table, spec: PriorScreening, label: str) -> list[PriorDecision]:
    table.require("Title")
    out: list[PriorDecision] = []
    for line, cells in table.rows:
        row = Row(table, line, cells)
        notes = row.get("Notes") or ""
        reason = _COVIDENCE_REASON.search(notes)
        ident = _identity(row, ("DOI",), ("Accession Number", "PMID"), ("Title",), ("Published Year", "Year"))
        out.append(PriorDecision(label, line, spec.stage, spec.reviewer, spec.decision,
                                 reason.group(1).strip() if reason else "", notes, **ident))
    return out


def attach(decisions: list[PriorDecision], studies: pl.DataFrame, reasons: tuple[str, ...]
           ) -> tuple[dict[tuple[str, str], dict[str, Prior]], list[str], list[Problem]]:
    """Match decisions to studies: {(stage, reviewer): {study_id: Prior}}, warnings, problems."""
    from pipeline.screen.decisions import parse_reason

    by_doi: dict[str, set[str]] = defaultdict(set)
    by_pmid: dict[str, set[str]] = defaultdict(set)
    by_title_year: dict[tuple[str, int | None], set[str]] = defaultdict(set)
    by_title: dict[str, set[str]] = defaultdict(set)
    for s in studies.select("study_id", "doi", "pmid", "title", "year").iter_rows(named=True):
        if s["doi"]:
            by_doi[s["doi"]].add(s["study_id"])
        if s["pmid"]:
            by_pmid[s["pmid"]].add(s["study_id"])
        title = title_key(s["title"])
        if title:
            by_title_year[(title, s["year"])].add(s["study_id"])
            by_title[title].add(s["study_id"])

    def study_of(d: PriorDecision) -> str | None:
        title = title_key(d.title)
        candidates: list[set[str] | None] = [by_doi.get(d.doi or ""), by_pmid.get(d.pmid or ""),
                                             by_title_year.get((title, d.year)) if title else None,
                                             by_title.get(title) if title else None]
        for found in candidates:
            if found and len(found) == 1:
                return str(next(iter(found)))
        return None

    out: dict[tuple[str, str], dict[str, Prior]] = defaultdict(dict)
    seen: dict[tuple[str, str, str], PriorDecision] = {}
    clashing: set[tuple[str, str, str]] = set()
    unmatched: dict[str, list[int]] = defaultdict(list)
    problems: list[Problem] = []
    for d in decisions:
        study = study_of(d)
        if study is None:
            unmatched[d.file].append(d.row)
            continue
        reason = ""
        if d.decision == "exclude" and d.stage == "full_text":
            try:
                reason = parse_reason(d.reason, reasons)
            except ValueError as exc:
                problems.append(Problem(d.file, f"{exc} (the export's exclusion reason for {d.reviewer})", d.row, "notes"))
                continue
        key = (d.stage, d.reviewer, study)
        if key in seen and (seen[key].decision, out[key[:2]].get(study, Prior("", "", "", "")).reason) != (d.decision, reason):
            clashing.add(key)
            continue
        seen.setdefault(key, d)
        note = d.note if reason or not d.reason else "; ".join(x for x in (d.note, f"reason: {d.reason}") if x)
        out[key[:2]].setdefault(study, Prior(d.decision, reason, note, d.origin))
    warnings = [f"{file}: {len(rows)} row(s) match no study by DOI, PMID or title (rows {', '.join(map(str, rows[:8]))}"
                f"{' ...' if len(rows) > 8 else ''}); their decisions are not carried over: check that the review's "
                "sources include those records" for file, rows in unmatched.items()]
    for stage, who, study in sorted(clashing):
        out[(stage, who)].pop(study, None)
        warnings.append(f"{seen[(stage, who, study)].file}: {who}'s imported decisions disagree for study {study} "
                        f"(records that are one study here); none is carried over, decide it in the sheet")
    return dict(out), warnings, problems
