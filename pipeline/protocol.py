"""The review protocol (`queries/review.toml`): written by people, read by every stage.

It names the review, its reviewers, eligibility criteria, the allowed full-text exclusion reasons,
automation rules, each source (a live PubMed, ClinicalTrials.gov or Europe PMC search, or an import
file) with its PRISMA kind, and people's answers to retractions flagged on included studies.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError, Problem

PrismaKind = Literal["database", "register", "other"]
PRISMA_KINDS = ("database", "register", "other")
IMPORT_FORMATS = ("ris", "medline", "pubmed-csv", "scopus-csv", "csv", "benchmark-csv")
STAGES = ("title_abstract", "full_text")


@dataclass(frozen=True)
class PubMedSearch:
    """A live PubMed search, run by `make search` and frozen as a dated snapshot."""

    name: str
    query: str
    database: str = "PubMed"
    platform: str = "NCBI E-utilities (Biopython Bio.Entrez)"
    kind: PrismaKind = "database"
    mindate: str | None = None        # "YYYY", "YYYY/MM" or "YYYY/MM/DD"
    maxdate: str | None = None
    datetype: str = "pdat"            # publication date
    notes: str = ""


@dataclass(frozen=True)
class CtgovSearch:
    """A live ClinicalTrials.gov search (API v2), run by `make search` and frozen as a dated snapshot.

    `condition`, `intervention` and `term` are sent as query.cond, query.intr and query.term (Essie
    syntax); `filters` as filter.<key> (e.g. overallStatus = "COMPLETED,TERMINATED")."""

    name: str
    condition: str = ""
    intervention: str = ""
    term: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    database: str = "ClinicalTrials.gov"
    platform: str = "ClinicalTrials.gov API v2"
    kind: PrismaKind = "register"
    notes: str = ""

    @property
    def query_params(self) -> dict[str, str]:
        """The query as sent: query.* and filter.* parameters, whitespace collapsed."""
        params = {f"query.{k}": " ".join(v.split()) for k, v in
                  (("cond", self.condition), ("intr", self.intervention), ("term", self.term)) if v.strip()}
        params.update({f"filter.{k}": " ".join(str(v).split()) for k, v in sorted(self.filters.items())})
        return params


@dataclass(frozen=True)
class EuropePmcSearch:
    """A live Europe PMC search (REST API, resultType=core), run by `make search`; includes preprints."""

    name: str
    query: str
    database: str = "Europe PMC"
    platform: str = "Europe PMC REST API (resultType=core)"
    kind: PrismaKind = "database"
    synonym: bool = False             # Europe PMC's MeSH/UniProt synonym expansion
    notes: str = ""


@dataclass(frozen=True)
class ImportFile:
    """An export from another database or register, read from `path` by the importer for `format`."""

    name: str
    path: Path
    format: str
    database: str
    kind: PrismaKind = "database"
    columns: dict[str, str] = field(default_factory=dict)  # generic CSV: record field -> CSV column
    encoding: str | None = None                              # None: UTF-8, else as given (e.g. cp1252)
    searched: str = ""                                       # date or period searched, for PRISMA-S
    notes: str = ""


LiveSearch = PubMedSearch | CtgovSearch | EuropePmcSearch
Source = PubMedSearch | CtgovSearch | EuropePmcSearch | ImportFile
LIVE_TYPES = {"pubmed": "PubMed", "ctgov": "ClinicalTrials.gov", "europepmc": "Europe PMC"}


@dataclass(frozen=True)
class AutomationRule:
    """A rule that marks a record ineligible before screening (PRISMA: 'automation tools').

    `field` is a records column. A record is marked when any value is in `exclude_if_any`, when it
    has values and none is in `exclude_unless_any`, or when a number is below / above the limits.
    """

    name: str
    field: str
    exclude_if_any: tuple[str, ...] = ()
    exclude_unless_any: tuple[str, ...] = ()
    exclude_below: int | None = None
    exclude_above: int | None = None


ACKNOWLEDGE_DECISIONS = ("keep", "exclude")


@dataclass(frozen=True)
class RetractionAcknowledgment:
    """People's answer to a retraction or expression of concern flagged on an included study.

    `doi` (or `study`, a study id) names the study; `decision` is "keep" (with the `reason` it stays
    in the review) or "exclude" (it must then be excluded at full text); the report calls the review
    complete only when every flagged included study has one."""

    decision: str
    reason: str
    doi: str | None = None
    study: str | None = None


@dataclass(frozen=True)
class Protocol:
    """Everything the stages need to know about the review, from one TOML file."""

    path: Path
    root: Path
    title: str
    question: str
    criteria: dict[str, list[str]]
    sources: tuple[Source, ...]
    reviewers: dict[str, tuple[str, ...]]            # stage -> reviewer names
    exclusion_reasons: tuple[str, ...]                 # allowed full-text exclusion reasons
    automation: tuple[AutomationRule, ...]
    example_reviewers: tuple[str, ...] = ()            # reviewers whose decisions are labelled examples
    notes: str = ""
    retractions: tuple[RetractionAcknowledgment, ...] = ()   # [[retractions]]: flagged studies acknowledged

    @property
    def searches(self) -> tuple[PubMedSearch, ...]:
        return tuple(s for s in self.sources if isinstance(s, PubMedSearch))

    @property
    def live(self) -> tuple[LiveSearch, ...]:
        """Every search `make search` runs live: PubMed, ClinicalTrials.gov and Europe PMC."""
        return tuple(s for s in self.sources if isinstance(s, (PubMedSearch, CtgovSearch, EuropePmcSearch)))

    @property
    def imports(self) -> tuple[ImportFile, ...]:
        return tuple(s for s in self.sources if isinstance(s, ImportFile))

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)


def load(path: Path | str = "queries/review.toml", root: Path | str | None = None) -> Protocol:
    """Read and check the protocol; every problem is reported at once with the TOML key."""
    path = Path(path)
    root = Path(root) if root is not None else (path.parent.parent if path.parent.name == "queries" else Path.cwd())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.one(path, "protocol file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(path, f"not valid TOML: {exc}") from None

    problems: list[Problem] = []

    def need(table: dict, key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(str(path), f"{where}.{key} is required (a non-empty string)"))
            return ""
        return value

    review = data.get("review", {})
    sources: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("sources", []), start=1):
        where = f"sources[{i}]"
        name = need(raw, "name", where)
        if name in seen:
            problems.append(Problem(str(path), f"{where}: source name {name!r} is used twice"))
        seen.add(name)
        stype = raw.get("type")
        kind = raw.get("kind", "register" if stype == "ctgov" else "database")
        if kind not in PRISMA_KINDS:
            problems.append(Problem(str(path), f"{where}.kind must be one of {', '.join(PRISMA_KINDS)}, not {kind!r}"))
        if stype == "pubmed":
            sources.append(PubMedSearch(
                name=name, query=need(raw, "query", where), kind=kind,
                database=raw.get("database", "PubMed"),
                platform=raw.get("platform", PubMedSearch.platform),
                mindate=_opt_str(raw.get("mindate")), maxdate=_opt_str(raw.get("maxdate")),
                datetype=raw.get("datetype", "pdat"), notes=raw.get("notes", ""),
            ))
        elif stype == "ctgov":
            fields = {k: raw.get(k, "") for k in ("condition", "intervention", "term")}
            for key, value in fields.items():
                if not isinstance(value, str):
                    problems.append(Problem(str(path), f"{where}.{key} must be a string"))
            if not any(isinstance(v, str) and v.strip() for v in fields.values()):
                problems.append(Problem(str(path), f"{where}: a ClinicalTrials.gov search needs condition, intervention or term"))
            filters = raw.get("filters", {})
            if not isinstance(filters, dict) or not all(isinstance(v, str) for v in filters.values()):
                problems.append(Problem(str(path), f"{where}.filters must be a table of strings (filter.<key> = value)"))
                filters = {}
            sources.append(CtgovSearch(
                name=name, **{k: v if isinstance(v, str) else "" for k, v in fields.items()}, filters=dict(filters),
                kind=kind, database=raw.get("database", CtgovSearch.database),
                platform=raw.get("platform", CtgovSearch.platform), notes=raw.get("notes", "")))
        elif stype == "europepmc":
            sources.append(EuropePmcSearch(
                name=name, query=need(raw, "query", where), kind=kind, database=raw.get("database", EuropePmcSearch.database),
                platform=raw.get("platform", EuropePmcSearch.platform), synonym=bool(raw.get("synonym", False)),
                notes=raw.get("notes", "")))
        elif stype == "import":
            fmt = raw.get("format", "")
            if fmt not in IMPORT_FORMATS:
                problems.append(Problem(str(path), f"{where}.format must be one of {', '.join(IMPORT_FORMATS)}, not {fmt!r}"))
            sources.append(ImportFile(
                name=name, path=root / need(raw, "path", where), format=fmt, kind=kind,
                database=need(raw, "database", where), columns=dict(raw.get("columns", {})),
                encoding=raw.get("encoding"), searched=str(raw.get("searched", "")), notes=raw.get("notes", ""),
            ))
        else:
            problems.append(Problem(str(path), f"{where}.type must be 'pubmed', 'ctgov', 'europepmc' or 'import', not {stype!r}"))

    screening = data.get("screening", {})
    reviewers = {stage: tuple(screening.get(stage, {}).get("reviewers", [])) for stage in STAGES}
    for stage, names in reviewers.items():
        for name in names:
            if not name or any(ch in name for ch in '/\\:*?"<>|') or name.startswith("."):
                problems.append(Problem(str(path), f"screening.{stage}.reviewers: {name!r} cannot be a file name"))
    rules = []
    for i, raw in enumerate(data.get("automation", []), start=1):
        rules.append(AutomationRule(
            name=need(raw, "name", f"automation[{i}]"), field=need(raw, "field", f"automation[{i}]"),
            exclude_if_any=tuple(raw.get("exclude_if_any", ())),
            exclude_unless_any=tuple(raw.get("exclude_unless_any", ())),
            exclude_below=raw.get("exclude_below"), exclude_above=raw.get("exclude_above"),
        ))
    acknowledged = []
    for i, raw in enumerate(data.get("retractions", []), start=1):
        where = f"retractions[{i}]"
        doi, study = raw.get("doi"), raw.get("study")
        if not (isinstance(doi, str) and doi.strip()) and not (isinstance(study, str) and study.strip()):
            problems.append(Problem(str(path), f"{where}: name the study with doi = \"10....\" or study = \"<study id>\""))
        decision = raw.get("decision")
        if decision not in ACKNOWLEDGE_DECISIONS:
            problems.append(Problem(str(path), f"{where}.decision must be 'keep' or 'exclude', not {decision!r}"))
        reason = raw.get("reason", "")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Problem(str(path), f"{where}.reason is required: why the study is kept or excluded"))
        acknowledged.append(RetractionAcknowledgment(
            decision=str(decision), reason=str(reason).strip(),
            doi=doi.strip() if isinstance(doi, str) and doi.strip() else None,
            study=study.strip() if isinstance(study, str) and study.strip() else None))
    if problems:
        raise InputError(problems)
    return Protocol(
        path=path, root=root, title=review.get("title", "Untitled review"),
        question=review.get("question", ""), criteria={k: list(v) for k, v in data.get("criteria", {}).items()},
        sources=tuple(sources), reviewers=reviewers,
        exclusion_reasons=tuple(screening.get("full_text", {}).get("exclusion_reasons", [])),
        automation=tuple(rules), example_reviewers=tuple(screening.get("example_reviewers", [])),
        notes=review.get("notes", ""), retractions=tuple(acknowledged),
    )


def _opt_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
