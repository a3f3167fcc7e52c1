"""One work exported twice merges, however the databases wrote it: each class of export quirk is
written as records of our own. Where a quirk hides a number, the second copy's title is reworded
so that only the numbers (read through the quirk) can carry the match."""

from __future__ import annotations

import pytest

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record, study_of

TITLE = "Effects of intrathecal mesenchymal stem cells on disability progression in multiple sclerosis"
ARTICLE = {"title": TITLE, "authors": ["Koksal M", "Bilge SS", "Herman ZS", "Slominska-Zurek J"],
           "journal": "Brain Research Bulletin", "year": 2010, "volume": "82", "issue": "5-6", "pages": "243-246",
           "abstract": None, "doi": "10.1016/j.brainresbull.2010.04.015"}


# the same work with its title reworded (similarity 0.87): a match needs journal, year, volume, issue and pages
REWORDED = "Effects of intrathecal mesenchymal stem cells on the progression of disability in multiple sclerosis"
# a near-identical title (0.97) that one mistyped number alone would split
RETYPED = "Effect of intrathecal mesenchymal stromal cells on disability progression in multiple sclerosis"


def _copy(record_id: str, **fields: object) -> dict:
    return record(record_id, **{**ARTICLE, **fields})


def _together(*rows: dict) -> bool:
    studies = study_of(dedup(frame(*rows)).clusters)
    return len({studies[r["record_id"]] for r in rows}) == 1


def _apart(*rows: dict) -> bool:
    studies = study_of(dedup(frame(*rows)).clusters)
    return len({studies[r["record_id"]] for r in rows}) == len(rows)


@pytest.mark.parametrize("journal", ["Brain research bulletin.82 (5-6) ()(pp 243-246)",
                                     "Brain Research Bulletin.82 (5-6) (pp 243-246)"])
def test_ovid_journal_field_carrying_volume_issue_and_pages(journal):
    ovid = _copy("ovid:1", journal=journal, volume=None, issue=None, pages=None, doi=None, title=REWORDED)
    assert _together(_copy("medline:1", doi=None), ovid)


def test_ovid_journal_field_with_other_pages_is_another_article():
    ovid = _copy("ovid:1", journal="Brain research bulletin.82 (5-6) ()(pp 301-309)", volume=None, issue=None, pages=None,
                 doi=None, title=REWORDED)
    assert _apart(_copy("medline:1", doi=None), ovid)


@pytest.mark.parametrize("issue,pages", [("05-Jun", "243-246"), ("5-6", "Jan-13"), ("05-Jun", "01-Oct")],
                         ids=["issue-5-6", "pages-1-13", "pages-1-10"])
def test_numbers_a_spreadsheet_turned_into_dates(issue, pages):
    original = {"05-Jun": "5-6", "Jan-13": "1-13", "01-Oct": "1-10"}
    clean = _copy("medline:1", doi=None, issue=original.get(issue, issue), pages=original.get(pages, pages))
    mangled = _copy("excel:1", doi=None, issue=issue, pages=pages, title=REWORDED)
    assert _together(clean, mangled)


def test_issue_holding_a_database_record_number():
    copies = [_copy(f"endnote:{n}", doi=None, issue=str(1627 + n), title=RETYPED) for n in (1, 2)]
    assert _together(_copy("medline:1", doi=None, issue="5"), *copies)


@pytest.mark.parametrize("doi", ["S0361-9230(10)00096-1 [pii];10.1016/j.brainresbull.2010.04.015",
                                 "10.1016/j.brainresbull.2010.04.015 [doi];S0361-9230(10)00096-1 [pii]",
                                 "http://dx.doi.org/10.1016/j.brainresbull.2010.04.015",
                                 "https://doi.org/10.1016/J.BRAINRESBULL.2010.04.015."])
def test_doi_fields_with_several_identifiers_and_suffixes(doi):
    other = _copy("ovid:1", doi=doi, pages=None, volume=None, issue=None, journal="Brain Res Bull")
    result = dedup(frame(_copy("medline:1"), other))
    assert result.clusters["study_id"].n_unique() == 1
    assert set(result.clusters["method"]) == {"identifier"}


@pytest.mark.parametrize("authors", [
    ["KoksalM.BilgeS.S.HermanZ.S.Slominska-ZurekJ."],
    ["KoksalM.", "BilgeS.S.", "HermanZ.S.", "Slominska-ZurekJ."],
    ["Koksal M., Bilge S.S., Herman Z.S., Slominska-Zurek J."],
    ["Koksal, Mehmet", "Bilge, S. S.", "Herman, Z. S.", "Slominska Zurek, J."],
], ids=["glued-one-field", "glued-names", "embase-comma-list", "bibtex"])
def test_author_forms(authors):
    other = _copy("embase:1", authors=authors, title=TITLE.replace("Effects", "Effect"), doi=None, pages=None)
    assert _together(_copy("medline:1", doi=None), other)


@pytest.mark.parametrize("name", ["Le Quintrec, M.", "Quintrec, M.", "Le, Quintrec M.", "Le Quintrec M"])
def test_name_particles(name):
    base = _copy("medline:1", authors=["Le Quintrec M", "Bilge SS"], doi=None)
    other = _copy("embase:1", authors=[name, "Bilge S.S."], title=TITLE.replace("Effects", "Effect"), doi=None, pages=None)
    assert _together(base, other)


def test_one_author_missing_and_one_misspelt_in_a_long_list():
    long = ["Motl RW", "Sandroff BM", "Kwakkel G", "Dalgas U", "Feinstein A", "Heesen C", "Feys P", "Thompson AJ"]
    other = long[:3] + ["Dalgaas U"] + long[5:]
    a = _copy("medline:1", authors=long, doi=None)
    b = _copy("embase:1", authors=other, title=TITLE.replace("Effects", "Effect"), doi=None, pages=None)
    assert _together(a, b)


@pytest.mark.parametrize("title", [
    f"[{TITLE}]",
    f"{TITLE}. LA: Chi",
    f"[{TITLE}]. [Chinese]",
    f"{TITLE} [Article in Polish]",
    f"{TITLE}. Polish\nWplyw dooponowego podania komorek",
])
def test_translated_titles_and_language_tags(title):
    other = _copy("embase:1", title=title, doi=None, authors=["Koksal M", "Bilge S"], pages=None)
    assert _together(_copy("medline:1", doi=None), other)


@pytest.mark.parametrize("title", [
    TITLE.replace("progression", "progresion"),
    TITLE.replace("intrathecal", "intrathecall"),
    TITLE + ": a randomised placebo-controlled crossover trial with magnetic resonance follow-up",
], ids=["typo", "another-typo", "subtitle-cut-off"])
def test_typos_and_cut_subtitles(title):
    assert _together(_copy("medline:1", doi=None), _copy("wos:1", title=title, doi=None))


def test_same_doi_with_the_year_one_apart():
    online = _copy("scopus:1", year=2009, volume=None, issue=None, pages=None, title=TITLE.upper())
    issue = _copy("medline:1", doi="https://doi.org/" + ARTICLE["doi"], year=2010)
    assert _together(online, issue)


@pytest.mark.parametrize("title", [
    f"{TITLE} (vol 82, pg 243, 2010)",
    f"Erratum: {TITLE}",
    f"Correction to: {TITLE}",
    f"Corrigendum to \"{TITLE}\" [Brain Res. Bull. 82 (2010) 243-246]",
    f"{TITLE} [Erratum for Brain Res Bull. 2010;82(5-6):243-6]",
], ids=["wos-correction", "erratum", "correction-to", "corrigendum", "erratum-for"])
def test_an_erratum_is_a_separate_report(title):
    erratum = _copy("wos:1", title=title, pages=None, doi=None)
    assert _apart(_copy("medline:1"), erratum)


def test_an_article_whose_title_notes_its_erratum_is_still_the_article():
    noted = _copy("ovid:1", title=f"{TITLE} [Erratum appears in Brain Res Bull. 2011;84(1):99]", doi=None)
    assert _together(_copy("medline:1"), noted)
