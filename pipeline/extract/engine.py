"""The extract stage end to end: link reports into studies, refresh the sheets, settle the values.

Reads `studies.parquet` and `records.parquet` (dedup, import), `outputs/screening/final.csv` (the
reports included at full text) and the people's files under `outputs/extraction/`: one sheet per
reviewer named in `[extraction] reviewers`, `resolutions.csv` and `same_study.csv`. Writes the
refreshed sheets (only if nobody saved them meanwhile), `studies.csv` (report -> study and why),
`discrepancies.csv`, `final.csv` (one row per study, one column per field) and `summary.json`.
Every problem in every people's file is reported at once and nothing is written then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import polars as pl

from pipeline import hints
from pipeline.errors import ConcurrentChange, InputError, Problem, UserError
from pipeline.extract import compare, linking, sheets
from pipeline.extract.outputs import STUDIES_HEADER
from pipeline.extract.suggest import suggest
from pipeline.files import write_text_atomic
from pipeline.layout import Layout
from pipeline.progress import Progress
from pipeline.protocol import ExtractionForm, Protocol
from pipeline.screen import merge
from pipeline.screen.sheets import Table, read_table, render, write_if_unchanged
from pipeline.textio import write_csv_atomic

ATTEMPTS = 3
RESERVED = ("discrepancies", "resolutions", "final", "same_study", "studies")


@dataclass
class Inputs:
    reports: pl.DataFrame                  # studies.parquet: one row per report
    records: pl.DataFrame                  # records.parquet
    final: pl.DataFrame                    # screening final.csv
    sheets: dict[str, Table]
    resolutions: Table
    same_study: Table
    strays: list[Path] = field(default_factory=list)


@dataclass
class Result:
    linking: linking.Linking
    final: pl.DataFrame
    summary: dict
    discrepancies: tuple[list[str], list[list[str]]]
    sheets: dict[str, tuple[list[str], list[list[str]]]]
    warnings: list[str]


def read_inputs(layout: Layout, protocol: Protocol) -> Inputs:
    """Read the earlier stages' files and every people's file of the extract stage."""
    from pipeline.report.inputs import read_final  # the report reads the extract stage's files too

    needed = {layout.studies: "dedup", layout.records: "import", layout.final: "screen"}
    missing = [f"{p} (run `{hints.python(stage, layout)}` first)" for p, stage in needed.items() if not p.is_file()]
    if missing:
        raise UserError("extraction needs files the earlier stages write; missing: " + "; ".join(missing))
    clash = [n for n in protocol.extraction.reviewers if n.lower() in RESERVED]
    if clash:
        raise UserError(f"{protocol.path}: extraction reviewer name(s) {', '.join(clash)} are reserved; rename them")
    out = layout.extraction
    reviewers = protocol.extraction.reviewers
    strays = sorted(p for p in out.glob("*.csv") if p.stem not in RESERVED and p.stem not in reviewers)
    return Inputs(pl.read_parquet(layout.studies).sort("study_id"), pl.read_parquet(layout.records),
                  read_final(layout.final),
                  {who: read_table(layout.extraction_sheet(who)) for who in reviewers},
                  read_table(layout.extraction_resolutions), read_table(layout.same_study), strays)


def _shown(report: dict, reports: list[str], suggested: dict[str, str]) -> dict[str, str]:
    shown = merge.display(pl.DataFrame([report]).select(
        "study_id", "title", "authors", "year", "journal", "abstract", "pmid", "doi", "pmcid"))[report["study_id"]]
    shown.pop("abstract", None)
    shown["reports"] = "; ".join(reports)
    shown.update({f"suggested_{k}": v for k, v in suggested.items()})
    return shown


def compute(inputs: Inputs, protocol: Protocol) -> Result:
    """Link, suggest, validate every people's file, compare reviewers, build final.csv and the sheets."""
    form = protocol.extraction
    reports = inputs.reports
    report_of = merge.study_map(reports)
    included = inputs.final.filter(pl.col("full_text") == "include")["study_id"].to_list()
    example_reports = set(inputs.final.filter(pl.col("example"))["study_id"].to_list())
    problems: list[Problem] = []
    warnings = [f"{p} belongs to no extraction reviewer named in the protocol; it is left alone and not counted"
                for p in inputs.strays]

    decisions, found = linking.read_decisions(inputs.same_study, report_of)
    problems += found
    registrations = {r: ids or [] for r, ids in reports.select("study_id", "registry_ids").iter_rows()}
    linked = linking.link(included, registrations, decisions)
    study_of_key = {key: linked.study_of[rep] for key, rep in report_of.items() if rep in linked.study_of}
    flags = {key: f"report {rep} is not included at full text; not counted" for key, rep in report_of.items()
             if rep not in linked.study_of}

    by_id = {r["study_id"]: r for r in reports.iter_rows(named=True)}
    record_rows = {r["record_id"]: r for r in inputs.records.iter_rows(named=True)}
    shown: dict[str, dict[str, str]] = {}
    for study in linked.studies:
        members = [m for rep in linked.reports(study) for m in (by_id[rep]["member_ids"] or [rep])]
        suggested = suggest(form, [record_rows[m] for m in members if m in record_rows])
        shown[study] = _shown(by_id[study], linked.reports(study), suggested)

    entries: list[sheets.Entry] = []
    for who, table in inputs.sheets.items():
        made, found = sheets.read_entries(table, who, form, study_of_key, flags)
        entries += made
        problems += found
    resolved, found = compare.read_resolutions(inputs.resolutions, form, study_of_key)
    problems += found
    if problems:
        raise InputError(problems)

    made_by = compare.by_reviewer(entries, form)
    results = {s: compare.outcomes(s, form.reviewers, made_by.get(s, {}), form, resolved) for s in linked.studies}
    examples = set(protocol.example_reviewers)
    final = final_table(linked, results, made_by, form, examples, example_reports)
    titles = {s: shown[s]["title"] for s in shown}
    out_sheets = {}
    if form.fields:
        for who, table in inputs.sheets.items():
            if linked.studies or table.exists:
                out_sheets[who] = sheets.regenerate(table, form, study_of_key, shown, linked.studies, flags)
    summary = build_summary(form.reviewers, linked, results, made_by, examples)
    return Result(linked, final, summary, compare.discrepancy_rows(results, form.reviewers, titles), out_sheets,
                  warnings)


def study_state(outcomes: dict[str, compare.FieldOutcome], extracted: bool) -> str:
    states = {o.state for o in outcomes.values()}
    if "pending" in states or not outcomes:
        return "in progress" if extracted else "not started"
    if "discrepancy" in states:
        return "discrepancies"
    return "complete"


Results = dict[str, dict[str, compare.FieldOutcome]]   # study -> field -> outcome
MadeBy = dict[str, dict[str, dict[str, str]]]           # study -> reviewer -> field -> value


def final_table(linked: linking.Linking, results: Results, made_by: MadeBy, form: ExtractionForm,
                examples: set[str], example_reports: set[str]) -> pl.DataFrame:
    """final.csv: one row per study; the settled value of each field (empty while pending or disputed)."""
    rows = []
    for study in linked.studies:
        outcomes = results[study]
        extracted_by = sorted(made_by.get(study, {}))
        deciders = set(extracted_by) | {o.resolution.resolved_by for o in outcomes.values() if o.resolution}
        reports = linked.reports(study)
        rows.append({
            "study_id": study, "reports": "; ".join(reports), "n_reports": len(reports),
            "status": study_state(outcomes, bool(extracted_by)), "extracted_by": "; ".join(extracted_by),
            "example": (bool(deciders) and deciders <= examples) or (not deciders and set(reports) <= example_reports),
            **{f.name: outcomes[f.name].value for f in form.fields},
        })
    schema = {"study_id": pl.Utf8, "reports": pl.Utf8, "n_reports": pl.Int64, "status": pl.Utf8,
              "extracted_by": pl.Utf8, "example": pl.Boolean, **{f.name: pl.Utf8 for f in form.fields}}
    return pl.DataFrame(rows, schema=schema)


def build_summary(reviewers: tuple[str, ...], linked: linking.Linking, results: Results, made_by: MadeBy,
                  examples: set[str]) -> dict[str, object]:
    states = [study_state(results[s], s in made_by) for s in linked.studies]
    fields = [o for s in linked.studies for o in results[s].values()]
    return {
        "studies": len(linked.studies), "reports": len(linked.study_of),
        "links": {"person": sum(1 for ln in linked.links if ln.how == "person"),
                  "registration": sum(1 for ln in linked.links if ln.how.startswith("registration"))},
        "complete": states.count("complete"), "discrepancies": states.count("discrepancies"),
        "in_progress": states.count("in progress"), "not_started": states.count("not started"),
        "fields": {"open": sum(o.state == "discrepancy" for o in fields),
                   "resolved": sum(o.state == "resolved" for o in fields)},
        "reviewers": {who: {"extracted": sum(1 for s in linked.studies if who in made_by.get(s, {})),
                            "assigned": len(linked.studies), "example": who in examples} for who in reviewers},
    }


def _links_table(linked: linking.Linking) -> list[list[str]]:
    how: dict[str, str] = {}
    for ln in linked.links:
        how.setdefault(ln.b, f"{ln.how} (with {ln.a})")
    return [[rep, study, how.get(rep, "")] for rep, study in sorted(linked.study_of.items())]


def write(layout: Layout, inputs: Inputs, result: Result) -> list[Path]:
    changed: list[Path] = []
    for who, (header, rows) in result.sheets.items():
        table = inputs.sheets[who]
        if write_if_unchanged(table.path, render(header, rows, table.delimiter), table.fingerprint):
            changed.append(table.path)
    for path, table, header in ((layout.extraction_resolutions, inputs.resolutions, compare.RESOLUTION_HEADER),
                                (layout.same_study, inputs.same_study, linking.LINK_HEADER)):
        if not table.exists and write_if_unchanged(path, render(header, []), ""):
            changed.append(path)
    final = result.final.with_columns(
        pl.when(pl.col("example")).then(pl.lit("true")).otherwise(pl.lit("false")).alias("example"))
    generated: list[tuple[Path, list[str], list]] = [
        (layout.study_links, STUDIES_HEADER, _links_table(result.linking)),
        (layout.discrepancies, result.discrepancies[0], result.discrepancies[1]),
        (layout.extraction_final, final.columns, final.rows()),
    ]
    for path, header, rows in generated:
        if write_csv_atomic(path, header, rows):
            changed.append(path)
    summary = layout.extraction_summary
    if write_text_atomic(summary, json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n"):
        changed.append(summary)
    return changed


@dataclass
class ExtractResult(Result):
    """What `run` computed and which files it changed."""

    changed: list[Path] = field(default_factory=list)
    form: bool = True                      # the protocol has an [extraction] form

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        s, where = self.summary, layout.relative(layout.extraction)
        if not self.form:
            return (f"{s['studies']} studies from {s['reports']} included reports; the protocol has no "
                    f"[extraction] form, so no sheets; wrote {where}/")
        return (f"{s['studies']} studies from {s['reports']} included reports "
                f"({s['links']['registration']} linked by registration, {s['links']['person']} by people); "
                f"{s['complete']} extracted, {s['discrepancies']} with discrepancies "
                f"({s['fields']['open']} fields open), {s['in_progress'] + s['not_started']} pending; "
                f"{len(self.changed)} files updated under {where}/")


def run(layout: Layout, protocol: Protocol, *, progress: Progress | None = None) -> ExtractResult:
    """Read, compute and write; start over when a person saves a sheet in the meantime.

    Extraction takes well under a second, so `progress` is accepted for the common signature only.
    """
    for _ in range(ATTEMPTS):
        inputs = read_inputs(layout, protocol)
        result = compute(inputs, protocol)
        try:
            changed = write(layout, inputs, result)
        except ConcurrentChange:
            continue
        return ExtractResult(**{f.name: getattr(result, f.name) for f in fields(result)}, changed=changed,
                             form=bool(protocol.extraction.fields))
    raise UserError(f"sheets under {layout.extraction} kept changing while extraction ran; "
                        f"save and close them, then run `{hints.python('extract', layout)}` again")
