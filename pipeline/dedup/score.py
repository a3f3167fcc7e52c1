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
    columns["a_n"] = pl.min_horizontal(left["a_count_a"], right["a_count_b"]).alias("a_n")
    for side, frame in (("a", left), ("b", right)):
        columns[f"numbered_{side}"] = (
            frame[f"vol_{side}"].is_not_null() | frame[f"iss_{side}"].is_not_null() | frame[f"pg_first_{side}"].is_not_null()
        ).alias(f"numbered_{side}")
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


def match_score() -> pl.Expr:
    """One 0-1 similarity per pair for ordering and review: title weighs most, then authors,
    abstract, journal and first page; missing fields are left out of the average."""
    parts = [
        (pl.col("t_sim"), 0.5),
        (pl.max_horizontal("a_sim", pl.col("a_part") * 0.95), 0.2),
        (pl.col("ab_sim"), 0.15),
        (pl.max_horizontal("j_sim", (pl.col("jc_eq") == 1).cast(pl.Float64)), 0.05),
        (pl.when(pl.col("pg_eq") != 0).then((pl.col("pg_eq") + 1) / 2), 0.1),
    ]
    num = pl.sum_horizontal([e.fill_null(0) * w for e, w in parts])
    den = pl.sum_horizontal([e.is_not_null().cast(pl.Float64) * w for e, w in parts])
    return (num / den).round(4)


_AUTHORS_PRESENT = pl.col("a_sim").is_not_null()
_AUTHORS_AGREE = (pl.col("a_sim") >= 0.8) | ((pl.col("a_part") >= 0.9) & (pl.col("a_n") >= 2))
_AUTHORS_OVERLAP = (pl.col("a_sim") >= 0.5) | (pl.col("a_part") >= 0.8) | ~_AUTHORS_PRESENT | (pl.col("a1_eq") == 1)
_SAME_NUMBERS = (pl.col("pg_eq") == 1) & (pl.col("jc_eq") == 1) & (pl.col("year_diff") == 0)


def _flag(condition: pl.Expr) -> pl.Expr:
    return condition.fill_null(False).cast(pl.Int8)


# How many other fields agree (first page, volume, issue, DOI, abstract, journal, year) minus
# the ones that speak against (a different DOI, a clearly different abstract).
CONTEXT = (
    _flag(pl.col("pg_eq") == 1) + _flag(pl.col("vol_eq") == 1) + _flag(pl.col("iss_eq") == 1)
    + _flag(pl.col("doi_eq") == 1) + _flag(pl.col("ab_sim") >= 0.9) + _flag(pl.col("jc_eq") == 1)
    + _flag(pl.col("year_diff") == 0) - _flag(pl.col("doi_eq") == -1) - _flag(pl.col("ab_sim") < 0.7)
)
# Same PMID or PMCID; or the same DOI with the same title (a DOI alone is not trusted: conference
# abstracts in one journal supplement share the supplement's DOI).
IDENTIFIER = (
    (pl.col("pmid_eq") == 1) | (pl.col("pmcid_eq") == 1)
    | ((pl.col("doi_eq") == 1) & ((pl.col("t_sim") >= 0.9) | ((pl.col("t_sim") >= 0.8) & _AUTHORS_AGREE & (pl.col("jc_eq") == 1))))
)
# Fuzzy matches: the closer the titles, the less other agreement is needed.
FUZZY = (
    ((pl.col("t_sim") >= 0.95) & _AUTHORS_AGREE & (CONTEXT >= 2))
    | ((pl.col("t_sim") >= 0.9) & _AUTHORS_AGREE & (CONTEXT >= 4))
    | ((pl.col("t_sim") >= 0.85) & _AUTHORS_AGREE & (CONTEXT >= 5) & (pl.col("pg_eq") == 1))
    | ((pl.col("t_sim") >= 0.97) & ~_AUTHORS_PRESENT & (CONTEXT >= 3))
    | ((pl.col("t_sim") >= 0.98) & (pl.col("a_sim") >= 0.9) & (pl.col("year_diff") == 0) & (CONTEXT >= 1))
    # one title is the other plus a subtitle, in the same journal, volume and pages
    | ((pl.col("t_set") >= 0.97) & _AUTHORS_AGREE & _SAME_NUMBERS & ((pl.col("vol_eq") == 1) | (pl.col("doi_eq") == 1)))
    # same title, journal, volume, first page and year: the author lists are garbled, not different
    | ((pl.col("t_sim") >= 0.97) & _SAME_NUMBERS & (pl.col("vol_eq") == 1))
)
# Worth a person's look: similar titles by overlapping authors that the rules did not merge.
BORDERLINE = (pl.col("t_sim") >= 0.8) & _AUTHORS_OVERLAP


def classify(features: pl.DataFrame) -> pl.DataFrame:
    """Add `decision` ("identifier", "fuzzy", "review" or null) and `score` to vetoed pair features.

    A vetoed pair is never merged; it goes to review only when its titles are nearly identical.
    """
    decision = (
        pl.when(pl.col("veto").is_not_null())
        .then(pl.when(BORDERLINE & (pl.col("t_sim") >= 0.95)).then(pl.lit("review")))
        .when(IDENTIFIER.fill_null(False)).then(pl.lit("identifier"))
        .when(FUZZY.fill_null(False)).then(pl.lit("fuzzy"))
        .when(BORDERLINE.fill_null(False)).then(pl.lit("review"))
    )
    return features.with_columns(decision.alias("decision"), match_score().alias("score"))
