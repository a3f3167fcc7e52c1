"""PRISMA 2020 flow-diagram numbers, computed from the stage files and checked (pure functions).

Two columns, as in the PRISMA 2020 template for a new review:

* ``dbr`` - identification via databases and registers (sources of kind "database" or "register");
* ``other`` - identification via other methods (sources of kind "other"), drawn only when the
  protocol has such sources.

How other-method records flow: every record is deduplicated together with the rest. A study whose
members all come from "other" sources belongs to the other-methods column; a study with at least one
database or register record belongs to the databases-and-registers column. Each column's records
identified are its sources' records; its duplicates are its records that did not become one of its
own studies (an other-method record merged into a database study is a duplicate in the other column).
Each study's automation, title/abstract and full-text outcomes feed its own column, so per column:

    screened = identified - duplicates - automation - other removals
    sought   = screened - excluded            (+ studies still awaiting title/abstract decisions)
    assessed = sought - not retrieved         (+ studies still awaiting full-text decisions)
    included = assessed - excluded

Reports and studies (PRISMA 2020): dedup merges duplicate records of one report, and every box up
to "reports excluded" counts reports. The extract stage links included reports of one study (shared
registration numbers, a person's `same_study` decisions; `pipeline.extract.linking`), so "reports of
included studies" counts included reports and "studies included in review" the studies they make.
Without that link table, reports that dedup links by trial number (a registration and its
papers: linked_reports.csv) count as one study and every other report as its own study. Mid-review, a box whose number can still
change shows as pending with the number of reports it waits for, never as a final zero.

Identification lines are per database, not per source: several sources of one kind and one
`database` (date slices of one Scopus search, a 2021 and a 2023 PubMed search) make one line whose
number is the sum of theirs (`DatabaseCount`); each source keeps its own number for the search log
and for the check against sources.json.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from pipeline.contracts import (
    INELIGIBLE,
    UNDECIDED,
    DedupSummary,
    Outcome,
    ScreeningSummary,
    SourceEntry,
    SourceState,
)
from pipeline.errors import InternalError, UserError
from pipeline.textio import plural

DBR, OTHER = "dbr", "other"
COLUMN_NAMES = {DBR: "databases and registers", OTHER: "other methods"}
TA_PENDING = FT_PENDING = tuple(str(o) for o in UNDECIDED)
NO_REASON = "Reason not recorded"


@dataclass(frozen=True)
class Count:
    """A box's number: `n` decided so far, final only when no study is still awaiting a decision."""

    n: int
    awaiting_ta: int = 0   # studies whose title/abstract decision could still change this box
    awaiting_ft: int = 0   # studies whose full-text decision could still change this box

    @property
    def pending(self) -> bool:
        return bool(self.awaiting_ta or self.awaiting_ft)

    def text(self) -> str:
        """`n = 50`, or `n = pending: 12 awaiting title/abstract decisions; 30 so far`."""
        if not self.pending:
            return f"n = {self.n:,}"
        waits = []
        if self.awaiting_ta:
            waits.append(plural(self.awaiting_ta, "awaiting title/abstract decision", "awaiting title/abstract decisions"))
        if self.awaiting_ft:
            waits.append(plural(self.awaiting_ft, "awaiting full-text decision", "awaiting full-text decisions"))
        return f"n = pending: {'; '.join(waits)}; {self.n:,} so far"


@dataclass(frozen=True)
class SourceCount:
    """Records identified from one source (None when the source has not been searched yet)."""

    name: str
    database: str       # the protocol's `database` (the source name when it has none)
    group: str          # Databases | Registers | Websites | Organisations | Citation searching
    n: int | None


@dataclass(frozen=True)
class DatabaseCount:
    """A line of the identification box: every source of one kind searching one database, summed."""

    key: str            # slug of the database name, unique in its column (`dbr.database.<key>`)
    label: str          # the database name as the protocol spells it (its first source's)
    group: str
    sources: tuple[SourceCount, ...]

    @property
    def searched(self) -> tuple[SourceCount, ...]:
        """Its sources searched so far."""
        return tuple(s for s in self.sources if s.n is not None)

    @property
    def n(self) -> int | None:
        """The sum of the searched sources' records; None when none of them is searched yet."""
        return sum(s.n or 0 for s in self.searched) if self.searched else None

    @property
    def waiting(self) -> tuple[str, ...]:
        """Names of its sources not searched yet."""
        return tuple(s.name for s in self.sources if s.n is None)

    def text(self) -> str:
        """`n = 689`, `not searched yet`, or `n = 300; 1 source not searched yet`."""
        n, waiting = self.n, len(self.waiting)
        if n is None:
            return str(SourceState.NOT_SEARCHED)
        if not waiting:
            return f"n = {n:,}"
        return f"n = {n:,}; {plural(waiting, 'source')} {SourceState.NOT_SEARCHED}"


@dataclass(frozen=True)
class Group:
    """A group of the identification box: e.g. Databases (n = 120) and its databases."""

    name: str
    n: int
    databases: tuple[DatabaseCount, ...]


@dataclass(frozen=True)
class ColumnCounts:
    """Every box of one PRISMA column."""

    key: str
    groups: tuple[Group, ...]
    identified: int
    duplicates: int
    automation: int
    removed_other: int
    screened: int
    records_excluded: Count
    sought: Count
    not_retrieved: Count
    assessed: Count
    reports_excluded: Count
    reasons: tuple[tuple[str, int], ...]
    included: Count
    excluded_by_rule: int = 0          # of records_excluded: by the stopping rule (PRISMA: automation tool)

    @property
    def name(self) -> str:
        return COLUMN_NAMES[self.key]

    @property
    def removed(self) -> int:
        return self.duplicates + self.automation + self.removed_other

    @property
    def shows_removed(self) -> bool:
        """Whether the diagram draws the "records removed before screening" box: always for databases and
        registers; for other methods (the PRISMA template has no such box) only when records were removed."""
        return self.key == DBR or bool(self.removed)


@dataclass(frozen=True)
class PrismaCounts:
    """The whole diagram: the databases-and-registers column, the other-methods column (or None)."""

    dbr: ColumnCounts
    other: ColumnCounts | None
    studies_included: Count
    reports_included: Count
    per_source_check: tuple[tuple[str, int, int], ...] = field(default=())  # (source, sources.json, records)

    @property
    def columns(self) -> tuple[ColumnCounts, ...]:
        return (self.dbr,) if self.other is None else (self.dbr, self.other)

    @property
    def complete(self) -> bool:
        return not self.studies_included.pending

    def expected(self) -> dict[str, Count | DatabaseCount]:
        """Every number the diagram shows, keyed as the SVG's `data-count` attributes."""
        out: dict[str, Count | DatabaseCount] = {}
        for col in self.columns:
            k = col.key
            for group in col.groups:
                out[f"{k}.group.{group.name}"] = Count(group.n)
                for database in group.databases:
                    out[f"{k}.database.{database.key}"] = database
            if col.shows_removed:
                out[f"{k}.duplicates"] = Count(col.duplicates)
                out[f"{k}.automation"] = Count(col.automation)
                out[f"{k}.removed_other"] = Count(col.removed_other)
            out[f"{k}.screened"] = Count(col.screened)
            for name in ("records_excluded", "sought", "not_retrieved", "assessed", "reports_excluded"):
                out[f"{k}.{name}"] = getattr(col, name)
            for i, (_, n) in enumerate(col.reasons):
                out[f"{k}.reason.{i}"] = Count(n)
            if col.excluded_by_rule:
                out[f"{k}.records_excluded_by_reviewers"] = Count(col.records_excluded.n - col.excluded_by_rule)
                out[f"{k}.records_excluded_by_rule"] = Count(col.excluded_by_rule)
        out["studies_included"] = self.studies_included
        out["reports_included"] = self.reports_included
        return out


def source_group(source: SourceEntry) -> str:
    """PRISMA identification line for a source: its kind, and for other methods a guess from its name."""
    if source.kind == "register":
        return "Registers"
    if source.kind != "other":
        return "Databases"
    text = f"{source.database} {source.name}".lower()
    if "citation" in text or "reference list" in text:
        return "Citation searching"
    if "organisation" in text or "organization" in text:
        return "Organisations"
    return "Websites"


def column_of(source: SourceEntry) -> str:
    return OTHER if source.kind == "other" else DBR


def slug(name: str) -> str:
    """`ClinicalTrials.gov` -> `clinicaltrials-gov`: a database name as a stable key."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "database"


def database_lines(sources: list[SourceEntry]) -> list[tuple[str, DatabaseCount]]:
    """(column, line) per database, in protocol order: sources of one column, group and database
    (compared ignoring case and spacing) make one line; keys are made unique per column."""
    members: dict[tuple[str, str, str], list[SourceCount]] = {}
    for source in sources:
        database = " ".join((source.database or source.name).split())
        count = SourceCount(source.name, database, source_group(source), source.records if source.searched_yet else None)
        members.setdefault((column_of(source), count.group, database.casefold()), []).append(count)
    used: set[tuple[str, str]] = set()
    out = []
    for (column, group, _), counts in members.items():
        base = key = slug(counts[0].database)
        suffix = 1
        while (column, key) in used:           # "Web of Science" and "Web-of-Science"; a database and a register
            suffix += 1
            key = f"{base}-{suffix}"
        used.add((column, key))
        out.append((column, DatabaseCount(key, counts[0].database, group, tuple(counts))))
    return out


def _groups(lines: list[tuple[str, DatabaseCount]], key: str) -> tuple[Group, ...]:
    names = ["Databases", "Registers"] if key == DBR else ["Websites", "Organisations", "Citation searching"]
    mine = [line for column, line in lines if column == key]
    groups = []
    for name in names:
        members = tuple(line for line in mine if line.group == name)
        if members or key == DBR:
            groups.append(Group(name, sum(line.n or 0 for line in members), members))
    return tuple(groups)


def study_columns(records: pl.DataFrame, clusters: pl.DataFrame, sources: list[SourceEntry]) -> pl.DataFrame:
    """record_id, study_id, source, column (of the record) and study_column (of its study)."""
    columns = {s.name: column_of(s) for s in sources}
    frame = clusters.select("record_id", "study_id").join(
        records.select("record_id", "source"), on="record_id", how="left")
    unknown = frame.filter(pl.col("source").is_null())
    if unknown.height:
        raise InternalError(f"{unknown.height} record(s) in clusters.parquet are not in records.parquet, "
                            f"e.g. {unknown['record_id'][0]!r}: rerun `python -m pipeline dedup`")
    nameless = sorted(set(frame["source"].unique().to_list()) - set(columns))
    if nameless:
        raise InternalError(f"records come from source(s) {', '.join(map(repr, nameless))} that "
                            "sources.json does not list: rerun `python -m pipeline import`")
    frame = frame.with_columns(pl.col("source").replace_strict(columns).alias("column"))
    return frame.with_columns(
        pl.when((pl.col("column") == OTHER).all().over("study_id")).then(pl.lit(OTHER)).otherwise(pl.lit(DBR))
        .alias("study_column"))


def _column(key: str, groups: tuple[Group, ...], records: pl.DataFrame, final: pl.DataFrame) -> ColumnCounts:
    mine = final.filter(pl.col("study_column") == key)
    ta, ft = pl.col("title_abstract"), pl.col("full_text")

    def count(expr: pl.Expr) -> int:
        return int(mine.select(expr.sum()).item() or 0)

    ta_pending = count(ta.is_in(TA_PENDING))
    ft_pending = count(ft.is_in(FT_PENDING))
    both = {"awaiting_ta": ta_pending, "awaiting_ft": ft_pending}
    excluded = mine.filter(ft == Outcome.EXCLUDE).with_columns(
        pl.col("full_text_reason").fill_null("").replace("", NO_REASON))
    reasons = excluded.group_by("full_text_reason").len().sort(["len", "full_text_reason"], descending=[True, False])
    n_records = records.filter(pl.col("column") == key).height
    return ColumnCounts(
        key=key, groups=groups, identified=sum(g.n for g in groups),
        duplicates=n_records - mine.height,
        automation=count(pl.col("automation") == INELIGIBLE),
        removed_other=0,
        screened=count(ta != Outcome.NOT_REACHED),
        records_excluded=Count(count(ta == Outcome.EXCLUDE), awaiting_ta=ta_pending),
        sought=Count(count(ft != Outcome.NOT_REACHED), awaiting_ta=ta_pending),
        not_retrieved=Count(count(ft == Outcome.NOT_RETRIEVED), **both),
        assessed=Count(count(ft.is_in((Outcome.INCLUDE, Outcome.EXCLUDE))), **both),
        reports_excluded=Count(count(ft == Outcome.EXCLUDE), **both),
        reasons=tuple((r, int(n)) for r, n in reasons.iter_rows()),
        included=Count(count(ft == Outcome.INCLUDE), **both),
        excluded_by_rule=(count((ta == Outcome.EXCLUDE) & (pl.col("stopped") == "title_abstract"))
                          if "stopped" in mine.columns else 0),
    )


def compute(sources: list[SourceEntry], records: pl.DataFrame, clusters: pl.DataFrame, final: pl.DataFrame,
            dedup_summary: DedupSummary, screening_summary: ScreeningSummary,
            groups: dict[str, str] | None = None, study_of: Mapping[str, str] | None = None) -> PrismaCounts:
    """Every PRISMA number from the stage files; raise InternalError when any identity fails.

    `study_of`: included report -> study (the extract stage's link table); without it, `groups`
    (dedup's linked_reports.csv: study_id -> trial group) joins a registration and its papers.
    """
    lines = database_lines(sources)
    membership = study_columns(records, clusters, sources)
    per_study = membership.select("study_id", "study_column").unique()
    joined = final.join(per_study, on="study_id", how="full", coalesce=True)
    orphans = joined.filter(pl.col("study_column").is_null())["study_id"].to_list()
    unscreened = joined.filter(pl.col("title_abstract").is_null())["study_id"].to_list()
    if orphans or unscreened:
        raise InternalError(
            "final.csv and clusters.parquet name different studies"
            + (f"; in final.csv only: {len(orphans)} (e.g. {orphans[0]!r})" if orphans else "")
            + (f"; in clusters.parquet only: {len(unscreened)} (e.g. {unscreened[0]!r})" if unscreened else "")
            + ": rerun `python -m pipeline screen`")
    has_other = any(column_of(s) == OTHER for s in sources)
    columns = [_column(k, _groups(lines, k), membership, joined)
               for k in ((DBR, OTHER) if has_other else (DBR,))]
    awaiting_ta = sum(c.included.awaiting_ta for c in columns)
    awaiting_ft = sum(c.included.awaiting_ft for c in columns)
    reports = Count(sum(c.included.n for c in columns), awaiting_ta, awaiting_ft)
    included = final.filter(pl.col("full_text") == Outcome.INCLUDE)["study_id"].to_list()
    if study_of is not None:
        unlinked = sorted(set(included) ^ set(study_of))
        if unlinked:
            raise UserError(f"the extract stage's link table and final.csv name different included reports "
                            f"(e.g. {unlinked[0]!r}): rerun `python -m pipeline extract`")
    studies = Count(len({study_of[r] if study_of is not None else (groups or {}).get(r, r) for r in included}), awaiting_ta, awaiting_ft)
    record_counts = dict(records.group_by("source").len().iter_rows())
    per_source = tuple((s.name, s.records, int(record_counts.get(s.name, 0))) for s in sources)
    counts = PrismaCounts(columns[0], columns[1] if has_other else None, studies, reports, per_source)
    problems = identity_problems(counts) + summary_problems(counts, membership, dedup_summary, screening_summary)
    if problems:
        raise InternalError("PRISMA counts do not add up:\n  - " + "\n  - ".join(problems))
    return counts


def identity_problems(counts: PrismaCounts) -> list[str]:
    """The PRISMA identities per column, each failure naming every number in it."""
    out = []
    for col in counts.columns:
        where = f"({col.name})"
        expect = col.identified - col.duplicates - col.automation - col.removed_other
        if col.screened != expect:
            out.append(f"records screened {where} = {col.screened}, but records identified ({col.identified}) "
                       f"- duplicates ({col.duplicates}) - marked ineligible by automation ({col.automation}) "
                       f"- removed for other reasons ({col.removed_other}) = {expect}")
        ta = col.sought.awaiting_ta
        if col.sought.n + ta != col.screened - col.records_excluded.n:
            out.append(f"reports sought for retrieval {where} = {col.sought.n}"
                       + (f" (+ {ta} awaiting title/abstract decisions)" if ta else "")
                       + f", but records screened ({col.screened}) - records excluded ({col.records_excluded.n}) "
                       f"= {col.screened - col.records_excluded.n}")
        ft = col.assessed.awaiting_ft
        if col.assessed.n + ft != col.sought.n - col.not_retrieved.n:
            out.append(f"reports assessed for eligibility {where} = {col.assessed.n}"
                       + (f" (+ {ft} awaiting full-text decisions)" if ft else "")
                       + f", but reports sought ({col.sought.n}) - reports not retrieved ({col.not_retrieved.n}) "
                       f"= {col.sought.n - col.not_retrieved.n}")
        if col.included.n != col.assessed.n - col.reports_excluded.n:
            out.append(f"reports of included studies {where} = {col.included.n}, but reports assessed ({col.assessed.n}) "
                       f"- reports excluded ({col.reports_excluded.n}) = {col.assessed.n - col.reports_excluded.n}")
    return out


def summary_problems(counts: PrismaCounts, membership: pl.DataFrame, dedup: DedupSummary,
                     screening: ScreeningSummary) -> list[str]:
    """Cross-checks against what import, dedup and screen said they did."""
    out = []
    for name, listed, found in counts.per_source_check:
        if listed != found:
            out.append(f"source {name!r}: sources.json says {listed} records, records.parquet holds {found}")
    cols = counts.columns
    total = {
        "records": sum(c.identified for c in cols), "clustered": membership.height,
        "studies": membership["study_id"].n_unique(), "duplicates": sum(c.duplicates for c in cols),
        "automation": sum(c.automation for c in cols), "screened": sum(c.screened for c in cols),
    }
    if total["clustered"] != total["records"]:
        out.append(f"clusters.parquet holds {total['clustered']} records, the sources identified {total['records']}")
    checks: list[tuple[str, int | None, str, int]] = [
        ("dedup summary.json records_in", dedup.records_in, "records in clusters.parquet", total["clustered"]),
        ("dedup summary.json studies", dedup.studies, "studies in clusters.parquet", total["studies"]),
        ("dedup summary.json duplicates_removed (sum)", dedup.removed_total,
         "duplicate records in the diagram", total["duplicates"]),
        ("screening summary.json automation.ineligible", screening.automation.ineligible,
         "studies marked ineligible in final.csv", total["automation"]),
    ]
    ta, ft = screening.stages.get("title_abstract"), screening.stages.get("full_text")
    if ta is None or ft is None:
        return out + [f"screening summary.json has no {'title_abstract' if ta is None else 'full_text'} stage"]

    def total_of(attr: str) -> int:
        return sum(getattr(c, attr).n for c in cols)

    checks += [
        ("title_abstract.studies", ta.studies, "records screened", total["screened"]),
        ("title_abstract.excluded", ta.excluded, "records excluded", total_of("records_excluded")),
        ("title_abstract.included", ta.included, "reports sought for retrieval", total_of("sought")),
        ("title_abstract.pending", ta.pending, "studies awaiting title/abstract decisions",
         sum(c.sought.awaiting_ta for c in cols)),
        ("full_text.studies", ft.studies, "reports sought for retrieval", total_of("sought")),
        ("full_text.not_retrieved", ft.not_retrieved, "reports not retrieved", total_of("not_retrieved")),
        ("full_text.excluded", ft.excluded, "reports excluded", total_of("reports_excluded")),
        ("full_text.included", ft.included, "reports of included studies", counts.reports_included.n),
        ("full_text.pending", ft.pending, "studies awaiting full-text decisions",
         sum(c.assessed.awaiting_ft for c in cols)),
    ]
    for label, stated, what, found in checks:
        if stated is None:
            out.append(f"{label} is missing")
        elif int(stated) != found:
            out.append(f"{label} = {stated}, but {what} = {found}")
    reasons: dict[str, int] = {}
    for col in cols:
        for reason, n in col.reasons:
            reasons[reason] = reasons.get(reason, 0) + n
    stated_reasons = {(k or NO_REASON): v for k, v in (ft.excluded_by_reason or {}).items() if v}
    if stated_reasons != reasons:
        out.append(f"full_text.excluded_by_reason = {stated_reasons}, but final.csv gives {reasons}")
    return out
