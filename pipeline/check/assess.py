"""Which included studies are retracted or under an expression of concern, and what people said
about each (pure functions over the studies table, final decisions, the newest check and the protocol).

A study is flagged when Crossref's updates (the newest `make check` snapshot) or its records' own
flags (PubMed's RetractionIn / ExpressionOfConcernIn, Europe PMC's relations) say it is retracted
or under an expression of concern. A flagged *included* study blocks the review from being called
complete until the protocol acknowledges it under [[retractions]]: kept (with the reason) or
excluded (and then excluded at full text). Included studies with a DOI that the newest check did
not cover block too: the report cannot say "checked on <date>" for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipeline.check.crossref_json import FLAGGED
from pipeline.protocol import RetractionAcknowledgment
from pipeline.records import normalise_doi

STILL_OPEN_TA = ("include", "pending", "conflict")
STILL_OPEN_FT = ("", "include", "pending", "conflict")
LABELS = {"retracted": "retracted", "concern": "under an expression of concern"}


@dataclass(frozen=True)
class Flag:
    """One flagged study: what says so, whether it is included, and what the protocol says."""

    study_id: str
    title: str
    doi: str | None
    status: str                          # "retracted" or "concern"
    evidence: tuple[str, ...]            # e.g. "Crossref: retraction 2022-02-03 (retraction-watch) 10.x/notice"
    included: bool
    acknowledgment: RetractionAcknowledgment | None = None

    @property
    def problem(self) -> str | None:
        """Why this flag still blocks the review, or None."""
        if not self.included:
            return None
        if self.acknowledgment is None:
            return (f"{self.study_id} is {LABELS[self.status]} and included: acknowledge it in the protocol "
                    "([[retractions]]: decision = \"keep\" with a reason, or \"exclude\")")
        if self.acknowledgment.decision == "exclude":
            return (f"{self.study_id} is acknowledged as excluded ([[retractions]]) but is still included: "
                    "exclude it in the full-text sheets")
        return None


@dataclass(frozen=True)
class Assessment:
    """The retraction state of the review."""

    checked_at: str | None               # when the newest check ran (None: never)
    snapshot: str | None
    checked: int                         # studies the newest check looked up
    flags: tuple[Flag, ...]
    unchecked: tuple[str, ...]           # included studies with a DOI the newest check did not cover
    no_doi: tuple[str, ...]              # included studies without a DOI (PubMed's own flags only)
    unused: tuple[RetractionAcknowledgment, ...] = field(default=())   # acknowledgments matching no flag
    check_command: str = "make check"     # the command that checks them (`hints.make`)

    @property
    def blocking(self) -> list[str]:
        """Every reason the review cannot be called complete, one sentence each."""
        out = [f.problem for f in self.flags if f.problem]
        if self.unchecked:
            out.append(f"{len(self.unchecked)} included {'study has' if len(self.unchecked) == 1 else 'studies have'} "
                       f"not been checked for retractions: run `{self.check_command}` (needs network)")
        return out

    @property
    def ok(self) -> bool:
        return not self.blocking


def candidates(studies: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
    """Studies still in the running or included: study_id, doi, title, included, retracted, concern."""
    open_ = final.filter(pl.col("title_abstract").is_in(STILL_OPEN_TA) & pl.col("full_text").is_in(STILL_OPEN_FT)
                         & (pl.col("automation") != "ineligible"))
    chosen = studies.join(open_.select("study_id", "full_text"), on="study_id", how="inner")
    return chosen.select(
        "study_id", pl.col("doi").map_elements(normalise_doi, return_dtype=pl.Utf8).alias("doi"),
        pl.col("title").fill_null(""), (pl.col("full_text") == "include").alias("included"),
        pl.col("retracted").fill_null(False), pl.col("has_expression_of_concern").fill_null(False).alias("concern"),
    ).sort("study_id")


def assess(candidates: pl.DataFrame, log: dict | None, acknowledged: tuple[RetractionAcknowledgment, ...],
           snapshot: str | None = None, check_command: str = "make check") -> Assessment:
    """Flags from the newest check log and the records' own flags, matched to the protocol's acknowledgments."""
    checked = {row["study_id"]: row for row in (log or {}).get("studies", [])}
    by_doi = {normalise_doi(a.doi): a for a in acknowledged if a.doi}
    by_study = {a.study: a for a in acknowledged if a.study}
    flags, unchecked, no_doi, used = [], [], [], set()
    for row in candidates.iter_rows(named=True):
        evidence, statuses = [], set()
        entry = checked.get(row["study_id"])
        if entry and entry.get("doi") == row["doi"] and entry.get("status") in FLAGGED:
            statuses.add(entry["status"])
            for u in entry.get("updates", []):
                if u.get("direction") == "updated-by" and u.get("kind") in ("retraction", "partial_retraction", "withdrawal",
                                                                             "removal", "expression_of_concern"):
                    evidence.append(f"Crossref: {u['kind'].replace('_', ' ')}"
                                    + "".join(f" {x}" for x in (u.get("date"), f"({u['source']})" if u.get("source") else None,
                                                                 u.get("doi")) if x))
        if row["retracted"]:
            statuses.add("retracted")
            evidence.append("record flag: retracted (PubMed or Europe PMC)")
        if row["concern"]:
            statuses.add("concern")
            evidence.append("record flag: expression of concern (PubMed or Europe PMC)")
        if row["included"]:
            if not row["doi"]:
                no_doi.append(row["study_id"])
            elif entry is None or entry.get("doi") != row["doi"]:
                unchecked.append(row["study_id"])
        if not statuses:
            continue
        ack = by_study.get(row["study_id"]) or (by_doi.get(row["doi"]) if row["doi"] else None)
        if ack is not None:
            used.add(id(ack))
        flags.append(Flag(row["study_id"], row["title"], row["doi"], "retracted" if "retracted" in statuses else "concern",
                          tuple(evidence), bool(row["included"]), ack))
    return Assessment(
        checked_at=(log or {}).get("finished_at"), snapshot=snapshot, checked=len(checked), flags=tuple(flags),
        unchecked=tuple(unchecked), no_doi=tuple(no_doi), unused=tuple(a for a in acknowledged if id(a) not in used),
        check_command=check_command)
