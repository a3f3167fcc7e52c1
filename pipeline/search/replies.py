"""E-utilities replies -> what the search needs; anything unusable raises `BadReply` (retried).

esearch and einfo replies are read by Bio.Entrez (`Entrez.read`, against the DTDs it ships).
efetch replies are read by the same PubMed XML reader that imports them later
(`pipeline.imports.pubmed_xml`), so a reply the search accepts is one the import can read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from Bio import Entrez

from pipeline.errors import BadReply, InputError
from pipeline.imports import pubmed_xml

REPLY = "efetch reply"


@dataclass(frozen=True)
class SearchResult:
    """What esearch says about a query (within one date range)."""

    count: int
    ids: list[str]
    translation: str
    webenv: str | None = None
    query_key: str | None = None
    warnings: tuple[str, ...] = ()


def parse_esearch(data: bytes) -> SearchResult:
    """An esearch reply, read by Bio.Entrez; PubMed's ErrorList/WarningList become warnings."""
    record = _entrez_read(data)
    if "Count" not in record:
        raise BadReply("esearch reply has no <Count>")
    warnings = []
    for group in ("ErrorList", "WarningList"):
        for kind, values in (record.get(group) or {}).items():
            warnings += [f"{kind}: {v}" for v in values]
    return SearchResult(
        count=int(record["Count"]), ids=[str(i) for i in record.get("IdList", [])],
        translation=str(record.get("QueryTranslation", "")),
        webenv=record.get("WebEnv"), query_key=record.get("QueryKey"), warnings=tuple(warnings),
    )


def parse_einfo(data: bytes) -> dict[str, str]:
    """Build, record count and last update of a database, from an einfo reply with db=..."""
    record = _entrez_read(data)
    info = record.get("DbInfo")
    if isinstance(info, list):
        info = info[0] if info else None
    if not info:
        raise BadReply("einfo reply has no <DbInfo>")
    return {"build": str(info.get("DbBuild", "")), "count": str(info.get("Count", "")),
            "last_update": str(info.get("LastUpdate", ""))}


def efetch_pmids(data: bytes) -> list[str]:
    """PMIDs of the articles in a PubMed efetch XML reply (PubmedArticle and PubmedBookArticle), in order."""
    try:
        return [pubmed_xml.article_pmid(article, REPLY) for article in pubmed_xml.iter_articles(data, REPLY)]
    except InputError as exc:
        raise BadReply("; ".join(map(str, exc.problems))) from None


def _entrez_read(data: bytes) -> Any:
    try:
        return Entrez.read(io.BytesIO(data))
    except RuntimeError as exc:                    # Bio.Entrez raises this for an <ERROR> element
        raise BadReply(f"<ERROR> document: {exc}") from None
    except ValueError as exc:                      # NotXMLError, CorruptedXMLError, ValidationError, no DTD
        raise BadReply(f"reply is not usable XML ({exc})") from None
