"""Small record builders shared by the dedup tests."""

from __future__ import annotations

import polars as pl

from pipeline.records import conform

BASE = {
    "title": "Ischemic preconditioning limits infarct size in the isolated rabbit heart",
    "authors": ["Smith J", "Kloner RA", "Downey JM"],
    "year": 2001, "journal": "J Mol Cell Cardiol", "volume": "33", "issue": "4", "pages": "185-9",
    "abstract": "Brief episodes of ischemia protect the heart against a later sustained ischemic insult; "
                "we measured infarct size in isolated rabbit hearts after preconditioning.",
}


def record(record_id: str, **fields: object) -> dict:
    """One record: the shared base article with `fields` changed; source is the id's prefix."""
    source = record_id.split(":")[0]
    return {**BASE, "record_id": record_id, "source": source, "source_record_id": record_id.split(":")[1], **fields}


def frame(*rows: dict) -> pl.DataFrame:
    """A records table (RECORD_SCHEMA) of `rows`."""
    return conform(pl.DataFrame(list(rows), infer_schema_length=None))


def study_of(clusters: pl.DataFrame) -> dict[str, str]:
    return dict(clusters.select("record_id", "study_id").iter_rows())
