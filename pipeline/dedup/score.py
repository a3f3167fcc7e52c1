"""Similarity features of candidate pairs, computed with rapidfuzz's vectorised pairwise calls.

`rapidfuzz.process.cpdist` compares element k of one list with element k of the other in C++ on
every core, so scoring a million pairs takes no Python loop over pairs.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from pipeline.dedup.normalise import journals_compatible

# Which prepared columns are compared as text, and with which scorer.
TEXT_FEATURES: dict[str, tuple[str, object]] = {
    "t_sim": ("t_norm", fuzz.ratio),
    "t_set": ("t_norm", fuzz.token_set_ratio),
    "a_sim": ("a_norm", fuzz.ratio),
    "a_part": ("a_norm", fuzz.partial_ratio),
    "j_sim": ("j_norm", fuzz.ratio),
    "ab_sim": ("ab_norm", fuzz.ratio),
}
# Fields compared for equality: 1 = both present and equal, -1 = both present and different, 0 = one missing.
EQUAL_FEATURES = {
    "doi_eq": "doi", "pmid_eq": "pmid", "pmcid_eq": "pmcid", "vol_eq": "vol", "iss_eq": "iss",
    "pg_eq": "pg_first", "pgl_eq": "pg_last", "ji_eq": "j_init", "kind_eq": "kind", "part_eq": "part",
    "reg_eq": "reg", "a1_eq": "a_first",
}


def pair_features(prepared: pl.DataFrame, pairs: pl.DataFrame, workers: int = -1) -> pl.DataFrame:
    """`pairs` (i, j, via) with similarity (0-1) and agreement (-1/0/1) columns added."""
    if pairs.height == 0:
        return pairs.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(n) for n in TEXT_FEATURES]
            + [pl.lit(None, dtype=pl.Int8).alias(n) for n in EQUAL_FEATURES]
            + [pl.lit(None, dtype=pl.Int32).alias("year_diff")]
        )
    left = prepared.select(pl.all().name.suffix("_a")).join(
        pairs.select("i"), left_on="i_a", right_on="i", how="right", maintain_order="right")
    right = prepared.select(pl.all().name.suffix("_b")).join(
        pairs.select(pl.col("j").alias("i")), left_on="i_b", right_on="i", how="right", maintain_order="right")
    columns: dict[str, object] = {}
    for name, (field, scorer) in TEXT_FEATURES.items():
        a, b = left[f"{field}_a"], right[f"{field}_b"]
        scores = process.cpdist(
            a.fill_null("").to_list(), b.fill_null("").to_list(), scorer=scorer, workers=workers, dtype=np.uint8
        )
        present = (a.is_not_null() & b.is_not_null()).to_numpy()
        columns[name] = pl.Series(name, np.where(present, scores / 100.0, np.nan)).fill_nan(None)
    for name, field in EQUAL_FEATURES.items():
        a, b = left[f"{field}_a"], right[f"{field}_b"]
        both = a.is_not_null() & b.is_not_null()
        columns[name] = (
            pl.select(pl.when(~both).then(0).when(a == b).then(1).otherwise(-1).cast(pl.Int8).alias(name))
            .to_series()
        )
    columns["year_diff"] = (left["year_a"] - right["year_b"]).abs().alias("year_diff")
    columns["jc_eq"] = journal_agreement(left["j_norm_a"], right["j_norm_b"], columns["j_sim"])
    return pairs.with_columns(**columns)


def journal_agreement(a: pl.Series, b: pl.Series, similarity: pl.Series) -> pl.Series:
    """1 when two journal names can be the same journal (abbreviation, initials, spelling), -1 when
    not, 0 when one is missing. The abbreviation check runs once per distinct pair of names."""
    names = pl.DataFrame({"a": a, "b": b, "sim": similarity})
    distinct = names.filter(pl.col("a").is_not_null() & pl.col("b").is_not_null() & (pl.col("a") != pl.col("b"))).unique(["a", "b"])
    verdicts = distinct.with_columns(
        pl.Series("ok", [journals_compatible(x, y) for x, y in zip(distinct["a"].to_list(), distinct["b"].to_list())],
                  dtype=pl.Boolean)
    ).select("a", "b", "ok")
    joined = names.join(verdicts, on=["a", "b"], how="left", maintain_order="left")
    return joined.select(
        pl.when(pl.col("a").is_null() | pl.col("b").is_null()).then(0)
        .when((pl.col("a") == pl.col("b")) | pl.col("ok") | (pl.col("sim") >= 0.85)).then(1)
        .otherwise(-1).cast(pl.Int8).alias("jc_eq")
    ).to_series()


def match_score(features: pl.DataFrame) -> pl.Expr:
    """One 0-1 similarity per pair: title weighs most, then authors, abstract and journal."""
    parts = [
        (pl.col("t_sim"), 0.5),
        (pl.max_horizontal("a_sim", pl.col("a_part") * 0.95), 0.2),
        (pl.col("ab_sim"), 0.15),
        (pl.max_horizontal("j_sim", (pl.col("ji_eq") == 1).cast(pl.Float64)), 0.05),
        ((pl.col("pg_eq") + 1) / 2, 0.1),
    ]
    num = pl.sum_horizontal([e.fill_null(0) * w for e, w in parts])
    den = pl.sum_horizontal([e.is_not_null().cast(pl.Float64) * w for e, w in parts])
    return (num / den).round(4)
