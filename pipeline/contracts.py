"""One typed definition of every file the stages hand to each other (CoLRev's constants.py is the model).

Writer, reader and test fixtures all import these, so a key or column renamed in one place is
renamed everywhere:

    outputs/records/sources.json        {"sources": [SourceEntry, ...]}          import -> report
    outputs/records/registrations.parquet  records.REGISTRATION_SCHEMA            import -> report
    outputs/records/links.parquet       records.LINK_SCHEMA                      import -> dedup
    outputs/dedup/linked_reports.csv    LINKED_REPORTS_SCHEMA                    dedup -> report
    outputs/dedup/clusters.parquet      CLUSTER_SCHEMA                           dedup -> report
    outputs/dedup/studies.parquet       STUDY_SCHEMA (RECORD_SCHEMA + extras)     dedup -> screen, report
    outputs/dedup/pairs_to_review.csv   PAIRS_TO_REVIEW_COLUMNS                  dedup -> people
    outputs/dedup/decisions.csv         DEDUP_DECISION_COLUMNS                   people -> dedup
    outputs/dedup/summary.json          DedupSummary                             dedup -> report
    outputs/screening/final.csv         FINAL_COLUMNS / FINAL_SCHEMA, Outcome    screen -> report
    outputs/screening/summary.json      ScreeningSummary                         screen -> report, status
    outputs/screening/orphans.csv       ORPHAN_COLUMNS                           screen -> people
    outputs/screening/<stage>/model.json  MODEL_STAMP_KEYS, MODEL_REVIEWER_KEYS  screen -> report, next screen

`from_json` raises `ValueError` naming the key that is missing or of the wrong type; readers turn
it into an error naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import polars as pl

from pipeline.records import RECORD_SCHEMA

# --- sources.json --------------------------------------------------------------------------------


class SourceState(StrEnum):
    """Whether a source's records are in the records table."""

    OK = "ok"
    NOT_SEARCHED = "not searched yet"   # a live search with no snapshot yet: 0 records, not an error


class SourceType(StrEnum):
    PUBMED = "pubmed"
    CTGOV = "ctgov"             # ClinicalTrials.gov API v2 (a register)
    EUROPEPMC = "europepmc"     # Europe PMC REST (a database with preprints)
    IMPORT = "import"


LIVE_SOURCE_TYPES = (SourceType.PUBMED, SourceType.CTGOV, SourceType.EUROPEPMC)


COMMON_SOURCE_KEYS = ("name", "type", "kind", "database", "status", "records", "warnings")
PUBMED_SOURCE_KEYS = ("platform", "snapshot", "query", "query_translation", "date", "mindate", "maxdate",
                      "datetype", "count_reported", "retrieved", "deleted")
IMPORT_SOURCE_KEYS = ("file", "format", "sha256", "encoding", "searched", "rows_read", "junk_values", "deleted")
JSON_SOURCE_KEYS = ("platform", "snapshot", "query", "date", "count_reported", "retrieved", "api_version",
                    "data_timestamp")


@dataclass(frozen=True)
class SourceEntry:
    """What the import stage did with one source of the protocol (one entry of sources.json).

    Common keys first, then those of its type: a PubMed search's snapshot and search log, or an
    import file's path, format, checksum and encoding.
    """

    name: str
    type: SourceType
    kind: str                                  # PRISMA column: database | register | other
    database: str
    status: SourceState = SourceState.OK
    records: int = 0
    warnings: tuple[str, ...] = ()
    # PubMed searches
    platform: str | None = None
    snapshot: str | None = None                # folder relative to the project root
    query: str | dict[str, str] | None = None  # ClinicalTrials.gov: the query.* / filter.* parameters
    query_translation: str | None = None
    date: str | None = None                    # when the snapshot was finished (UTC, ISO 8601)
    mindate: str | None = None
    maxdate: str | None = None
    datetype: str | None = None
    count_reported: int | None = None
    retrieved: int | None = None
    # ClinicalTrials.gov and Europe PMC searches (besides platform ... retrieved above)
    api_version: str | None = None
    data_timestamp: str | None = None          # ClinicalTrials.gov: the data's date
    # import files
    file: str | None = None                    # relative to the project root
    format: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    searched: str | None = None
    rows_read: int | None = None
    junk_values: dict[str, int] | None = None   # placeholders and impossible values read as empty, by value
    # PubMed searches and PubMed XML imports: records removed because NLM deleted them (DeleteCitation)
    deleted: int | None = None

    @property
    def searched_yet(self) -> bool:
        return self.status != SourceState.NOT_SEARCHED

    def keys(self) -> tuple[str, ...]:
        if self.type == SourceType.PUBMED:
            return COMMON_SOURCE_KEYS + PUBMED_SOURCE_KEYS
        if self.type in LIVE_SOURCE_TYPES:
            return COMMON_SOURCE_KEYS + JSON_SOURCE_KEYS
        return COMMON_SOURCE_KEYS + IMPORT_SOURCE_KEYS

    def to_json(self) -> dict[str, Any]:
        out = {key: getattr(self, key) for key in self.keys()}
        out["type"], out["status"], out["warnings"] = str(self.type), str(self.status), list(self.warnings)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceEntry:
        _require(data, ("name", "type", "kind", "status", "records"))
        try:
            kind, status = SourceType(data["type"]), SourceState(data["status"])
        except ValueError as exc:
            raise ValueError(f"source {data.get('name')!r}: {exc}") from None
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.update(type=kind, status=status, warnings=tuple(data.get("warnings") or ()),
                      database=data.get("database") or data["name"], records=_int(data, "records"))
        return cls(**values)


def sources_to_json(entries: list[SourceEntry]) -> dict[str, Any]:
    return {"sources": [e.to_json() for e in entries]}


def sources_from_json(data: Mapping[str, Any]) -> list[SourceEntry]:
    sources = data.get("sources")
    if not isinstance(sources, list):
        raise ValueError("expected an object with a 'sources' list")
    return [SourceEntry.from_json(s) for s in sources]


# --- dedup ---------------------------------------------------------------------------------------


class MatchMethod(StrEnum):
    """How a record joined its study (clusters.parquet `method`)."""

    UNIQUE = "unique"
    PERSON = "person"
    IDENTIFIER = "identifier"
    FUZZY = "fuzzy"


class DedupDecision(StrEnum):
    DUPLICATE = "duplicate"
    NOT_DUPLICATE = "not_duplicate"


CLUSTER_SCHEMA = {"record_id": pl.Utf8, "study_id": pl.Utf8, "method": pl.Utf8, "score": pl.Float64,
                  "matched_to": pl.Utf8}
STUDY_EXTRA_SCHEMA = {"member_ids": pl.List(pl.Utf8), "sources": pl.List(pl.Utf8), "n_members": pl.Int32}
STUDY_SCHEMA: dict[str, pl.DataType] = {"study_id": pl.Utf8(), **RECORD_SCHEMA, "member_ids": pl.List(pl.Utf8),
                                        "sources": pl.List(pl.Utf8), "n_members": pl.Int32()}   # studies.parquet: a record per study
# outputs/dedup/linked_reports.csv: dedup studies that are reports of one study (a trial number, a register's list)
LINKED_REPORTS_SCHEMA = {"group_id": pl.Utf8, "study_id": pl.Utf8, "linked_by": pl.Utf8}
PAIRS_TO_REVIEW_COLUMNS = ["record_id_a", "record_id_b", "score", "reason", "title_a", "title_b", "year_a", "year_b",
                           "journal_a", "journal_b", "doi_a", "doi_b", "decision"]
DEDUP_DECISION_COLUMNS = ["record_id_a", "record_id_b", "decision", "reviewer", "notes"]


@dataclass(frozen=True)
class DedupSummary:
    """outputs/dedup/summary.json: what the dedup stage did, cross-checked by the report."""

    records_in: int
    studies: int
    duplicates_removed: dict[str, int]     # identifier, fuzzy, person
    pairs_waiting: int
    person_decisions: dict[str, int]       # duplicate, not_duplicate
    preprints_joined: int = 0              # preprints merged with their journal version (by identifier)
    linked_reports: dict[str, int] = field(default_factory=lambda: {"studies": 0, "reports": 0})  # linked_reports.csv

    def to_json(self) -> dict[str, Any]:
        return {
            "records_in": self.records_in, "studies": self.studies,
            "duplicates_removed": {str(m): self.duplicates_removed.get(m, 0) for m in _REMOVED},
            "pairs_waiting": self.pairs_waiting,
            "person_decisions": {str(d): self.person_decisions.get(d, 0) for d in DedupDecision},
            "preprints_joined": self.preprints_joined,
            "linked_reports": {k: self.linked_reports.get(k, 0) for k in ("studies", "reports")},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DedupSummary:
        _require(data, ("records_in", "studies", "duplicates_removed", "pairs_waiting"))
        return cls(_int(data, "records_in"), _int(data, "studies"), _counts(data, "duplicates_removed"),
                   _int(data, "pairs_waiting"), _counts(data, "person_decisions"),
                   int(data.get("preprints_joined") or 0), _counts(data, "linked_reports"))

    @property
    def removed_total(self) -> int:
        return sum(self.duplicates_removed.values())


_REMOVED = (MatchMethod.IDENTIFIER, MatchMethod.FUZZY, MatchMethod.PERSON)


# --- screening -----------------------------------------------------------------------------------


class Outcome(StrEnum):
    """A study's decision at one screening stage in final.csv ("" = the study did not reach it)."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    NOT_RETRIEVED = "not_retrieved"     # full text only
    PENDING = "pending"
    CONFLICT = "conflict"
    NOT_REACHED = ""


INELIGIBLE = "ineligible"               # final.csv `automation` when a rule marked the study
TITLE_ABSTRACT_OUTCOMES = (Outcome.INCLUDE, Outcome.EXCLUDE, Outcome.PENDING, Outcome.CONFLICT, Outcome.NOT_REACHED)
FULL_TEXT_OUTCOMES = tuple(Outcome)
UNDECIDED = (Outcome.PENDING, Outcome.CONFLICT)
# `stopped`: the stage at which the team's stopping rule excluded the study unscreened ("" = not by the rule)
FINAL_COLUMNS = ("study_id", "automation", "title_abstract", "full_text", "full_text_reason", "example", "stopped")
FINAL_SCHEMA = {c: pl.Utf8() for c in FINAL_COLUMNS} | {"example": pl.Boolean()}
STOPPED_VALUES = ("title_abstract", "full_text", "")
# model.json (pipeline.prioritise.stage.stamp): top-level keys, and the keys of each reviewer's entry
MODEL_STAMP_KEYS = ("stage", "studies", "model", "features", "cold_start", "blinding", "stopping_rule", "reviewers",
                    "stop_requested", "stopped")
MODEL_REVIEWER_KEYS = ("method", "training_decisions", "training_includes", "checksum", "screened", "includes_found",
                       "includes_left_at_most", "rule_met", "rule_p_value", "more_to_screen", "screening_order",
                       "screening_labels")
ORPHAN_COLUMNS = ["stage", "reviewer", "row", "record_id", "last_study_id", "decision"]
RESOLUTION_COLUMNS = ["study_id", "decision", "reason", "resolved_by", "notes"]
OVERRIDE_COLUMNS = ["study_id", "decision", "reviewer", "notes"]
AUTOMATION_SCHEMA = {"study_id": pl.Utf8, "rule": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8, "overruled": pl.Boolean}


@dataclass(frozen=True)
class ReviewerProgress:
    assigned: int
    screened: int
    remaining: int
    example: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"assigned": self.assigned, "screened": self.screened, "remaining": self.remaining,
                "example": self.example}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewerProgress:
        return cls(_int(data, "assigned"), _int(data, "screened"), _int(data, "remaining"), bool(data.get("example")))


@dataclass(frozen=True)
class StageSummary:
    """One screening stage in summary.json; `not_retrieved` and `excluded_by_reason` at full text only."""

    studies: int
    included: int
    excluded: int
    pending: int
    complete: bool
    conflicts_open: int
    conflicts_resolved: int
    reviewers: dict[str, ReviewerProgress]
    agreement: dict[str, Any]               # pipeline.screen.agreement.stage_agreement's result
    not_retrieved: int | None = None
    excluded_by_reason: dict[str, int] | None = None
    prioritisation: dict[str, Any] | None = None   # pipeline.screen.priority.summary: rule, per reviewer state

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "studies": self.studies, "included": self.included, "excluded": self.excluded, "pending": self.pending,
            "complete": self.complete, "conflicts": {"open": self.conflicts_open, "resolved": self.conflicts_resolved},
            "reviewers": {name: r.to_json() for name, r in self.reviewers.items()}, "agreement": self.agreement,
        }
        if self.not_retrieved is not None:
            out["not_retrieved"] = self.not_retrieved
        if self.excluded_by_reason is not None:
            out["excluded_by_reason"] = dict(self.excluded_by_reason)
        if self.prioritisation is not None:
            out["prioritisation"] = dict(self.prioritisation)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageSummary:
        _require(data, ("studies", "included", "excluded", "pending"))
        conflicts = data.get("conflicts") or {}
        reviewers = data.get("reviewers") or {}
        return cls(
            _int(data, "studies"), _int(data, "included"), _int(data, "excluded"), _int(data, "pending"),
            bool(data.get("complete")), int(conflicts.get("open") or 0), int(conflicts.get("resolved") or 0),
            {name: ReviewerProgress.from_json(r) for name, r in reviewers.items()},
            dict(data.get("agreement") or {"pairs": [], "fleiss": None}),
            _int(data, "not_retrieved") if data.get("not_retrieved") is not None else None,
            _counts(data, "excluded_by_reason") if "excluded_by_reason" in data else None,
            dict(data["prioritisation"]) if isinstance(data.get("prioritisation"), Mapping) else None,
        )


@dataclass(frozen=True)
class AutomationSummary:
    ineligible: int
    overruled: int
    by_rule: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ineligible": self.ineligible, "overruled": self.overruled, "by_rule": dict(self.by_rule)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AutomationSummary:
        _require(data, ("ineligible",))
        return cls(_int(data, "ineligible"), int(data.get("overruled") or 0), _counts(data, "by_rule"))


@dataclass(frozen=True)
class ScreeningSummary:
    """outputs/screening/summary.json: automation counts and each stage's progress and agreement."""

    automation: AutomationSummary
    stages: dict[str, StageSummary]           # title_abstract, full_text

    def to_json(self) -> dict[str, Any]:
        return {"automation": self.automation.to_json(), "stages": {k: s.to_json() for k, s in self.stages.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScreeningSummary:
        _require(data, ("automation", "stages"))
        stages = data["stages"]
        if not isinstance(stages, Mapping):
            raise ValueError("'stages' is not an object")
        out = {}
        for name, stage in stages.items():
            try:
                out[name] = StageSummary.from_json(stage)
            except ValueError as exc:
                raise ValueError(f"stages.{name}: {exc}") from None
        return cls(AutomationSummary.from_json(data["automation"]), out)


# --- helpers -------------------------------------------------------------------------------------


def _require(data: Mapping[str, Any], keys: tuple[str, ...]) -> None:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object, not {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"{', '.join(missing)} is missing")


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} is {value!r}, not a whole number")
    return value


def _counts(data: Mapping[str, Any], key: str) -> dict[str, int]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping) or not all(isinstance(v, int) for v in value.values()):
        raise ValueError(f"{key} is not an object of whole numbers")
    return {str(k): int(v) for k, v in value.items()}


# --- extraction (outputs/extraction/) -------------------------------------------------------------
# studies.csv: every included report and its study (extract -> report); final.csv: one row per study,
# these columns then one per form field (extract -> report); resolutions.csv and same_study.csv are
# people's files (people -> extract).
STUDY_LINK_COLUMNS = ["report_id", "study_id", "linked_by"]
EXTRACTION_FINAL_COLUMNS = ["study_id", "reports", "n_reports", "status", "extracted_by", "example"]


class ExtractionState(StrEnum):
    """A study's extraction state in final.csv."""

    COMPLETE = "complete"
    DISCREPANCIES = "discrepancies"
    IN_PROGRESS = "in progress"
    NOT_STARTED = "not started"


EXTRACTION_RESOLUTION_COLUMNS = ["study_id", "field", "value", "resolved_by", "notes"]
SAME_STUDY_COLUMNS = ["report_a", "report_b", "decision", "reviewer", "notes"]
