"""Rules that stop two similar records from being called the same study.

Two conference abstracts of one group, an article and its erratum, Part 1 and Part 2 of a series,
two reports of different trials, a trial's registration and its publication: all have near-identical
titles and authors. Each veto names the
field that proves them different; a vetoed pair is never merged by the machine (a person can still
join it in decisions.csv).
"""

from __future__ import annotations

import polars as pl

from pipeline.dedup.thresholds import Thresholds, shipped

# reason -> condition over the pair features (see score.pair_features).
HARD_VETOES: dict[str, pl.Expr] = {
    "years more than one apart": pl.col("year_diff") > 1,
    "erratum, retraction, comment or reply vs the article": pl.col("kind_eq") == -1,
    "different part numbers": pl.col("part_eq") == -1,
    "titles differ in one number or letter": pl.col("one_marker"),
    "different trial registration numbers": pl.col("reg_eq") == -1,
    "a trial registration vs a publication": pl.col("regrec_eq") == -1,
}
# Numbering conflicts are decisive unless both records carry the same DOI and title in journals
# that can be the same, or one number alone disagrees while everything else agrees (then one
# database mistyped or mangled it, e.g. "62 (Suppl 1)" exported as volume "1").
NUMBER_VETOES: dict[str, pl.Expr] = {
    "different first page": pl.col("pg_eq") == -1,
    "different volume": pl.col("vol_eq") == -1,
    "different issue": pl.col("iss_eq") == -1,
}
SAME_DOI_AND_TITLE = (pl.col("doi_eq") == 1) & (pl.col("t_sim") >= 0.95) & (pl.col("jc_eq") >= 0)
_CONFLICTS = pl.sum_horizontal([(pl.col(c) == -1).cast(pl.Int8) for c in ("vol_eq", "pg_eq", "iss_eq")])
_AGREEMENTS = pl.sum_horizontal([(pl.col(c) == 1).cast(pl.Int8) for c in ("vol_eq", "pg_eq", "iss_eq")])
ONE_SLIP = (
    (_CONFLICTS == 1)
    & ((_AGREEMENTS >= 1) | ((pl.col("vol_eq") == -1) & (pl.col("t_sim") >= 0.99) & (pl.col("ab_sim") >= 0.98)))
    & (pl.col("t_sim") >= 0.97) & (pl.col("jc_eq") == 1)
    & (pl.col("year_diff") == 0) & ((pl.col("a_sim") >= 0.9) | (pl.col("a_part") >= 0.95))
    & (pl.col("ab_sim").is_null() | (pl.col("ab_sim") >= 0.95))
)
# Journals that cannot be the same (a conference abstract and the later paper, say) are decisive
# unless volume and first page or issue agree (a translated journal name) or the DOI does. Records without
# any volume, issue or pages (conference papers, theses) name their venue too freely to compare.
DIFFERENT_JOURNALS = (
    (pl.col("jc_eq") == -1) & ~((pl.col("vol_eq") == 1) & ((pl.col("pg_eq") == 1) | (pl.col("iss_eq") == 1)))
    & (pl.col("doi_eq") < 1)
    & pl.col("numbered_a") & pl.col("numbered_b")
)


_ANY_DIFFERENCE = (
    (pl.col("pg_eq") == -1) | ((pl.col("pgk_eq") == -1) & (pl.col("pg_eq") != 1)) | (pl.col("iss_eq") == -1)
    | (pl.col("vol_eq") == -1) | (pl.col("doi_eq") == -1)
    | ((pl.col("year_diff") >= 1) & (pl.col("doi_eq") < 1))
)
# the same first page or DOI, or the same volume and issue of a record that has no pages
_SAME_PLACE = (
    (pl.col("pg_eq") == 1) | (pl.col("pgk_eq") == 1) | (pl.col("doi_eq") == 1)
    | ((pl.col("vol_eq") == 1) & (pl.col("iss_eq") == 1) & (pl.col("pgk_eq") == 0))
)


def recurring(t: Thresholds) -> pl.Expr:
    """A title every issue may carry ("Editorial", "Issue Information") or one too short to tell works apart."""
    return pl.col("recurring") | (pl.col("t_len") < t.short_title)


def veto_reason(features: pl.DataFrame, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """`features` with a `veto` column: the first rule that forbids the match, or null.

    Recurring or very short titles say nothing about identity: such a pair merges only with the same
    first page or DOI, and any difference of issue, pages, volume, DOI or year keeps it apart.
    """
    t = thresholds or shipped()
    reason = pl.when(DIFFERENT_JOURNALS.fill_null(False)).then(pl.lit("different journals")).otherwise(None)
    same_record = (pl.col("pmid_eq") == 1) | (pl.col("pmcid_eq") == 1)
    generic = (recurring(t) & ~same_record).fill_null(False)
    reason = (pl.when(generic & _ANY_DIFFERENCE.fill_null(False)).then(pl.lit("recurring title in another issue, pages or DOI"))
              .when(generic & ~_SAME_PLACE.fill_null(False)).then(pl.lit("short or recurring title without the same pages or DOI"))
              .otherwise(reason))
    for name, condition in reversed(list(NUMBER_VETOES.items())):
        reason = pl.when(condition.fill_null(False) & ~(SAME_DOI_AND_TITLE | ONE_SLIP).fill_null(False)).then(pl.lit(name)).otherwise(reason)
    for name, condition in reversed(list(HARD_VETOES.items())):
        reason = pl.when(condition.fill_null(False)).then(pl.lit(name)).otherwise(reason)
    return features.with_columns(reason.alias("veto"))
