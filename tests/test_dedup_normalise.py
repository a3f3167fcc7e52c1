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
    assert _one(normalise.part_numbers(pl.col("x")), words) == ["", "", "part 2", ""]


@pytest.mark.parametrize("field,want", [
    ("0800466105 [pii];10.1073/pnas.0800466105 [doi]", "10.1073/pnas.0800466105"),
    ("S0361-9230(10)00096-1 [pii];10.1016/j.brainresbull.2010.04.015", "10.1016/j.brainresbull.2010.04.015"),
    ("http://dx.doi.org/10.1016/J.BRAINRESBULL.2010.04.015", "10.1016/j.brainresbull.2010.04.015"),
    ("10.1002/(SICI)1097-4636(199706)35:4<437::AID-JBM3>3.0.CO;2-N", "10.1002/(sici)1097-4636(199706)35:4<437::aid-jbm3>3.0.co;2-n"),
    ("S0361-9230(10)00096-1 [pii]", None),
])
def test_doi_fields_with_several_identifiers_give_the_doi(field, want):
    assert _one(normalise.doi_key(pl.col("x")), [field]) == [want]


@pytest.mark.parametrize("issue,first,last", [("5-6", 5, 6), ("05-Jun", 5, 6), ("03-Apr", 3, 4), ("1628", 1628, 1628),
                                              ("8 Supplement 1", 8, 8), ("FEB", None, None), ("Suppl 2", None, None)])
def test_issue_numbers_survive_spreadsheets(issue, first, last):
    assert _one(normalise.issue_number(pl.col("x")), [issue]) == [first]
    assert _one(normalise.issue_last(pl.col("x")), [issue]) == [last]


@pytest.mark.parametrize("pages,first,last", [("Jan-13", 1, 13), ("01-Oct", 1, 10), ("9-12", 9, 12)])
def test_pages_a_spreadsheet_turned_into_dates(pages, first, last):
    assert _one(normalise.first_page(pl.col("x")), [pages]) == [first]
    assert _one(normalise.last_page(pl.col("x")), [pages]) == [last]


def test_ovid_journal_fields_give_name_volume_issue_and_pages():
    cited = _one(normalise.journal_citation(pl.col("x")), ["Psychopharmacology.64 (3) ()(pp 337-340)",
                                                           "Brain research bulletin.82 (5-6) ()(pp 243-246)", "Brain Res Bull"])
    assert [(c["name"], c["volume"], c["issue"], c["pages"]) for c in cited] == [
        ("Psychopharmacology", "64", "3", "337-340"), ("Brain research bulletin", "82", "5-6", "243-246"), (None, None, None, None)]


@pytest.mark.parametrize("authors,want", [
    (["KoksalM.", "BilgeS.S."], ["koksal", "bilge"]),
    (["KoksalM.BilgeS.S."], ["koksal", "bilge"]),
    (["HermanZ.S.Slominska-ZurekJ."], ["herman", "slominskazurek"]),
    (["Motl R.W., Sandroff B.M."], ["motl", "sandroff"]),
    (["Le Quintrec, M.", "Quintrec, M.", "Le, Quintrec M.", "M. Le Quintrec", "van der Berg J"],
     ["quintrec", "quintrec", "quintrec", "quintrec", "berg"]),
    (["McDonaldJ.A.", "O'NeillP."], ["mcdonald", "oneill"]),
], ids=["glued-names", "glued-in-one-field", "glued-hyphenated", "embase-comma-list", "particles", "inner-capitals"])
def test_glued_embase_and_particle_author_forms(authors, want):
    assert _one(normalise.family_names(pl.col("x")), [authors], pl.List(pl.Utf8)) == [want]


@pytest.mark.parametrize("title", ["[Research on fast track surgery]", "Research on fast track surgery. LA: Chi",
                                   "[Research on fast track surgery]. [Chinese]", "Research on fast track surgery (in German)",
                                   "Research on fast track surgery [Japanese, English abstract]"])
def test_translated_titles_keep_their_words_and_lose_language_tags(title):
    assert _one(normalise.title_words(pl.col("x")), [title]) == ["research on fast track surgery"]


def test_a_trailing_bracket_that_is_not_a_language_stays():
    assert _one(normalise.title_words(pl.col("x")), ["Fast track surgery (a review)"]) == ["fast track surgery a review"]


@pytest.mark.parametrize("title,kind", [("Heart failure in rats (vol 360, pg 542, 2009)", "erratum"),
                                        ("Corrigendum to heart failure in rats", "erratum"),
                                        ("Heart failure in rats [Erratum for J Card 2009;360:542]", "erratum"),
                                        ("Expression of concern: heart failure in rats", "concern"),
                                        ("Heart failure in rats [Erratum appears in J Card 2010;361:1]", "")])
def test_errata_and_notices_are_recognised(title, kind):
    words = _one(normalise.title_words(pl.col("x")), [title])
    assert _one(normalise.kinds(pl.col("x")), words) == [kind]
