"""ClinicalTrials.gov API v2 study JSON -> records, registration details and links (pure functions).

A study is `{"protocolSection": {...modules}, "derivedSection": {...}, "hasResults": bool}`. Each
becomes one record (`records.RECORD_SCHEMA`: NCT id as its id, brief title, brief summary as the
abstract, conditions and interventions as keywords, every registration number it carries), one row
of registration details (`records.REGISTRATION_SCHEMA`: official title, phases, design, enrolment,
status, dates, whether results are posted, the publications it lists) and one link per listed
result publication (`records.LINK_SCHEMA`, relation "registration_lists"), which dedup uses to tie
publications to the registered study without calling them duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from pipeline.imports.json_items import dig, record_frame, unique_records
from pipeline.imports.text import clean, clean_all
from pipeline.records import (
    LINK_SCHEMA,
    REGISTRATION_SCHEMA,
    REGISTRATION_TYPE,
    find_registry_ids,
    normalise_doi,
)

STUDY_URL = "https://clinicaltrials.gov/study/{}"
NCT = re.compile(r"^NCT\d{8}$")
# Publications a registration lists as reports of itself; BACKGROUND references are other work.
REPORT_REFERENCE_TYPES = ("RESULT", "DERIVED")
_MARKDOWN = re.compile(r"(\*\*|__|\\(?=[\\`*_{}\[\]()#+\-.!]))")


def modules(study: dict[str, Any]) -> dict[str, Any]:
    section = study.get("protocolSection")
    return section if isinstance(section, dict) else {}


def nct_id(study: dict[str, Any]) -> str | None:
    """The study's NCT number, upper-cased, or None when it has none that looks right."""
    value = clean(dig(study, "protocolSection", "identificationModule", "nctId"))
    return value.upper() if value and NCT.match(value.upper()) else None


def record(study: dict[str, Any], source: str, source_file: str) -> dict[str, Any]:
    """One RECORD_SCHEMA row for a study."""
    nct = nct_id(study)
    if nct is None:
        raise ValueError("study has no NCT number in protocolSection.identificationModule.nctId")
    p = modules(study)
    ident, cond = p.get("identificationModule") or {}, p.get("conditionsModule") or {}
    summary = _markdown_text(dig(p, "descriptionModule", "briefSummary"))
    title = clean(ident.get("briefTitle")) or clean(ident.get("officialTitle"))
    interventions: list[object] = [clean(i.get("name")) for i in _dicts(dig(p, "armsInterventionsModule", "interventions"))]
    return {
        "record_id": f"{source}:{nct}", "source": source, "source_file": source_file, "source_record_id": nct,
        "pmid": None, "pmcid": None, "doi": None, "title": title, "abstract": summary,
        "authors": [], "year": _year(dig(p, "statusModule", "startDateStruct", "date"))
        or _year(dig(p, "statusModule", "studyFirstPostDateStruct", "date")),
        "journal": "ClinicalTrials.gov", "journal_abbrev": None, "volume": None, "issue": None, "pages": None,
        "publication_types": [REGISTRATION_TYPE],
        "mesh": clean_all([m.get("term") for m in _dicts(dig(study, "derivedSection", "conditionBrowseModule", "meshes"))]),
        "keywords": clean_all([*_strings(cond.get("conditions")), *_strings(cond.get("keywords")), *interventions]),
        "language": [], "registry_ids": registry_ids(study), "url": STUDY_URL.format(nct),
        "retracted": False, "has_erratum": False, "has_expression_of_concern": False,
    }


def registry_ids(study: dict[str, Any]) -> list[str]:
    """The NCT number first, then aliases and other registers' numbers among the secondary ids."""
    ident = dig(study, "protocolSection", "identificationModule") or {}
    found = [nct_id(study) or ""]
    found += [str(a).upper() for a in _strings(ident.get("nctIdAliases")) if NCT.match(str(a).upper())]
    for info in _dicts(ident.get("secondaryIdInfos")):
        value = clean(info.get("id")) or ""
        if info.get("type") == "EUDRACT_NUMBER" and re.fullmatch(r"\d{4}-\d{6}-\d{2}", value):
            value = f"EUCTR{value}"
        found += find_registry_ids(value)
    return list(dict.fromkeys(f for f in found if f))


def registration(study: dict[str, Any], record_id: str) -> dict[str, Any]:
    """One REGISTRATION_SCHEMA row: what a register says about the study beyond a citation."""
    p = modules(study)
    ident, status, design = p.get("identificationModule") or {}, p.get("statusModule") or {}, p.get("designModule") or {}
    info = design.get("designInfo") or {}
    enrolment = design.get("enrollmentInfo") or {}
    references = list(_dicts(dig(p, "referencesModule", "references")))
    count = enrolment.get("count")
    return {
        "record_id": record_id, "nct_id": nct_id(study),
        "brief_title": clean(ident.get("briefTitle")), "official_title": clean(ident.get("officialTitle")),
        "acronym": clean(ident.get("acronym")),
        "conditions": clean_all(_strings(dig(p, "conditionsModule", "conditions"))),
        "interventions": clean_all([*map(_intervention, _dicts(dig(p, "armsInterventionsModule", "interventions")))]),
        "study_type": clean(design.get("studyType")), "phases": clean_all(_strings(design.get("phases"))),
        "design": _design(info), "enrolment": int(count) if isinstance(count, (int, float)) and count >= 0 else None,
        "enrolment_type": clean(enrolment.get("type")),
        "overall_status": clean(status.get("overallStatus")), "why_stopped": clean(status.get("whyStopped")),
        "start_date": clean(dig(status, "startDateStruct", "date")),
        "primary_completion_date": clean(dig(status, "primaryCompletionDateStruct", "date")),
        "completion_date": clean(dig(status, "completionDateStruct", "date")),
        "first_posted": clean(dig(status, "studyFirstPostDateStruct", "date")),
        "last_update_posted": clean(dig(status, "lastUpdatePostDateStruct", "date")),
        "has_results": bool(study.get("hasResults")),
        "reference_pmids": clean_all([_pmid(r.get("pmid")) for r in references]),
        "reference_citations": clean_all([r.get("citation") for r in references]),
    }


def links(study: dict[str, Any], record_id: str) -> list[dict[str, Any]]:
    """LINK_SCHEMA rows: the publications this registration lists as its results (by PMID or DOI)."""
    out = []
    for ref in _dicts(dig(study, "protocolSection", "referencesModule", "references")):
        if ref.get("type") not in REPORT_REFERENCE_TYPES:
            continue
        pmid = _pmid(ref.get("pmid"))
        doi = normalise_doi(_doi_in(ref.get("citation")))
        for id_type, value in (("pmid", pmid), ("doi", doi)):
            if value:
                out.append({"record_id": record_id, "relation": "registration_lists", "id_type": id_type, "id": value})
    return out


def read_studies(studies: Iterable[Any], source: str, source_file: str
                 ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Records, registrations and links of a page of studies; a study without an NCT id is an InputError.

    The same NCT id twice (pages of a live search can overlap when the register changes mid-run)
    keeps the first."""
    rows, regs, link_rows = [], [], []
    for study, row in unique_records(studies, "study", source_file, lambda s: record(s, source, source_file)):
        rows.append(row)
        regs.append(registration(study, row["record_id"]))
        link_rows += links(study, row["record_id"])
    return (record_frame(rows), pl.DataFrame(regs, schema=REGISTRATION_SCHEMA),
            pl.DataFrame(link_rows, schema=LINK_SCHEMA))


# --- helpers -------------------------------------------------------------------------------------

def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _strings(value: Any) -> list[object]:
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) else []


def _year(value: Any) -> int | None:
    match = re.match(r"^(\d{4})", str(value or ""))
    return int(match.group(1)) if match else None


def _pmid(value: Any) -> str | None:
    text = clean(value)
    return text.lstrip("0") if text and text.isdigit() and text.strip("0") else None


def _doi_in(text: Any) -> str | None:
    match = re.search(r"\b(10\.\d{4,9}/[^\s\"<>]+)", str(text or ""))
    return match.group(1).rstrip(".,;)") if match else None


def _intervention(value: dict[str, Any]) -> str | None:
    name = clean(value.get("name"))
    kind = clean(value.get("type"))
    return f"{kind.title()}: {name}" if name and kind else name


def _design(info: dict[str, Any]) -> str | None:
    """e.g. 'RANDOMIZED; CROSSOVER; TREATMENT; masking DOUBLE' or 'COHORT; PROSPECTIVE'."""
    parts = [clean(info.get(k)) for k in ("allocation", "interventionModel", "observationalModel",
                                           "timePerspective", "primaryPurpose")]
    masking = clean(dig(info, "maskingInfo", "masking"))
    if masking:
        parts.append(f"masking {masking}")
    text = "; ".join(p for p in parts if p)
    return text or None


def _markdown_text(value: Any) -> str | None:
    """The register's CommonMark rich text as plain text (emphasis markers and escapes dropped)."""
    text = clean(value)
    return clean(_MARKDOWN.sub("", text)) if text else None
