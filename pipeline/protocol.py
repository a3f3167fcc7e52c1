"""The review protocol (`queries/review.toml`): written by people, read by every stage.

It names the review, its reviewers, eligibility criteria, the allowed full-text exclusion reasons,
automation rules, each source (a live PubMed, ClinicalTrials.gov or Europe PMC search, or an import
file) with its PRISMA kind, and people's answers to retractions flagged on included studies.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.errors import InputError, Problem
from pipeline.files import read_input
from pipeline.textio import line_of, printable

PrismaKind = Literal["database", "register", "other"]
PRISMA_KINDS = ("database", "register", "other")
IMPORT_FORMATS = ("ris", "medline", "pubmed-xml", "bibtex", "wos-txt", "cochrane-txt", "pubmed-csv", "scopus-csv", "embase-csv",
                  "pop-csv", "wos-tab", "wos-csv", "ebsco-csv", "csv", "benchmark-csv")  # docs/imports.md
STAGES = ("title_abstract", "full_text")
DATETYPES = ("pdat", "edat", "mdat", "crdt")
# The schema: every key each table may hold (anything else is a typo and refused, with a suggestion).
TOP_LEVEL = frozenset({"review", "criteria", "sources", "screening", "automation", "retractions", "extraction"})
SOURCE_KEYS = frozenset({"name", "type", "kind", "database", "notes"})
PUBMED_KEYS = frozenset({"query", "platform", "mindate", "maxdate", "datetype"})
IMPORT_KEYS = frozenset({"format", "path", "encoding", "searched", "columns"})
STAGE_KEYS = {"title_abstract": frozenset({"reviewers", "stopping"}),
              "full_text": frozenset({"reviewers", "exclusion_reasons", "stopping"})}
CTGOV_KEYS = frozenset({"condition", "intervention", "term", "filters", "platform"})
EUROPEPMC_KEYS = frozenset({"query", "platform", "synonym"})
RETRACTION_KEYS = frozenset({"doi", "study", "decision", "reason"})
PRIOR_KEYS = frozenset({"path", "format", "stage", "reviewers", "reviewer", "decision"})
AUTOMATION_KEYS = frozenset({"name", "field", "exclude_if_any", "exclude_unless_any", "exclude_below", "exclude_above"})
RESERVED_REVIEWER_NAMES = ("conflicts", "resolutions")
NAME_MAX = 64
NAME_RE = re.compile(r"^[^\W_][\w.\-]*$")
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                              *(f"LPT{i}" for i in range(1, 10))})
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

PRIOR_FORMATS = ("rayyan-csv", "asreview-csv", "covidence-csv")


@dataclass(frozen=True)
class PriorScreening:
    """A team's earlier screening, exported from another tool, read as named reviewers' decisions.

    `reviewers` maps the names the file uses (Rayyan) to protocol reviewers; `reviewer` names whose
    decisions a one-person file holds (ASReview, Covidence); `decision` is the Covidence list the
    file was exported from (include, exclude, maybe).
    """

    path: Path
    format: str
    stage: str = "title_abstract"
    reviewers: dict[str, str] = field(default_factory=dict)
    reviewer: str = ""
    decision: str = ""


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
    prior_screening: tuple[PriorScreening, ...] = ()   # [[screening.imported]]: decisions made in other tools
    resolvers: tuple[str, ...] = ()                    # who may settle conflicts in the screening app
    highlight_include: tuple[str, ...] = ()            # terms the app highlights as pointing to inclusion
    highlight_exclude: tuple[str, ...] = ()            # ... and to exclusion ([screening.highlight])
    retractions: tuple[RetractionAcknowledgment, ...] = ()   # [[retractions]]: flagged studies acknowledged
    extraction: ExtractionForm = field(default_factory=ExtractionForm)
    stopping: dict[str, Stopping] = field(default_factory=dict)   # stage -> its stopping rule

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
    """Read and check the protocol against its schema; every problem is reported at once with its key and line."""
    path = Path(path)
    root = Path(root) if root is not None else (path.parent.parent if path.parent.name == "queries" else Path.cwd())
    text = _read_protocol(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(path, f"not valid TOML: {printable(exc)}") from None
    check = _Checker(path, text)
    check.keys(data, "", TOP_LEVEL)

    review = check.table(data, "review")
    check.keys(review, "review", {"title", "question", "notes"})
    criteria = check.table(data, "criteria")
    criteria_lists = {str(k): list(check.strings(criteria, k, "criteria")) for k in criteria}

    sources: list[Source] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(check.tables(data, "sources"), start=1):
        where = f"sources[{i}]"
        stype = raw.get("type")
        typed = {"pubmed": PUBMED_KEYS, "import": IMPORT_KEYS, "ctgov": CTGOV_KEYS, "europepmc": EUROPEPMC_KEYS}
        if stype not in typed:
            check.problem(f"{where}.type", "must be 'pubmed', 'ctgov', 'europepmc' or 'import', "
                                           f"not {printable_value(stype)}")
        check.keys(raw, where, SOURCE_KEYS | typed.get(str(stype), frozenset().union(*typed.values())))
        name = unicodedata.normalize("NFC", check.string(raw, "name", where, required=True))
        if name and check.name(name, f"{where}.name", "a source name (it names a folder under outputs/search/ and "
                                              "prefixes record ids)"):
            if name.casefold() in seen:
                check.problem(f"{where}.name", f"source name {name!r} is used twice "
                                               f"(also {seen[name.casefold()]}); each source needs its own")
            seen[name.casefold()] = where
        kind = check.string(raw, "kind", where, default="register" if stype == "ctgov" else "database")
        if kind not in PRISMA_KINDS:
            check.problem(f"{where}.kind", f"must be one of {', '.join(PRISMA_KINDS)}, not {printable_value(kind)}")
        notes = check.string(raw, "notes", where)
        if stype not in typed:
            continue
        if stype == "pubmed":
            datetype = check.string(raw, "datetype", where, default="pdat")
            if datetype not in DATETYPES:
                check.problem(f"{where}.datetype", f"must be one of {', '.join(DATETYPES)}, not {printable_value(datetype)}")
            sources.append(PubMedSearch(
                name=name, query=check.string(raw, "query", where, required=True), kind=kind,  # type: ignore[arg-type]
                database=check.string(raw, "database", where, default="PubMed"),
                platform=check.string(raw, "platform", where, default=PubMedSearch.platform),
                mindate=check.date(raw, "mindate", where), maxdate=check.date(raw, "maxdate", where),
                datetype=datetype, notes=notes,
            ))
        elif stype == "ctgov":
            fields = {k: check.string(raw, k, where) for k in ("condition", "intervention", "term")}
            if not any(v.strip() for v in fields.values()):
                check.problem(where, "a ClinicalTrials.gov search needs condition, intervention or term")
            filters = check.table(raw, "filters", where)
            sources.append(CtgovSearch(
                name=name, **fields, filters={str(k): check.string(filters, k, f"{where}.filters") for k in filters},
                kind=kind, database=check.string(raw, "database", where, default=CtgovSearch.database),  # type: ignore[arg-type]
                platform=check.string(raw, "platform", where, default=CtgovSearch.platform), notes=notes))
        elif stype == "europepmc":
            synonym = raw.get("synonym", False)
            if not isinstance(synonym, bool):
                check.problem(f"{where}.synonym", f"must be true or false, not {_kind(synonym)}")
            sources.append(EuropePmcSearch(
                name=name, query=check.string(raw, "query", where, required=True), kind=kind,  # type: ignore[arg-type]
                database=check.string(raw, "database", where, default=EuropePmcSearch.database),
                platform=check.string(raw, "platform", where, default=EuropePmcSearch.platform),
                synonym=bool(synonym), notes=notes))
        else:
            fmt = check.string(raw, "format", where, required=True)
            if fmt and fmt not in IMPORT_FORMATS:
                check.problem(f"{where}.format", f"must be one of {', '.join(IMPORT_FORMATS)}, not {printable_value(fmt)}")
            encoding = check.string(raw, "encoding", where) or None
            if encoding:
                try:
                    codecs.lookup(encoding)
                except LookupError:
                    check.problem(f"{where}.encoding", f"unknown encoding {encoding!r} (e.g. \"utf-8\", \"cp1252\")")
            columns = check.table(raw, "columns", where)
            mapping = {str(k): check.string(columns, k, f"{where}.columns") for k in columns}
            file = check.string(raw, "path", where, required=True)
            sources.append(ImportFile(
                name=name, path=root / file, format=fmt, kind=kind,  # type: ignore[arg-type]
                database=check.string(raw, "database", where, required=True), columns=mapping,
                encoding=encoding, searched=check.string(raw, "searched", where, dates=True), notes=notes,
            ))

    screening = check.table(data, "screening")
    check.keys(screening, "screening", {"example_reviewers", "imported", "resolvers", "highlight", *STAGES})
    reviewers: dict[str, tuple[str, ...]] = {}
    for stage in STAGES:
        where = f"screening.{stage}"
        table = check.table(screening, stage, "screening")
        check.keys(table, where, STAGE_KEYS[stage])
        names = check.strings(table, "reviewers", where)
        reviewers[stage] = check.reviewers(names, f"{where}.reviewers")
    reasons = check.strings(check.table(screening, "full_text", "screening"), "exclusion_reasons", "screening.full_text")
    check.unique(reasons, "screening.full_text.exclusion_reasons", "exclusion reason")
    examples = check.reviewers(check.strings(screening, "example_reviewers", "screening"), "screening.example_reviewers")
    resolvers = check.reviewers(check.strings(screening, "resolvers", "screening"), "screening.resolvers")
    highlight = check.table(screening, "highlight", "screening")
    check.keys(highlight, "screening.highlight", {"include", "exclude"})
    highlight_terms = {side: tuple(t.strip() for t in check.strings(highlight, side, "screening.highlight") if t.strip())
                       for side in ("include", "exclude")}

    prior = []
    for i, raw in enumerate(check.tables(screening, "imported"), start=1):
        where = f"screening.imported[{i}]"
        check.keys(raw, where, PRIOR_KEYS)
        mapping = check.table(raw, "reviewers", where)
        spec = PriorScreening(
            path=root / check.string(raw, "path", where, required=True),
            format=check.string(raw, "format", where, required=True),
            stage=check.string(raw, "stage", where, default="title_abstract"),
            reviewers={str(k): check.string(mapping, k, f"{where}.reviewers") for k in mapping},
            reviewer=check.string(raw, "reviewer", where), decision=check.string(raw, "decision", where),
        )
        if spec.format and spec.format not in PRIOR_FORMATS:
            check.problem(f"{where}.format", f"must be one of {', '.join(PRIOR_FORMATS)}, not {printable_value(spec.format)}")
        if spec.stage not in STAGES:
            check.problem(f"{where}.stage", f"must be one of {', '.join(STAGES)}, not {printable_value(spec.stage)}")
            continue
        named = [spec.reviewer] if spec.reviewer else list(spec.reviewers.values())
        if spec.format != "rayyan-csv" and not spec.reviewer:
            check.problem(f"{where}.reviewer", f"is required: whose decisions the {spec.format} file holds")
        if spec.format == "covidence-csv" and spec.decision not in ("include", "exclude", "maybe"):
            check.problem(f"{where}.decision", "must say which Covidence list the file was exported from "
                                               f"(include, exclude or maybe), not {printable_value(spec.decision)}")
        for name in named:
            if name and name not in reviewers[spec.stage]:
                check.problem(where, f"{name!r} is not a reviewer of screening.{spec.stage}")
        prior.append(spec)
    stopping: dict[str, Stopping] = {}
    for stage in STAGES:
        where = f"screening.{stage}.stopping"
        raw_stop = check.table(check.table(screening, stage, "screening"), "stopping", f"screening.{stage}")
        check.keys(raw_stop, where, {"target_recall", "confidence", "stop"})
        values = {}
        for key in ("target_recall", "confidence"):
            value = raw_stop.get(key, 0.95)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                check.problem(f"{where}.{key}", f"must be a number between 0 and 1 (e.g. 0.95), not {_kind(value)}")
                value = 0.95
            values[key] = float(value)
        stop = raw_stop.get("stop", False)
        if not isinstance(stop, bool):
            check.problem(f"{where}.stop", f"must be true or false, not {_kind(stop)}")
            stop = False
        stopping[stage] = Stopping(values["target_recall"], values["confidence"], stop)
    rules = []
    for i, raw in enumerate(check.tables(data, "automation"), start=1):
        where = f"automation[{i}]"
        check.keys(raw, where, AUTOMATION_KEYS)
        rules.append(AutomationRule(
            name=check.string(raw, "name", where, required=True), field=check.string(raw, "field", where, required=True),
            exclude_if_any=check.strings(raw, "exclude_if_any", where),
            exclude_unless_any=check.strings(raw, "exclude_unless_any", where),
            exclude_below=check.integer(raw, "exclude_below", where), exclude_above=check.integer(raw, "exclude_above", where),
        ))
    acknowledged = []
    for i, raw in enumerate(check.tables(data, "retractions"), start=1):
        where = f"retractions[{i}]"
        check.keys(raw, where, RETRACTION_KEYS)
        doi, study = check.string(raw, "doi", where).strip(), check.string(raw, "study", where).strip()
        if not doi and not study:
            check.problem(where, "name the study with doi = \"10....\" or study = \"<study id>\"")
        decision = check.string(raw, "decision", where, required=True)
        if decision and decision not in ACKNOWLEDGE_DECISIONS:
            check.problem(f"{where}.decision", f"must be 'keep' or 'exclude', not {printable_value(decision)}")
        reason = check.string(raw, "reason", where).strip()
        if not reason:
            check.problem(f"{where}.reason", "is required: why the study is kept or excluded")
        acknowledged.append(RetractionAcknowledgment(decision=decision, reason=reason, doi=doi or None, study=study or None))
    check.unique(tuple(r.name for r in rules if r.name), "automation", "rule name")
    extraction = check.table(data, "extraction")
    check.keys(extraction, "extraction", {"reviewers", "fields"})
    form = _extraction(extraction, path, check.problems)
    if check.problems:
        raise InputError(check.problems)
    return Protocol(
        path=path, root=root, title=check.string(review, "title", "review") or "Untitled review",
        question=check.string(review, "question", "review"), criteria=criteria_lists,
        sources=tuple(sources), reviewers=reviewers, exclusion_reasons=reasons,
        automation=tuple(rules), example_reviewers=examples, notes=check.string(review, "notes", "review"), prior_screening=tuple(prior),
        retractions=tuple(acknowledged), extraction=form, stopping=stopping, resolvers=resolvers,
        highlight_include=highlight_terms["include"], highlight_exclude=highlight_terms["exclude"],
    )


def check_name(name: str, what: str) -> str | None:
    """Why `name` cannot be a file or folder name on every system, or None when it can.

    Names become paths (outputs/search/<source>/, screening/<stage>/<reviewer>.csv), so only letters
    and digits of any script, `_`, `-` and `.` are allowed, starting with a letter or digit, at most
    64 characters, not ending in `.` and not a name Windows reserves (CON, NUL, COM1, ...).
    """
    if not name:
        return f"{what} cannot be empty"
    if len(name) > NAME_MAX:
        return f"{what} has {len(name)} characters; at most {NAME_MAX} are allowed"
    if not NAME_RE.match(name) or name.endswith("."):
        return (f"{what} may hold only letters, digits, '_', '-' and '.', starting with a letter or digit "
                f"(it becomes a file name), not {printable_value(name)}")
    if name.split(".")[0].upper() in WINDOWS_RESERVED:
        return f"{what} {name!r} is a name Windows reserves for a device; choose another"
    return None


def printable_value(value: object) -> str:
    """A protocol value for a message: repr'd, control characters shown as escapes, long ones cut."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..." + text[-1]


def _read_protocol(path: Path) -> str:
    """The protocol's text: UTF-8 (with or without BOM) or UTF-16 with a BOM (Notepad's "Unicode")."""
    data = read_input(path, "protocol file")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError.one(path, f"starts with a {codec} byte-order mark but is not valid {codec}; "
                                           "save it as UTF-8", line=line_of(data, exc.start)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.one(path, f"is not UTF-8 text (byte {data[exc.start]:#04x}); save it as UTF-8",
                             line=line_of(data, exc.start)) from None


class _Checker:
    """Type checks on the parsed TOML, collecting every problem with its dotted key and line."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = _key_lines(text)
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str) -> None:
        line = self.lines.get(key)
        if line is None and "." in key:
            line = self.lines.get(key.rsplit(".", 1)[0])
        self.problems.append(Problem(str(self.path), f"{key}: {message}", line=line))

    def keys(self, table: dict, where: str, allowed: set[str] | frozenset[str]) -> None:
        for key in table:
            if key not in allowed:
                full = f"{where}.{key}" if where else key
                close = difflib.get_close_matches(key.lower(), sorted(allowed), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(allowed))})"
                self.problem(full, f"unknown key{hint}")

    def table(self, data: dict, key: str, where: str = "") -> dict:
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        full = f"{where}.{key}" if where else key
        self.problem(full, f"must be a table ([{full}]), not {_kind(value)}")
        return {}

    def tables(self, data: dict, key: str) -> list[dict]:
        value = data.get(key, [])
        if isinstance(value, dict):
            self.problem(key, f"is written [{key}]; each entry needs double brackets: [[{key}]]")
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, f"must be a list of [[{key}]] tables, not {_kind(value)}")
            return []
        return value

    def string(self, table: dict, key: str, where: str, *, required: bool = False, default: str = "",
               dates: bool = False) -> str:
        value = table.get(key)
        full = f"{where}.{key}"
        if value is None:
            if required:
                self.problem(full, "is required (a non-empty string)")
            return default
        if dates and isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if not isinstance(value, str):
            self.problem(full, f"must be a string in quotes, not {_kind(value)}")
            return default
        if required and not value.strip():
            self.problem(full, "is required (a non-empty string)")
        return value

    def date(self, table: dict, key: str, where: str) -> str | None:
        value = table.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        self.problem(f"{where}.{key}", f"must be a date in quotes (\"YYYY\", \"YYYY/MM\" or \"YYYY/MM/DD\"), not {_kind(value)}")
        return None

    def strings(self, table: dict, key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        example = f'{key} = ["{value}"]' if isinstance(value, str) else f'{key} = ["...", "..."]'
        self.problem(f"{where}.{key}", f"must be a list of strings, e.g. {example}, not {_kind(value)}")
        return ()

    def integer(self, table: dict, key: str, where: str) -> int | None:
        value = table.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        hint = f", e.g. {key} = {value.strip()} (no quotes)" if isinstance(value, str) and value.strip().isdigit() else ""
        self.problem(f"{where}.{key}", f"must be a whole number{hint}, not {_kind(value)}")
        return None

    def name(self, name: str, key: str, what: str) -> bool:
        why = check_name(name, what)
        if why:
            self.problem(key, why)
        return why is None

    def reviewers(self, names: tuple[str, ...], key: str) -> tuple[str, ...]:
        names = tuple(unicodedata.normalize("NFC", n) for n in names)   # one spelling of "José" on every system
        ok = True
        for name in names:
            ok = self.name(name, key, "a reviewer name") and ok
            if ok and name.lower() in RESERVED_REVIEWER_NAMES:
                self.problem(key, f"{name!r} is reserved for {name.lower()}.csv; choose another reviewer name")
        self.unique(names, key, "reviewer", fold=True)
        return names

    def unique(self, values: tuple[str, ...], key: str, what: str, fold: bool = True) -> None:
        seen: dict[str, str] = {}
        for value in values:
            norm = " ".join(value.split()).casefold() if fold else value
            if norm in seen:
                same = "" if seen[norm] == value else f" (as {seen[norm]!r})"
                self.problem(key, f"{what} {value!r} is listed twice{same}; list each once")
            seen.setdefault(norm, value)


def _kind(value: object) -> str:
    """A value as a person wrote it, with its TOML type (e.g. the string "2000")."""
    kinds = {bool: "true/false", int: "a number", float: "a number", str: "the string", list: "a list", dict: "a table"}
    label = next((v for t, v in kinds.items() if type(value) is t), type(value).__name__)
    return f"{label} {printable_value(value)}" if label in ("the string", "a number", "true/false") else label


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key (as `_Checker` names them, e.g. sources[2].query) -> the line that sets it (first one)."""
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    current = ""
    in_string = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        quotes = line.count('"""') + line.count("'''")
        if in_string:
            in_string = quotes % 2 == 0
            continue
        if line.startswith("[["):
            name = line.strip("[] ")
            counters[name] = counters.get(name, 0) + 1
            current = f"{name}[{counters[name]}]"
            lines.setdefault(current, number)
            lines.setdefault(name, number)
        elif line.startswith("["):
            name = line.split("]")[0].strip("[ ")
            first, _, rest = name.partition(".")
            current = f"{first}[{counters[first]}]" + (f".{rest}" if rest else "") if first in counters else name
            lines.setdefault(current, number)
        elif "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0].strip().strip('"\'')
            lines.setdefault(f"{current}.{key}" if current else key, number)
            in_string = quotes % 2 == 1
    return lines


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
