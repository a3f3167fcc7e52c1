"""What the page shows of a study: every field of its canonical record, its links and its flags.

Read from `studies.parquet` (dedup's output). A sheet row whose study is not there (the studies
table was not built, or the row is orphaned) shows the cells of the sheet itself. Links go only
through `pipeline.links` (http(s) and doi only); record text stays text, for the page to escape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.links import identifier_links, outbound, register_url
from pipeline.screen.merge import study_map

FLAG_LABELS = {"retracted": "Retracted", "has_erratum": "Erratum published",
               "has_expression_of_concern": "Expression of concern"}


@dataclass(frozen=True)
class Study:
    """One study as the page shows it (all strings, lists of strings, and (label, url) links)."""

    study_id: str
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: str = ""
    journal: str = ""
    keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    registry_ids: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()
    records: int = 1
    sources: tuple[str, ...] = field(default=())


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value if v) if isinstance(value, list | tuple) else ()


def from_row(s: Mapping[str, object]) -> Study:
    """A studies.parquet row (or any mapping with the records columns) as a `Study`."""
    links = list(identifier_links(s.get("pmid"), s.get("doi"), s.get("pmcid")).items())  # type: ignore[arg-type]
    registry = _strings(s.get("registry_ids"))
    for ident in registry:
        url = register_url(ident)
        if url:
            links.append((ident, url))
    own = outbound(s.get("url"))
    if own and own not in (u for _, u in links):
        links.append(("Record page", own))
    year = s.get("year")
    return Study(
        study_id=str(s.get("study_id") or s.get("record_id") or ""),
        title=str(s.get("title") or ""), abstract=str(s.get("abstract") or ""),
        authors=_strings(s.get("authors")), year="" if year is None else str(year),
        journal=str(s.get("journal") or ""), keywords=_strings(s.get("keywords")), mesh=_strings(s.get("mesh")),
        publication_types=_strings(s.get("publication_types")), registry_ids=registry, links=tuple(links),
        flags=tuple(label for col, label in FLAG_LABELS.items() if s.get(col)),
        records=int(s.get("n_members") or 1),  # type: ignore[call-overload]
        sources=_strings(s.get("sources")),
    )


def from_sheet(key: str, row: Mapping[str, str]) -> Study:
    """A sheet row as a `Study`, when the studies table does not have it (its own cells)."""
    get = {k.lower().strip(): v for k, v in row.items()}.get
    links = [(label, url) for label, col in (("PubMed", "pubmed_url"), ("DOI", "doi_url"), ("PMC", "pmc_url"))
             if (url := outbound(get(col, "")))]
    authors = tuple(a.strip() for a in (get("authors", "") or "").split(";") if a.strip())
    return Study(study_id=get("study_id", "") or key, title=get("title", "") or "", abstract=get("abstract", "") or "",
                 authors=authors, year=get("year", "") or "", journal=get("journal", "") or "", links=tuple(links))


class Catalogue:
    """Every study of the review by any key a sheet may use (study_id or a merged member's record_id)."""

    def __init__(self, studies: pl.DataFrame | None):
        self.by_id: dict[str, Study] = {}
        self.study_of: dict[str, str] = {}
        if studies is not None and studies.height:
            self.study_of = study_map(studies)
            for row in studies.iter_rows(named=True):
                study = from_row(row)
                self.by_id[study.study_id] = study

    @classmethod
    def read(cls, path: Path) -> Catalogue:
        return cls(pl.read_parquet(path) if path.exists() else None)

    def get(self, key: str, row: Mapping[str, str] | None = None) -> Study:
        """The study a sheet key belongs to, else the sheet row's own cells."""
        study = self.by_id.get(self.study_of.get(key, ""))
        if study is not None:
            return study
        return from_sheet(key, row or {})
