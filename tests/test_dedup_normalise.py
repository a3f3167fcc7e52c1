"""Normalisation: author, page, DOI, journal and title forms that different databases write."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.dedup import normalise


def _one(expr: pl.Expr, values: list, dtype: pl.DataType | None = None) -> list:
    frame = pl.DataFrame({"x": values}, schema={"x": dtype} if dtype else None)
    return frame.select(expr.alias("y"))["y"].to_list()


@pytest.mark.parametrize("author", ["Smith J", "Smith, John", "J. Smith", "Smith J. A.", "John Smith", "Smith JA", "SMITH J"])
def test_author_forms_give_the_same_family_name(author):
    assert _one(normalise.family_names(pl.col("x")), [[author]], pl.List(pl.Utf8)) == [["smith"]]


def test_accented_and_hyphenated_family_names_fold_to_ascii():
    names = _one(normalise.family_names(pl.col("x")), [["Müller K.", "Kanbour-Shakir, A", "Li J-P"]], pl.List(pl.Utf8))
    assert names == [["muller", "kanbourshakir", "li"]]


@pytest.mark.parametrize("pages,first,last", [("185-9", 185, 189), ("185-189", 185, 189), ("1391-402", 1391, 1402),
                                              ("S298", 298, None), ("06-Oct", 6, 10), ("t-6", None, None)])
def test_page_ranges_are_expanded(pages, first, last):
    assert _one(normalise.first_page(pl.col("x")), [pages]) == [first]
    assert _one(normalise.last_page(pl.col("x")), [pages]) == [last]


@pytest.mark.parametrize("doi", ["10.1016/S0022-2828(85)80039-0", "https://doi.org/10.1016/s0022-2828(85)80039-0",
                                 "doi:10.1016/S0022-2828%2885%2980039-0", "10.1016/s0022-2828(85)80039-0."])
def test_doi_forms_compare_equal(doi):
    assert _one(normalise.doi_key(pl.col("x")), [doi]) == ["10.1016/s0022-2828(85)80039-0"]


@pytest.mark.parametrize("a,b", [("J Mol Cell Cardiol", "Journal of Molecular and Cellular Cardiology"),
                                 ("Am J Physiol Heart Circ Physiol", "American Journal of Physiology"),
                                 ("J Appl Physiol (1985)", "Journal of Applied Physiology"),
                                 ("BMJ", "British Medical Journal"),
                                 ("Magn Reson Med", "Magnetic Resonance in Medicine")])
def test_journal_abbreviations_match_full_titles(a, b):
    wa, wb = _one(normalise.journal_words(pl.col("x")), [a, b])
    assert normalise.journals_compatible(wa, wb)


def test_different_journals_are_not_compatible():
    wa, wb = _one(normalise.journal_words(pl.col("x")), ["Eur Heart J", "PLoS One"])
    assert not normalise.journals_compatible(wa, wb)


def test_titles_lose_case_accents_markup_and_database_notes():
    titles = ["Ca<sup>2+</sup> overload in Ischémie [Erratum appears in Heart 2001;3:4]",
              "Ca2+ overload in ischemie. German\nCa2+ Uberladung",
              "Ca2+ overload in ischemie\nCa2+-Uberladung bei Ischamie",
              "[Ca2+ overload in ischemie]",
              "Ca2+ overload in ischemie. [Review] [70 refs]"]
    assert set(_one(normalise.title_words(pl.col("x")), titles)) == {"ca2 overload in ischemie"}


def test_notice_kinds_and_part_numbers_are_read_from_titles():
    words = _one(normalise.title_words(pl.col("x")), ["Erratum: Heart failure", "Comment on: heart failure",
                                                      "Heart failure. Part II", "Heart failure in response to salt"])
    assert _one(normalise.kinds(pl.col("x")), words) == ["erratum", "comment", "", ""]
    assert _one(normalise.part_numbers(pl.col("x")), words) == ["", "", "part ii", ""]
