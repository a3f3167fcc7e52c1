"""Different works that look alike stay apart: recurring items of one journal, and titles one
number or letter apart. Each class is written as records of our own, with a control that the
same item exported twice still merges."""

from __future__ import annotations

import pytest

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record, study_of

RECURRING = ["Editorial", "Editor's Comments", "Editorial Introduction", "Remarks from the Editor", "Issue Information",
             "Correction"]


def _item(record_id: str, title: str, **fields: object) -> dict:
    """A recurring item of a management journal, by its editor, without abstract."""
    base = {"title": title, "authors": ["Rai A"], "journal": "MIS Quarterly", "year": 2016, "volume": "40",
            "issue": "1", "pages": "iii-v", "abstract": None, "doi": None}
    return record(record_id, **{**base, **fields})


def _apart(*rows: dict) -> bool:
    studies = study_of(dedup(frame(*rows)).clusters)
    return len({studies[r["record_id"]] for r in rows}) == len(rows)


def _together(*rows: dict) -> bool:
    studies = study_of(dedup(frame(*rows)).clusters)
    return len({studies[r["record_id"]] for r in rows}) == 1


@pytest.mark.parametrize("title", RECURRING)
def test_recurring_item_in_each_issue_of_one_volume_stays_apart(title):
    issues = [_item(f"wos:{n}", title, issue=str(n), pages=None) for n in (1, 2, 3, 4)]
    assert _apart(*issues)


@pytest.mark.parametrize("title", RECURRING)
def test_recurring_item_on_other_pages_of_one_issue_stays_apart(title):
    assert _apart(_item("wos:1", title, pages="iii-v"), _item("wos:2", title, pages="vi-viii"))


@pytest.mark.parametrize("title", RECURRING)
def test_recurring_item_in_consecutive_years_without_numbers_stays_apart(title):
    a = _item("scopus:1", title, year=2016, volume=None, issue=None, pages=None, doi="10.25300/misq/2016/40.1.01")
    b = _item("scopus:2", title, year=2017, volume=None, issue=None, pages=None, doi="10.25300/misq/2017/41.1.01")
    c = _item("scopus:3", title, year=2017, volume=None, issue=None, pages=None, doi="10.25300/misq/2017/41.2.01")
    assert _apart(a, b, c)


@pytest.mark.parametrize("title", RECURRING)
def test_recurring_item_with_nothing_but_the_title_is_not_merged(title):
    a = _item("scopus:1", title, volume=None, issue=None, pages=None)
    b = _item("scopus:2", title, volume=None, issue=None, pages=None)
    assert _apart(a, b)


@pytest.mark.parametrize("title", RECURRING)
def test_one_recurring_item_from_two_databases_still_merges(title):
    a = _item("wos:1", title, doi="10.25300/misq/2016/40.1.01")
    b = _item("scopus:1", title.upper(), authors=["Rai, Arun"], pages="iii-v", journal="MIS Q")
    assert _together(a, b)


@pytest.mark.parametrize("one,other", [
    ("Teaching case studies in information systems: Case A", "Teaching case studies in information systems: Case B"),
    ("FOCUS 1: a multicentre randomised trial of fluoxetine after stroke", "FOCUS 2: a multicentre randomised trial of fluoxetine after stroke"),
    ("Mesenchymal stem cells in progressive multiple sclerosis. Part I", "Mesenchymal stem cells in progressive multiple sclerosis. Part II"),
    ("Trust in online marketplaces, Study 1: buyers' perceptions of sellers", "Trust in online marketplaces, Study 2: buyers' perceptions of sellers"),
    ("Annual report of the stroke registry 2018", "Annual report of the stroke registry 2019"),
], ids=["case-a-b", "focus-1-2", "part-i-ii", "study-1-2", "year"])
@pytest.mark.parametrize("pages", [("101-110", "111-120"), (None, None)], ids=["consecutive-pages", "no-pages"])
def test_titles_one_number_or_letter_apart_stay_apart(one, other, pages):
    a = record("wos:1", title=one, pages=pages[0], abstract=None)
    b = record("wos:2", title=other, pages=pages[1], abstract=None)
    assert _apart(a, b)


def test_long_titles_one_letter_apart_stay_apart():
    long = ("High sustained efficacy of a prophylactic quadrivalent human papillomavirus vaccine in young women followed "
            "for five years in a randomised double-blind placebo-controlled multicentre trial of cervical screening")
    a = record("wos:1", title=f"{long}: Case A", pages="541-550", abstract=None)
    b = record("wos:2", title=f"{long}: Case B", pages="551-560", abstract=None)
    assert _apart(a, b)


def test_part_two_and_part_ii_are_the_same_title():
    a = record("wos:1", title="Mesenchymal stem cells in progressive multiple sclerosis. Part II")
    b = record("embase:1", title="Mesenchymal stem cells in progressive multiple sclerosis. Part 2", pages="185-189")
    assert _together(a, b)


def test_a_split_number_is_not_a_different_number():
    a = record("wos:1", title="A seven year prospective study of 10 000 women screened for cervical cancer")
    b = record("embase:1", title="A seven year prospective study of 10000 women screened for cervical cancer")
    assert _together(a, b)
