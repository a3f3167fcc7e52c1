"""The review protocol (`queries/review.toml`): written by people, read by every stage.

It names the review, its reviewers, eligibility criteria, the allowed full-text exclusion reasons,
automation rules, and each source: a PubMed search or an import file, with its PRISMA kind.
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


Source = PubMedSearch | ImportFile


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


@dataclass(frozen=True)
class Stopping:
    """A stage's stopping rule ([screening.<stage>.stopping]): its parameters, and whether the team stops by it.

    With `stop = true`, once the rule is met for every reviewer of the stage, the studies no one has
    screened yet are excluded by the rule (PRISMA: "by a stopping rule, automation tool").
    """

    target_recall: float = 0.95
    confidence: float = 0.95
    stop: bool = False


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
    stopping: dict[str, Stopping] = field(default_factory=dict)   # stage -> its stopping rule

    @property
    def searches(self) -> tuple[PubMedSearch, ...]:
        return tuple(s for s in self.sources if isinstance(s, PubMedSearch))

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
        kind = raw.get("kind", "database")
        if kind not in PRISMA_KINDS:
            problems.append(Problem(str(path), f"{where}.kind must be one of {', '.join(PRISMA_KINDS)}, not {kind!r}"))
        stype = raw.get("type")
        if stype == "pubmed":
            sources.append(PubMedSearch(
                name=name, query=need(raw, "query", where), kind=kind,
                database=raw.get("database", "PubMed"),
                platform=raw.get("platform", PubMedSearch.platform),
                mindate=_opt_str(raw.get("mindate")), maxdate=_opt_str(raw.get("maxdate")),
                datetype=raw.get("datetype", "pdat"), notes=raw.get("notes", ""),
            ))
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
            problems.append(Problem(str(path), f"{where}.type must be 'pubmed' or 'import', not {stype!r}"))

    screening = data.get("screening", {})
    reviewers = {stage: tuple(screening.get(stage, {}).get("reviewers", [])) for stage in STAGES}
    for stage, names in reviewers.items():
        for name in names:
            if not name or any(ch in name for ch in '/\\:*?"<>|') or name.startswith("."):
                problems.append(Problem(str(path), f"screening.{stage}.reviewers: {name!r} cannot be a file name"))
    stopping: dict[str, Stopping] = {}
    for stage in STAGES:
        raw_stop = screening.get(stage, {}).get("stopping", {})
        where = f"screening.{stage}.stopping"
        values = {}
        for key in ("target_recall", "confidence"):
            value = raw_stop.get(key, 0.95)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                problems.append(Problem(str(path), f"{where}.{key} must be a number between 0 and 1 (e.g. 0.95), not {value!r}"))
                value = 0.95
            values[key] = float(value)
        stop = raw_stop.get("stop", False)
        if not isinstance(stop, bool):
            problems.append(Problem(str(path), f"{where}.stop must be true or false, not {stop!r}"))
            stop = False
        stopping[stage] = Stopping(values["target_recall"], values["confidence"], stop)
    rules = []
    for i, raw in enumerate(data.get("automation", []), start=1):
        rules.append(AutomationRule(
            name=need(raw, "name", f"automation[{i}]"), field=need(raw, "field", f"automation[{i}]"),
            exclude_if_any=tuple(raw.get("exclude_if_any", ())),
            exclude_unless_any=tuple(raw.get("exclude_unless_any", ())),
            exclude_below=raw.get("exclude_below"), exclude_above=raw.get("exclude_above"),
        ))
    if problems:
        raise InputError(problems)
    return Protocol(
        path=path, root=root, title=review.get("title", "Untitled review"),
        question=review.get("question", ""), criteria={k: list(v) for k, v in data.get("criteria", {}).items()},
        sources=tuple(sources), reviewers=reviewers,
        exclusion_reasons=tuple(screening.get("full_text", {}).get("exclusion_reasons", [])),
        automation=tuple(rules), example_reviewers=tuple(screening.get("example_reviewers", [])),
        notes=review.get("notes", ""), stopping=stopping,
    )


def _opt_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
