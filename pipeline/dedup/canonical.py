"""One record per study: the best values of its members, PubMed metadata first.

The member whose values lead is chosen deterministically: a PubMed record (its record id is its
PMID) before any other, then the most complete record, then the smallest record id. Every other
field falls back, in the same member order, to the first member that has a value.
"""

from __future__ import annotations

import polars as pl

from pipeline.records import FLAG_COLUMNS, LIST_COLUMNS, RECORD_SCHEMA

_COMPLETENESS_FIELDS = ["pmid", "doi", "title", "abstract", "year", "journal", "volume", "issue", "pages"]


def member_rank(records: pl.DataFrame) -> pl.DataFrame:
    """`records` with `pubmed` (bool) and `completeness` (int) columns used to order members."""
    pubmed = pl.col("pmid").is_not_null() & (pl.col("record_id") == pl.col("source") + ":" + pl.col("pmid"))
    filled = pl.sum_horizontal(
        [pl.col(c).is_not_null().cast(pl.Int32) for c in _COMPLETENESS_FIELDS]
        + [(pl.col("authors").list.len() > 0).cast(pl.Int32)]
    )
    return records.with_columns(pubmed.fill_null(False).alias("pubmed"), filled.alias("completeness"))


def ordered_members(records: pl.DataFrame, study_of: pl.DataFrame) -> pl.DataFrame:
    """Records joined to their `study_key`, sorted so each study's leading member comes first."""
    ranked = member_rank(records).join(study_of, on="record_id", how="left")
    return ranked.sort(["study_key", "pubmed", "completeness", "record_id"], descending=[False, True, True, False])


def studies(records: pl.DataFrame, study_of: pl.DataFrame) -> pl.DataFrame:
    """One row per study (study_of: record_id -> study_key) with merged fields and member lists."""
    ordered = ordered_members(records, study_of)
    aggregations = []
    for name in RECORD_SCHEMA:
        if name in ("registry_ids", "updated_in"):  # every member's trial numbers and updates belong to the study
            aggregations.append(pl.col(name).explode().drop_nulls().unique(maintain_order=True).alias(name))
        elif name in LIST_COLUMNS:
            aggregations.append(pl.col(name).filter(pl.col(name).list.len() > 0).first().alias(name))
        elif name in FLAG_COLUMNS:
            aggregations.append(pl.col(name).any().alias(name))
        elif name in ("record_id", "source", "source_file", "source_record_id"):
            aggregations.append(pl.col(name).first().alias(name))
        else:
            aggregations.append(pl.col(name).drop_nulls().first().alias(name))
    grouped = ordered.group_by("study_key", maintain_order=True).agg(
        *aggregations,
        pl.col("record_id").sort().alias("member_ids"),
        pl.col("source").unique().sort().alias("sources"),
        pl.len().cast(pl.Int32).alias("n_members"),
    )
    frame = grouped.with_columns(pl.col("record_id").alias("study_id"))
    list_fill = [pl.col(c).fill_null(pl.lit([], dtype=RECORD_SCHEMA[c])) for c in LIST_COLUMNS]
    frame = frame.with_columns(list_fill)
    columns = ["study_id", *RECORD_SCHEMA, "member_ids", "sources", "n_members"]
    return frame.select([pl.col(c).cast(RECORD_SCHEMA[c]) if c in RECORD_SCHEMA else pl.col(c) for c in columns]).sort("study_id")


def leaders(records: pl.DataFrame, study_of: pl.DataFrame) -> pl.DataFrame:
    """study_key -> study_id: the record id of each study's leading member."""
    ordered = ordered_members(records, study_of)
    return ordered.group_by("study_key", maintain_order=True).agg(pl.col("record_id").first().alias("study_id"))
