"""Europe PMC REST results (resultType=core, JSON) -> records and links (pure functions).

Each result becomes one record (`records.RECORD_SCHEMA`) keyed `<source>:<EPMC source>:<id>`
(`europepmc:MED:12345`, `europepmc:PPR:PPR67890`), keeping PMID, PMCID and DOI so dedup joins it to
the same work from PubMed or elsewhere. Preprints (Europe PMC source `PPR`) are marked with the
publication type "Preprint"; a preprint's "Preprint of" relation becomes a `preprint_of` link
(`records.LINK_SCHEMA`) to the published version, which dedup treats as the same report.
Europe PMC's own retraction, erratum and expression-of-concern relations set the record's flags.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from pipeline.imports.json_items import dig, record_frame, unique_records
from pipeline.imports.text import clean, clean_all, plain
from pipeline.records import LINK_SCHEMA, PREPRINT_TYPE, find_registry_ids, normalise_doi, normalise_pmcid

PREPRINT_SOURCE = "PPR"
ARTICLE_URL = "https://europepmc.org/article/{}/{}"
_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
# commentCorrection types (as MEDLINE's CommentsCorrections) that flag the record itself.
RETRACTED = ("retraction in", "retracted and republished in")
ERRATUM = ("erratum in",)
CONCERN = ("expression of concern in",)


def result_id(result: dict[str, Any]) -> tuple[str, str]:
    """(Europe PMC source, id) of a result, e.g. ("MED", "12345"); ValueError when either is missing."""
    src, ident = clean(result.get("source")), clean(result.get("id"))
    if not src or not ident:
        raise ValueError("result has no 'source' and 'id'")
    return src.upper(), ident


def record(result: dict[str, Any], source: str, source_file: str) -> dict[str, Any]:
    """One RECORD_SCHEMA row for a Europe PMC result."""
    src, ident = result_id(result)
    journal_info = _dict(result.get("journalInfo"))
    journal = _dict(journal_info.get("journal"))
    book = _dict(result.get("bookOrReportDetails"))
    title = plain(result.get("title"))
    abstract = _abstract(result.get("abstractText"))
    types = clean_all(_list(dig(result, "pubTypeList", "pubType")))
    if src == PREPRINT_SOURCE and PREPRINT_TYPE not in types:
        types.append(PREPRINT_TYPE)
    relations = {str(c.get("type", "")).strip().lower() for c in corrections(result)}
    pmid = clean(result.get("pmid")) or (ident if src == "MED" and ident.isdigit() else None)
    pmcid = normalise_pmcid(clean(result.get("pmcid")) or (ident if src == "PMC" else None))
    return {
        "record_id": f"{source}:{src}:{ident}", "source": source, "source_file": source_file,
        "source_record_id": f"{src}:{ident}", "pmid": pmid if pmid and pmid.isdigit() else None, "pmcid": pmcid,
        "doi": normalise_doi(clean(result.get("doi"))), "title": title, "abstract": abstract,
        "authors": authors(result), "year": _int(result.get("pubYear")) or _int(journal_info.get("yearOfPublication")),
        "journal": clean(journal.get("title")) or clean(book.get("publisher")),
        "journal_abbrev": clean(journal.get("isoabbreviation")) or clean(journal.get("medlineAbbreviation")),
        "volume": clean(journal_info.get("volume")), "issue": clean(journal_info.get("issue")),
        "pages": clean(result.get("pageInfo")), "publication_types": types,
        "mesh": clean_all([h.get("descriptorName") for h in _dicts(dig(result, "meshHeadingList", "meshHeading"))]),
        "keywords": clean_all(_list(dig(result, "keywordList", "keyword"))),
        "language": clean_all(_list(result.get("language"))),
        "registry_ids": find_registry_ids(title, abstract),
        "url": ARTICLE_URL.format(src, ident),
        "retracted": "Retracted Publication" in types or bool(relations & set(RETRACTED)),
        "has_erratum": bool(relations & set(ERRATUM)),
        "has_expression_of_concern": bool(relations & set(CONCERN)),
    }


def is_preprint(result: dict[str, Any]) -> bool:
    return str(result.get("source", "")).upper() == PREPRINT_SOURCE or PREPRINT_TYPE in _list(dig(result, "pubTypeList", "pubType"))


def corrections(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The result's commentCorrection entries (one object or a list)."""
    return list(_dicts(dig(result, "commentCorrectionList", "commentCorrection")))


def links(result: dict[str, Any], record_id: str) -> list[dict[str, Any]]:
    """LINK_SCHEMA rows: a preprint's published version(s), by PMID or PMCID."""
    if not is_preprint(result):
        return []
    out = []
    for c in corrections(result):
        if str(c.get("type", "")).strip().lower() != "preprint of":
            continue
        target, src = clean(c.get("id")), str(c.get("source", "")).upper()
        if src == "MED" and target and target.isdigit():
            out.append({"record_id": record_id, "relation": "preprint_of", "id_type": "pmid", "id": target})
        elif src == "PMC" and (pmcid := normalise_pmcid(target)):
            out.append({"record_id": record_id, "relation": "preprint_of", "id_type": "pmcid", "id": pmcid})
    return out


def authors(result: dict[str, Any]) -> list[str]:
    """'Family Initials' from authorList, else the authorString split on commas."""
    names: list[object] = []
    for a in _dicts(dig(result, "authorList", "author")):
        last, initials = clean(a.get("lastName")), clean(a.get("initials"))
        name = f"{last} {initials}" if last and initials else last or clean(a.get("fullName")) or clean(a.get("collectiveName"))
        if name:
            names.append(name)
    if names:
        return clean_all(names)
    text = clean(result.get("authorString")) or ""
    return clean_all([*(n.strip().rstrip(".") for n in text.split(","))])


def read_results(results: Iterable[Any], source: str, source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records and links of a page of results; the same result twice keeps the first."""
    rows, link_rows = [], []
    for result, row in unique_records(results, "result", source_file, lambda r: record(r, source, source_file)):
        rows.append(row)
        link_rows += links(result, row["record_id"])
    return record_frame(rows), pl.DataFrame(link_rows, schema=LINK_SCHEMA)


# --- helpers -------------------------------------------------------------------------------------

def _list(value: Any) -> list[Any]:
    """Europe PMC gives one value or a list of values; always a list of scalars."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, (str, int, float))]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, dict)]


def _int(value: Any) -> int | None:
    match = re.match(r"^\s*(\d{4})", str(value or ""))
    return int(match.group(1)) if match else None


def _abstract(value: Any) -> str | None:
    """abstractText's HTML as text; section headings (<h4>Background</h4>) become 'Background: '."""
    text = clean(value)
    if not text:
        return None
    return plain(_HEADING.sub(lambda m: f" {m.group(1).strip()}: ", text))
