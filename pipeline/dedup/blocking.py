"""Candidate pairs: only records that share some key are ever compared.

Each blocking key puts records into groups; every pair inside a small group is a candidate. A group
that is too big to compare all-against-all (a common short title, a shared conference-supplement
DOI) contributes only neighbours in title order, so the number of candidates grows about linearly
with the number of records.
"""

from __future__ import annotations

import polars as pl

MAX_GROUP = 60      # larger groups are compared with their title-order neighbours only
WINDOW = 6          # how many neighbours each record meets inside a large group

def _longest_words(text: pl.Expr, n: int) -> pl.Expr:
    """The n longest words of a text, alphabetically: rare words that survive small title edits."""
    return text.str.split(" ").list.eval(
        pl.element().sort_by(pl.element().str.len_chars(), pl.element(), descending=[True, False]).head(n).sort()
    ).list.join(" ")


# name -> key expression over the prepared frame (see normalise.prepare); null keys never match.
KEYS: dict[str, pl.Expr] = {
    "doi": pl.col("doi"),
    "pmid": pl.col("pmid"),
    "pmcid": pl.col("pmcid"),
    "title_start": pl.when(pl.col("t_key").str.len_chars() >= 12).then(pl.col("t_key").str.slice(0, 32)),
    "title_end": pl.when(pl.col("t_key").str.len_chars() >= 12).then(pl.col("t_key").str.slice(-32)),
    "title_middle": pl.when(pl.col("t_key").str.len_chars() >= 48).then(
        pl.col("t_key").str.slice(pl.col("t_key").str.len_chars() // 2 - 12, 24)),
    "author_year_page": pl.concat_str(pl.col("a_first"), pl.col("year"), pl.col("pg_first"), separator="|"),
    "volume_page": pl.concat_str(pl.col("j_init"), pl.col("vol"), pl.col("pg_first"), separator="|"),
    "author_title_words": pl.concat_str(
        pl.col("a_first"), _longest_words(pl.col("t_norm"), 3), separator="|"),
    "abstract_start": pl.when(pl.col("ab_norm").str.len_chars() >= 100).then(pl.col("ab_norm").str.slice(0, 80)),
}


def candidate_pairs(prepared: pl.DataFrame, keys: dict[str, pl.Expr] | None = None) -> pl.DataFrame:
    """Unique candidate pairs (i < j) with the first blocking key that proposed each."""
    keys = KEYS if keys is None else keys
    frames = [_pairs_for_key(prepared, name, expr) for name, expr in keys.items()]
    pairs = pl.concat(frames) if frames else pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "via": pl.Utf8})
    return pairs.unique(["i", "j"], keep="first", maintain_order=True).sort("i", "j")


def _pairs_for_key(prepared: pl.DataFrame, name: str, expr: pl.Expr) -> pl.DataFrame:
    keyed = (
        prepared.select("i", "t_key", expr.alias("key"))
        .filter(pl.col("key").is_not_null())
        .with_columns(pl.len().over("key").alias("size"))
        .filter(pl.col("size") > 1)
    )
    small = keyed.filter(pl.col("size") <= MAX_GROUP).select("i", "key")
    all_pairs = (
        small.join(small, on="key", suffix="_b")
        .filter(pl.col("i") < pl.col("i_b"))
        .select("i", pl.col("i_b").alias("j"))
    )
    large = keyed.filter(pl.col("size") > MAX_GROUP).sort("key", "t_key", "i")
    if large.height == 0:
        return all_pairs.with_columns(pl.lit(name).alias("via"))
    neighbours = [
        large.select(
            pl.col("i"),
            pl.col("i").shift(-step).over("key").alias("j"),
        ).drop_nulls()
        for step in range(1, WINDOW + 1)
    ]
    window_pairs = pl.concat(neighbours).select(
        pl.min_horizontal("i", "j").alias("i"), pl.max_horizontal("i", "j").alias("j")
    )
    return pl.concat([all_pairs, window_pairs]).with_columns(pl.lit(name).alias("via"))
