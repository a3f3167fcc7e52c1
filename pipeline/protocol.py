"""The review protocol (`queries/review.toml`): written by people, read by every stage.

It names the review, its reviewers, eligibility criteria, the allowed full-text exclusion reasons,
automation rules, and each source: a PubMed search or an import file, with its PRISMA kind.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError, Problem

PrismaKind = Literal["database", "register", "other"]
PRISMA_KINDS = ("database", "register", "other")
IMPORT_FORMATS = ("ris", "medline", "pubmed-csv", "scopus-csv", "csv", "benchmark-csv")
STAGES = ("title_abstract", "full_text")
FIELD_TYPES = ("choice", "multi", "integer", "number", "text", "registry")
# Extraction sheet columns the pipeline owns or keys on; a form field cannot take these names.
RESERVED_FIELD_NAMES = ("study_id", "record_id", "title", "authors", "year", "journal", "reports", "links", "notes",
                        "status", "pubmed_url", "doi_url", "pmc_url", "example")


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
class ExtractionField:
    """One field of the extraction form: its type and, for choice and multi, the allowed values.

    Types: `choice` (one of `values`), `multi` (any of `values`, `;`-separated), `integer`, `number`,
    `text`, `registry` (trial registration numbers, `;`-separated).
    """

    name: str
    type: str
    values: tuple[str, ...] = ()
    label: str = ""
    help: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ExtractionForm:
    """`[extraction]`: who extracts, and the form's fields in order."""

    reviewers: tuple[str, ...] = ()
    fields: tuple[ExtractionField, ...] = ()

    def field(self, name: str) -> ExtractionField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


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
    extraction: ExtractionForm = field(default_factory=ExtractionForm)

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
    rules = []
    for i, raw in enumerate(data.get("automation", []), start=1):
        rules.append(AutomationRule(
            name=need(raw, "name", f"automation[{i}]"), field=need(raw, "field", f"automation[{i}]"),
            exclude_if_any=tuple(raw.get("exclude_if_any", ())),
            exclude_unless_any=tuple(raw.get("exclude_unless_any", ())),
            exclude_below=raw.get("exclude_below"), exclude_above=raw.get("exclude_above"),
        ))
    form = _extraction(data.get("extraction", {}), path, problems)
    if problems:
        raise InputError(problems)
    return Protocol(
        path=path, root=root, title=review.get("title", "Untitled review"),
        question=review.get("question", ""), criteria={k: list(v) for k, v in data.get("criteria", {}).items()},
        sources=tuple(sources), reviewers=reviewers,
        exclusion_reasons=tuple(screening.get("full_text", {}).get("exclusion_reasons", [])),
        automation=tuple(rules), example_reviewers=tuple(screening.get("example_reviewers", [])),
        notes=review.get("notes", ""), extraction=form,
    )


def _extraction(table: object, path: Path, problems: list[Problem]) -> ExtractionForm:
    """`[extraction]`: reviewers and `[extraction.fields.<name>]` tables (type, values, label, help)."""
    if not isinstance(table, dict):
        problems.append(Problem(str(path), "extraction must be a table"))
        return ExtractionForm()
    reviewers = table.get("reviewers", [])
    if not isinstance(reviewers, list) or not all(isinstance(n, str) for n in reviewers):
        problems.append(Problem(str(path), "extraction.reviewers must be a list of names"))
        reviewers = []
    for name in reviewers:
        if not name or any(ch in name for ch in '/\\:*?"<>|') or name.startswith(".") \
                or name.lower() in ("discrepancies", "resolutions", "final", "same_study"):
            problems.append(Problem(str(path), f"extraction.reviewers: {name!r} cannot be a sheet name"))
    fields: list[ExtractionField] = []
    raw_fields = table.get("fields", {})
    if not isinstance(raw_fields, dict):
        problems.append(Problem(str(path), "extraction.fields must be a table of [extraction.fields.<name>] tables"))
        raw_fields = {}
    for name, raw in raw_fields.items():
        where = f"extraction.fields.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in RESERVED_FIELD_NAMES or name.startswith("suggested_"):
            problems.append(Problem(str(path), f"{where}: a field name is lower-case letters, digits and _, "
                                    f"not starting with suggested_ nor one of {', '.join(RESERVED_FIELD_NAMES)}"))
            continue
        if not isinstance(raw, dict):
            problems.append(Problem(str(path), f"{where} must be a table with a type"))
            continue
        ftype = raw.get("type")
        if ftype not in FIELD_TYPES:
            problems.append(Problem(str(path), f"{where}.type must be one of {', '.join(FIELD_TYPES)}, not {ftype!r}"))
            continue
        values = raw.get("values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            problems.append(Problem(str(path), f"{where}.values must be a list of non-empty strings"))
            values = []
        if ftype in ("choice", "multi") and not values:
            problems.append(Problem(str(path), f"{where}: a {ftype} field needs its allowed values"))
        elif ftype not in ("choice", "multi") and values:
            problems.append(Problem(str(path), f"{where}: only choice and multi fields take values"))
        lowered = [v.strip().lower() for v in values]
        if len(set(lowered)) != len(lowered):
            problems.append(Problem(str(path), f"{where}.values lists a value twice"))
        if ftype == "multi" and any(";" in v for v in values):
            problems.append(Problem(str(path), f"{where}.values: ';' separates values, so no value may contain it"))
        fields.append(ExtractionField(name, ftype, tuple(v.strip() for v in values),
                                      str(raw.get("label", "")), str(raw.get("help", ""))))
    return ExtractionForm(tuple(reviewers), tuple(fields))


def _opt_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)
