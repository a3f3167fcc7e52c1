"""Possible duplicates among included studies: pairs dedup left apart that share an identifier.

Dedup does not trust a DOI alone when the titles differ, and its vetoes keep apart records whose
pages or volumes disagree, so two included studies can still be one report. Two included studies
are flagged when any record of one and any record of the other have the same DOI (as dedup reads
it: `normalise.doi_key`), the same PMID, or the same normalised title, year and journal (all three
present). A pair a person already called `not_duplicate` in `decisions.csv` (any record of one
against any record of the other) is not flagged again.

Each flag comes with the two rows that settle it, in the layout of the decisions file (its header
order and delimiter): one merging the records that share the key, one keeping them apart. Either
row, added to `decisions.csv`, makes the flag go away on the next `make dedup`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipeline.contracts import DEDUP_DECISION_COLUMNS, DedupDecision
from pipeline.dedup import normalise
from pipeline.textio import csv_line

SAME_DOI, SAME_PMID, SAME_CITATION = "same DOI", "same PMID", "same title, year and journal"
# Each reason and the record keys (`record_keys` columns) that must all be present and equal.
KEYS: dict[str, tuple[str, ...]] = {SAME_DOI: ("doi",), SAME_PMID: ("pmid",),
                                    SAME_CITATION: ("title", "year", "journal")}
COLUMNS = ["study_id_a", "study_id_b", "record_id_a", "record_id_b", "reason", "title_a", "title_b"]
SCHEMA = dict.fromkeys(COLUMNS, pl.Utf8)
NOTE = "possible duplicate among included studies"
# Of the record pairs that share a key, the settlement names the studies' own ids when it can.
_NOT_LEADERS = ((pl.col("record_id") != pl.col("study_id")).cast(pl.Int8)
                + (pl.col("record_id_b") != pl.col("study_id_b")).cast(pl.Int8))


def record_keys(records: pl.DataFrame) -> pl.DataFrame:
    """record_id and the keys compared here, normalised as dedup normalises them (`normalise.prepare`)."""
    keys = normalise.prepare(records).select(
        "doi",
        pl.col("pmid").str.strip_chars().replace("", None).alias("pmid"),
        pl.col("t_norm").alias("title"),
        pl.col("year").cast(pl.Utf8).alias("year"),
        pl.col("j_norm").alias("journal"),
    )
    return pl.concat([records.select("record_id"), keys], how="horizontal")


def _settled(decisions: pl.DataFrame | None, study_of: pl.DataFrame) -> pl.DataFrame:
    """Study pairs (study_id_a < study_id_b) a person marked not_duplicate through any of their records."""
    if decisions is None or decisions.height == 0:
        return pl.DataFrame(schema={"study_id_a": pl.Utf8, "study_id_b": pl.Utf8})
    apart = decisions.filter(pl.col("decision") == str(DedupDecision.NOT_DUPLICATE))
    pairs = (apart.join(study_of.rename({"record_id": "record_id_a", "study_id": "s_a"}), on="record_id_a")
             .join(study_of.rename({"record_id": "record_id_b", "study_id": "s_b"}), on="record_id_b"))
    return pairs.select(pl.min_horizontal("s_a", "s_b").alias("study_id_a"),
                        pl.max_horizontal("s_a", "s_b").alias("study_id_b")).unique()


def find(included: pl.DataFrame, records: pl.DataFrame, decisions: pl.DataFrame | None = None) -> pl.DataFrame:
    """Pairs of distinct included studies that may be one (COLUMNS), ordered by study ids.

    `included`: study_id, member_ids, title (the included studies, as `report.exports.included`
    chooses them); `records`: RECORD_SCHEMA (the studies' member records); `decisions`:
    `dedup.decisions.read`. One row per pair of studies: `reason` lists every reason with its shared
    value ("same DOI 10.1/x; same PMID 123"), and `record_id_a`/`record_id_b` are the records of
    study a and study b that share the first of them.
    """
    study_of = (included.select("study_id", pl.col("member_ids").alias("record_id")).explode("record_id")
                .drop_nulls("record_id").unique("record_id", keep="first"))
    mine = records.join(study_of, on="record_id", how="semi")
    if mine.height == 0:
        return pl.DataFrame(schema=SCHEMA)
    keys = record_keys(mine).join(study_of, on="record_id")
    found = []
    for order, (reason, columns) in enumerate(KEYS.items()):
        side = keys.drop_nulls(list(columns)).select("study_id", "record_id", *columns)
        value = pl.lit(reason) if len(columns) > 1 else pl.format(f"{reason} {{}}", pl.col(columns[0]))
        found.append(
            side.join(side, on=list(columns), suffix="_b")
            .filter(pl.col("study_id") < pl.col("study_id_b"))
            .sort(_NOT_LEADERS, "record_id", "record_id_b")
            .unique(["study_id", "study_id_b"], keep="first", maintain_order=True)
            .select(pl.col("study_id").alias("study_id_a"), "study_id_b", pl.col("record_id").alias("record_id_a"),
                    "record_id_b", value.alias("reason"), pl.lit(order).alias("order")))
    pairs = pl.concat(found).join(_settled(decisions, study_of), on=["study_id_a", "study_id_b"], how="anti")
    pairs = pairs.sort("study_id_a", "study_id_b", "order").group_by("study_id_a", "study_id_b", maintain_order=True).agg(
        pl.col("record_id_a").first(), pl.col("record_id_b").first(), pl.col("reason").str.join("; "))
    titles = included.select("study_id", pl.col("title").cast(pl.Utf8)).unique("study_id")
    return (pairs.join(titles.rename({"study_id": "study_id_a", "title": "title_a"}), on="study_id_a", how="left")
            .join(titles.rename({"study_id": "study_id_b", "title": "title_b"}), on="study_id_b", how="left")
            .select(COLUMNS))


def settlement(record_a: str, record_b: str, decision: DedupDecision, header: Sequence[str] = DEDUP_DECISION_COLUMNS,
               delimiter: str = ",") -> str:
    """The row that records `decision` for two records, laid out as the decisions file is: `header`
    gives each of its columns as the pipeline names it (DEDUP_DECISION_COLUMNS; "" for a column of
    the person's own, left empty). Spreadsheet-guarded, without line end."""
    cells = {"record_id_a": record_a, "record_id_b": record_b, "decision": str(decision), "notes": NOTE}
    return csv_line([cells.get(name, "") for name in header], delimiter=delimiter).rstrip("\r\n")


def with_settlements(pairs: pl.DataFrame, header: Sequence[str] = DEDUP_DECISION_COLUMNS,
                     delimiter: str = ",") -> pl.DataFrame:
    """`pairs` (COLUMNS) with `merge` and `keep_apart`: the decisions rows that settle each pair."""
    def lines(decision: DedupDecision) -> pl.Series:
        return pl.Series([settlement(a, b, decision, header, delimiter)
                          for a, b in pairs.select("record_id_a", "record_id_b").iter_rows()], dtype=pl.Utf8)

    return pairs.with_columns(lines(DedupDecision.DUPLICATE).alias("merge"),
                              lines(DedupDecision.NOT_DUPLICATE).alias("keep_apart"))
