"""Characteristics of included studies: one row per study (not per report), human and EAE apart.

Pure functions over the included reports (studies.parquet rows joined with screening final.csv), the
extract stage's link table and its final.csv. A study is charted as an animal (EAE) study when its
extracted design is "animal EAE" or its population "EAE model"; a study not extracted yet is listed
apart, never guessed. Also builds the tidy `extraction.csv` and the extraction columns that
`included.csv` gains (one row per report, with its study's values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from pipeline.protocol import ExtractionForm
from pipeline.report import exports

ANIMAL_DESIGNS = ("animal EAE",)
ANIMAL_POPULATIONS = ("EAE model",)
HUMAN, ANIMAL, PENDING = "human", "animal", "pending"
WEB_ONLY = "Web page only: no journal, DOI, PubMed or register record (check it is not clinic marketing)"
SHOWN_FIELDS = ("study_design", "phase", "population", "cell_product", "origin", "route", "n_treated", "n_control",
                "comparator", "follow_up_months", "outcomes", "registration")


@dataclass(frozen=True)
class StudyRow:
    """One study as the characteristics tables show it."""

    study_id: str
    citation: str                       # "Harris 2024"
    title: str
    reports: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (label, url) over every report, deduplicated
    values: dict[str, str]              # form field -> value ("" = not reported / not extracted)
    flags: tuple[str, ...]
    example: bool
    status: str                         # complete | discrepancies | in progress | not started | not extracted
    group: str                          # human | animal | pending


def _first_author(authors: list[str] | None) -> str:
    if not authors:
        return "Anonymous"
    first = authors[0].strip()
    family = first.split(",")[0] if "," in first else first.split()[0] if " " in first and first.split()[-1].isupper() \
        else first.split()[-1]
    return family + (" et al." if len(authors) > 1 else "")


def study_of(included: pl.DataFrame, links: Mapping[str, str] | None) -> dict[str, str]:
    """Included report -> study; each report is its own study when the extract stage has not run."""
    reports = included["study_id"].to_list()
    return {r: (links or {}).get(r, r) for r in reports}


def group_of(values: Mapping[str, str], status: str) -> str:
    if status in ("not extracted", "not started"):
        return PENDING
    if values.get("study_design") in ANIMAL_DESIGNS or values.get("population") in ANIMAL_POPULATIONS:
        return ANIMAL
    return HUMAN


def rows(included: pl.DataFrame, links: Mapping[str, str] | None, extraction: pl.DataFrame | None,
         form: ExtractionForm) -> list[StudyRow]:
    """One StudyRow per study, ordered by first author, year and id."""
    mapping = study_of(included, links)
    by_report = {r["study_id"]: r for r in included.iter_rows(named=True)}
    extracted = {r["study_id"]: r for r in extraction.iter_rows(named=True)} if extraction is not None else {}
    names = [f.name for f in form.fields]
    out = []
    for study in sorted(set(mapping.values())):
        reports = sorted(r for r, s in mapping.items() if s == study)
        lead = by_report.get(study) or by_report[reports[0]]
        authors = next((by_report[r]["authors"] for r in reports if by_report[r].get("authors")), None)
        year = next((by_report[r]["year"] for r in reports if by_report[r].get("year")), None)
        found = extracted.get(study)
        values = {n: (found.get(n) or "") if found else "" for n in names}
        status = found["status"] if found else "not extracted"
        seen: dict[str, str] = {}
        flags: list[str] = []
        for rep in reports:
            row = by_report[rep]
            for label, url in exports.links(row).items():
                seen.setdefault(url, label)
            for label, key in (("Retracted", "retracted"), ("Erratum", "has_erratum"),
                               ("Expression of concern", "has_expression_of_concern")):
                if row.get(key) and label not in flags:
                    flags.append(label)
        bibliographic = any(by_report[rep].get(k) for rep in reports for k in ("doi", "pmid", "pmcid", "journal"))
        registered = any(by_report[rep].get("registry_ids") for rep in reports)
        if not bibliographic and not registered:
            flags.append(WEB_ONLY)
        example = bool(found["example"]) if found else all(bool(by_report[r].get("example")) for r in reports)
        out.append(StudyRow(
            study_id=study, citation=f"{_first_author(authors)} {year or 'n.d.'}",
            title=lead.get("title") or "(no title)", reports=tuple(reports),
            links=tuple((label, url) for url, label in seen.items()), values=values, flags=tuple(flags),
            example=example, status=status, group=group_of(values, status)))
    return sorted(out, key=lambda r: (r.citation.lower(), r.study_id))


def tidy(study_rows: list[StudyRow], form: ExtractionForm) -> pl.DataFrame:
    """extraction.csv: one row per study, one column per field, plus its reports, group and status."""
    names = [f.name for f in form.fields]
    data = [{"study_id": r.study_id, "citation": r.citation, "title": r.title, "reports": "; ".join(r.reports),
             "n_reports": len(r.reports), "group": r.group, "status": r.status, "example": r.example,
             **{n: r.values.get(n, "") for n in names}} for r in study_rows]
    schema = {"study_id": pl.Utf8, "citation": pl.Utf8, "title": pl.Utf8, "reports": pl.Utf8, "n_reports": pl.Int64,
              "group": pl.Utf8, "status": pl.Utf8, "example": pl.Boolean, **{n: pl.Utf8 for n in names}}
    return pl.DataFrame(data, schema=schema)


def with_extraction(included: pl.DataFrame, study_rows: list[StudyRow], form: ExtractionForm) -> pl.DataFrame:
    """The included reports with their study's id (`linked_study_id`) and extracted values."""
    names = [f.name for f in form.fields]
    table = pl.DataFrame(
        [{"study_id": rep, "linked_study_id": r.study_id, "extraction_status": r.status,
          **{n: r.values.get(n, "") for n in names}} for r in study_rows for rep in r.reports],
        schema={"study_id": pl.Utf8, "linked_study_id": pl.Utf8, "extraction_status": pl.Utf8,
                **{n: pl.Utf8 for n in names}})
    return included.join(table, on="study_id", how="left")
