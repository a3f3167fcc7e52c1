"""Similarity features of candidate pairs, computed with rapidfuzz's vectorised pairwise calls.

`rapidfuzz.process.cpdist` compares element k of one list with element k of the other in C++ on
every core, so scoring a million pairs takes no Python loop over pairs.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from pipeline.dedup.normalise import journals_compatible
from pipeline.dedup.thresholds import Thresholds, shipped

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
    "doi_eq": "doi", "pmid_eq": "pmid", "pmcid_eq": "pmcid", "vol_eq": "vol",
    "pg_eq": "pg_first", "pgl_eq": "pg_last", "pgk_eq": "pg_key", "ji_eq": "j_init", "kind_eq": "kind", "part_eq": "part",
    "reg_eq": "reg", "a1_eq": "a_first", "regrec_eq": "is_reg",
}


MIN_TITLE = 0.5  # below this title similarity no rule can match, so the other features are skipped
ISSUE_LIMIT = 100  # larger "issues" may be a database's record number: differing ones are no evidence
# Numbers, single letters and roman numerals: "Study 1" / "Study 2", "Case A" / "Case B", "Part I" / "Part II".
_NUMBERS = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
            "x": "10", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "first": "1", "second": "2",
            "third": "3"}


def pair_features(prepared: pl.DataFrame, pairs: pl.DataFrame, workers: int = -1) -> pl.DataFrame:
    """`pairs` (i, j, via) with similarity (0-1) and agreement (-1/0/1) columns added.

    Titles are compared first; pairs whose titles are too far apart for any rule (and that share
    no PMID or PMCID) are dropped before the other fields are compared.
    """
    if pairs.height == 0:
        return pairs.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(n) for n in TEXT_FEATURES]
            + [pl.lit(None, dtype=pl.Int8).alias(n) for n in EQUAL_FEATURES]
            + [pl.lit(None, dtype=pl.Int32).alias(n) for n in ("year_diff", "a_n", "t_len")]
            + [pl.lit(None, dtype=pl.Int8).alias(n) for n in ("jc_eq", "iss_eq")]
            + [pl.lit(False).alias(n) for n in ("numbered_a", "numbered_b", "recurring", "one_marker")]
        )
    t_sim = _similarity(prepared["t_norm"], pairs["i"], pairs["j"], fuzz.ratio, workers)
    same_id = _agreement(prepared["pmid"], pairs["i"], pairs["j"]) + _agreement(prepared["pmcid"], pairs["i"], pairs["j"])
    keep = (t_sim.fill_null(0) >= MIN_TITLE) | (same_id > 0)
    pairs = pairs.filter(keep)
    left, right = pairs["i"], pairs["j"]
    columns: dict[str, pl.Series] = {"t_sim": t_sim.filter(keep)}
    for name, field in EQUAL_FEATURES.items():
        columns[name] = _agreement(prepared[field], left, right).alias(name)
    columns["iss_eq"] = issue_agreement(prepared["iss"], prepared["iss_last"], left, right)
    # Word-set similarity only where it can matter: a title that is the other plus a subtitle, on the same page.
    subset = ((columns["t_sim"] < 0.97) & (columns["pg_eq"] == 1)).fill_null(False)
    columns["t_set"] = _similarity_where(prepared["t_norm"], left, right, fuzz.token_set_ratio, workers, subset)
    columns["t_set"] = pl.select(pl.coalesce(columns["t_set"], columns["t_sim"])).to_series()
    # The other texts only for pairs some rule could merge.
    close = (
        (columns["t_sim"] >= 0.8) | (columns["t_set"] >= 0.97) | (columns["pmid_eq"] == 1) | (columns["pmcid_eq"] == 1)
        | (columns["doi_eq"] == 1)
    ).fill_null(False)
    for name, (field, scorer) in TEXT_FEATURES.items():
        if name not in columns:
            columns[name] = _similarity_where(prepared[field], left, right, scorer, workers, close).alias(name)
    year_a, year_b = prepared["year"].gather(left), prepared["year"].gather(right)
    columns["year_diff"] = (year_a - year_b).abs().alias("year_diff")
    length = prepared["t_norm"].str.len_chars()
    columns["t_len"] = pl.select(pl.min_horizontal(length.gather(left), length.gather(right))).to_series()
    count_a, count_b = prepared["a_count"].gather(left), prepared["a_count"].gather(right)
    columns["a_n"] = pl.select(pl.min_horizontal(count_a, count_b)).to_series().alias("a_n")
    numbered = (prepared["vol"].is_not_null() | prepared["iss"].is_not_null() | prepared["pg_first"].is_not_null())
    columns["numbered_a"] = numbered.gather(left).alias("numbered_a")
    columns["numbered_b"] = numbered.gather(right).alias("numbered_b")
    columns["jc_eq"] = journal_agreement(prepared["j_norm"].gather(left), prepared["j_norm"].gather(right), columns["j_sim"],
                                         close)
    columns["recurring"] = prepared["recurring"].gather(left) | prepared["recurring"].gather(right)
    # not `< 1`: on long titles one letter apart the rounded similarity is 1.0
    near = (columns["t_sim"] >= 0.7).fill_null(False)
    columns["one_marker"] = one_marker_apart(prepared["t_norm"], left, right, near)
    return pairs.with_columns(**{name: series.alias(name) for name, series in columns.items()})


def _similarity(values: pl.Series, left: pl.Series, right: pl.Series, scorer: Any, workers: int) -> pl.Series:
    """Scorer similarity (0-1) of values[left[k]] and values[right[k]] for every k; null when either is missing."""
    a, b = values.gather(left), values.gather(right)
    scores = process.cpdist(a.fill_null("").to_list(), b.fill_null("").to_list(), scorer=scorer, workers=workers,
                            dtype=np.uint8)
    present = (a.is_not_null() & b.is_not_null()).to_numpy()
    return pl.Series(np.where(present, scores / 100.0, np.nan)).fill_nan(None)


def _similarity_where(values: pl.Series, left: pl.Series, right: pl.Series, scorer: object, workers: int,
                      mask: pl.Series) -> pl.Series:
    """`_similarity` computed only where `mask` is true; null elsewhere."""
    where = np.flatnonzero(mask.to_numpy())
    out = np.full(len(mask), np.nan)
    if len(where):
        out[where] = _similarity(values, left.gather(where), right.gather(where), scorer, workers).fill_null(np.nan).to_numpy()
    return pl.Series(out).fill_nan(None)


def _agreement(values: pl.Series, left: pl.Series, right: pl.Series) -> pl.Series:
    """1 = both present and equal, -1 = both present and different, 0 = either missing."""
    a, b = values.gather(left), values.gather(right)
    return pl.select(
        pl.when(a.is_null() | b.is_null()).then(0).when(a == b).then(1).otherwise(-1).cast(pl.Int8)
    ).to_series()


def issue_agreement(first: pl.Series, last: pl.Series, left: pl.Series, right: pl.Series) -> pl.Series:
    """1 when two issues overlap ("5-6" and "5"), -1 when they cannot be the same issue, 0 when one
    is missing or either is a large number (a database's record number: 1628 vs 1629 says nothing)."""
    a0, a1, b0, b1 = first.gather(left), last.gather(left), first.gather(right), last.gather(right)
    frame = pl.DataFrame({"a0": a0, "a1": a1, "b0": b0, "b1": b1})
    return frame.select(
        pl.when(pl.col("a0").is_null() | pl.col("b0").is_null()).then(0)
        .when((pl.col("a0") <= pl.col("b1")) & (pl.col("b0") <= pl.col("a1"))).then(1)
        .when((pl.col("a1") >= ISSUE_LIMIT) | (pl.col("b1") >= ISSUE_LIMIT)).then(0)
        .otherwise(-1).cast(pl.Int8).alias("iss_eq")
    ).to_series()


def one_marker_apart(titles: pl.Series, left: pl.Series, right: pl.Series, mask: pl.Series) -> pl.Series:
    """True where two titles differ only in one number, letter or roman numeral for another
    ("... Study 1" / "... Study 2", "Case A" / "Case B", "FOCUS 1" / "FOCUS 2"); "Part 2" and
    "Part II" are the same. Checked only where `mask` holds (near but not identical titles)."""
    where = np.flatnonzero(mask.to_numpy())
    out = np.zeros(len(mask), dtype=bool)
    a = titles.gather(left.gather(where)).to_list()
    b = titles.gather(right.gather(where)).to_list()
    for k, x, y in zip(where, a, b):
        if x and y and x != y:
            out[k] = _one_marker(x, y)
    return pl.Series(out)


def _one_marker(a: str, b: str) -> bool:
    if a.replace(" ", "") == b.replace(" ", ""):
        return False  # "10 000" / "10000"
    wa = [_NUMBERS.get(w, w) for w in a.split()]
    wb = [_NUMBERS.get(w, w) for w in b.split()]
    only_a = list((Counter(wa) - Counter(wb)).elements())  # as multisets: "of a ... case a" / "... case b"
    only_b = list((Counter(wb) - Counter(wa)).elements())
    if len(only_a) != 1 or len(only_b) != 1 or len(wa) != len(wb):
        return False
    return all(w.isdigit() or len(w) == 1 for w in (only_a[0], only_b[0]))


def journal_agreement(a: pl.Series, b: pl.Series, similarity: pl.Series, mask: pl.Series | None = None) -> pl.Series:
    """1 when two journal names can be the same journal (abbreviation, initials, spelling), -1 when
    not, 0 when one is missing (or outside `mask`). The abbreviation check runs once per distinct
    pair of names."""
    names = pl.DataFrame({"a": a, "b": b, "sim": similarity})
    if mask is not None:
        names = names.with_columns(pl.when(mask).then(pl.col("a")).alias("a"))
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
    # same DOI and page, one title adds a subtitle
    | ((pl.col("doi_eq") == 1) & (pl.col("t_set") >= 0.97) & (pl.col("pg_eq") == 1) & (pl.col("jc_eq") >= 0))
)
def fuzzy(t: Thresholds) -> pl.Expr:
    """Fuzzy matches: the closer the titles, the less other agreement is needed (thresholds `t`)."""
    return (
        ((pl.col("t_sim") >= t.title_close) & _AUTHORS_AGREE & (t.context_close <= CONTEXT))
        | ((pl.col("t_sim") >= t.title_mid) & _AUTHORS_AGREE & (t.context_mid <= CONTEXT))
        | ((pl.col("t_sim") >= 0.85) & _AUTHORS_AGREE & (CONTEXT >= 5) & (pl.col("pg_eq") == 1))
        | ((pl.col("t_sim") >= 0.97) & ~_AUTHORS_PRESENT & (CONTEXT >= 3))
        | ((pl.col("t_sim") >= 0.98) & (pl.col("a_sim") >= 0.9) & (pl.col("year_diff") == 0) & (CONTEXT >= 1))
        # one title is the other plus a subtitle (or cut short), in the same journal, volume and pages
        | ((pl.col("t_set") >= 0.97) & _AUTHORS_AGREE & _SAME_NUMBERS & ((pl.col("vol_eq") == 1) | (pl.col("doi_eq") == 1)))
        # a long title word for word, nothing else to compare and nothing against (sparse web metadata)
        | ((pl.col("t_sim") >= 0.99) & (pl.col("t_len") >= 60) & (pl.col("doi_eq") >= 0) & (pl.col("jc_eq") >= 0)
           & pl.col("year_diff").fill_null(0).eq(0) & (pl.col("ab_sim").fill_null(1) >= 0.9)
           & (~_AUTHORS_PRESENT | (pl.col("a_sim") >= 0.5) | (pl.col("a1_eq") == 1)))
        # same title, journal, volume, first page and year: the author lists are garbled, not different
        | ((pl.col("t_sim") >= 0.97) & _SAME_NUMBERS & (pl.col("vol_eq") == 1))
    )


FUZZY = fuzzy(Thresholds())
# Worth a person's look: similar titles by overlapping authors that the rules did not merge.
BORDERLINE = (pl.col("t_sim") >= 0.8) & _AUTHORS_OVERLAP


def classify(features: pl.DataFrame, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Add `decision` ("identifier", "fuzzy", "review" or null) and `score` to vetoed pair features.

    A vetoed pair is never merged; it goes to review only when its titles are nearly identical
    (and the veto is not a proven difference of a recurring title such as "Editorial").
    """
    t = thresholds or shipped()
    decision = (
        pl.when(pl.col("veto").is_not_null())
        .then(pl.when(BORDERLINE & (pl.col("t_sim") >= 0.95) & ~pl.col("veto").str.starts_with("recurring title in"))
              .then(pl.lit("review")))
        .when(IDENTIFIER.fill_null(False)).then(pl.lit("identifier"))
        .when(fuzzy(t).fill_null(False)).then(pl.lit("fuzzy"))
        .when(BORDERLINE.fill_null(False)).then(pl.lit("review"))
    )
    return features.with_columns(decision.alias("decision"), match_score().alias("score"))
