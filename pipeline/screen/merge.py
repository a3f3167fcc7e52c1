"""Carry reviewer sheets across re-runs: refresh what the pipeline owns, append new studies.

A sheet row is keyed by the record key it was written for. After a later dedup the key may belong
to another study (it is in that study's `member_ids`): the row stays, its `study_id` and `status`
cells say where it went. A key no study has any more is *orphaned*: the row stays with its last
values, flagged. Rows are never deleted or reordered, decisions, reasons, notes and any column a
reviewer added are never touched; new studies are appended at the end in study_id order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from pipeline.links import doi_url, pmc_url, pubmed_url
from pipeline.screen.decisions import KEY_COLUMNS
from pipeline.screen.sheets import Table, column

REVIEWER_COLUMNS = ("decision", "reason", "notes")
SHEET_COLUMNS: dict[str, tuple[str, ...]] = {
    "title_abstract": ("record_id", "title", "decision", "reason", "notes", "authors", "year", "journal",
                       "abstract", "pubmed_url", "doi_url", "study_id", "status"),
    "full_text": ("record_id", "title", "decision", "reason", "notes", "authors", "year", "journal",
                  "pubmed_url", "doi_url", "pmc_url", "study_id", "status"),
}
# Cells the pipeline rewrites from the studies table on every run.
PIPELINE_COLUMNS = ("title", "authors", "year", "journal", "abstract", "pubmed_url", "doi_url", "pmc_url",
                    "study_id", "status")


def study_map(studies: pl.DataFrame) -> dict[str, str]:
    """Every key a sheet may use -> its study: each study_id and each member record_id."""
    out: dict[str, str] = {}
    for study_id, members in studies.select("study_id", "member_ids").iter_rows():
        for member in members or []:
            out[member] = study_id
    for study_id in studies["study_id"]:
        out[study_id] = study_id
    return out


def display(studies: pl.DataFrame) -> dict[str, dict[str, str]]:
    """Pipeline-owned cell values per study_id (links built from identifiers)."""
    out: dict[str, dict[str, str]] = {}
    cols = ["study_id", "title", "authors", "year", "journal", "abstract", "pmid", "doi", "pmcid"]
    for s in studies.select(cols).iter_rows(named=True):
        out[s["study_id"]] = {
            "title": s["title"] or "",
            "authors": "; ".join(s["authors"] or []),
            "year": "" if s["year"] is None else str(s["year"]),
            "journal": s["journal"] or "",
            "abstract": s["abstract"] or "",
            "pubmed_url": pubmed_url(s["pmid"]) if s["pmid"] else "",
            "doi_url": doi_url(s["doi"]) if s["doi"] else "",
            "pmc_url": pmc_url(s["pmcid"]) if s["pmcid"] else "",
            "study_id": s["study_id"],
        }
    return out


def regenerate(table: Table, stage: str, study_of: Mapping[str, str], shown: Mapping[str, dict[str, str]],
               entering: Iterable[str], flags: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """The sheet's new header and rows.

    `entering`: the study_ids screened at this stage (each gets a row unless one maps to it);
    `flags`: a status note per study (e.g. ineligible, not included at title/abstract).
    Keeps the reviewer's column order and extra columns; missing standard columns go at the end.
    """
    header = list(table.header)
    key_col = column(table, *KEY_COLUMNS) or "record_id"
    if not header:
        header = list(SHEET_COLUMNS[stage])
    elif key_col not in header:
        header.insert(0, key_col)
    names = {name: column(table, name) or name for name in SHEET_COLUMNS[stage]}
    names["record_id"] = key_col
    for name in SHEET_COLUMNS[stage]:
        if names[name] not in header:
            header.append(names[name])
    owned = {names[c]: c for c in PIPELINE_COLUMNS if c in names and names[c] != key_col}

    rows: list[list[str]] = []
    covered: set[str] = set()
    for row in table.rows:
        values = dict(row)
        key = values.get(key_col, "").strip()
        study = study_of.get(key)
        if study is not None:
            covered.add(study)
            status = [f"merged into {study}"] if key != study else []
            status += [flags[study]] if study in flags else []
            for col, name in owned.items():
                values[col] = shown[study].get(name, "") if name != "status" else "; ".join(status)
        elif key:
            values[names["status"]] = "orphaned: no study has this record any more; its decision is not counted"
        rows.append([values.get(col, "") for col in header])
    for study in sorted(set(entering) - covered):
        values = {key_col: study}
        for col, name in owned.items():
            values[col] = shown[study].get(name, "") if name != "status" else flags.get(study, "")
        rows.append([values.get(col, "") for col in header])
    return header, rows
