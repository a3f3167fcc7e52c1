"""Each veto keeps two near-identical records apart (and the copies without the difference merge)."""

from __future__ import annotations

import pytest

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record, study_of

OTHER_ABSTRACT = "Conference abstract. Methods: forty rabbits were randomised; results will be presented at the meeting."


def _merged(a: dict, b: dict) -> bool:
    studies = study_of(dedup(frame(a, b)).clusters)
    return studies[a["record_id"]] == studies[b["record_id"]]


def test_identical_copies_from_two_databases_merge():
    assert _merged(record("embase:1"), record("wos:1", title=record("x:1")["title"].upper(), pages="185-189"))


@pytest.mark.parametrize("change", [
    {"year": 2004},
    {"pages": "201-9"},
    {"volume": "34"},
    {"issue": "5"},
], ids=["years-more-than-one-apart", "different-pages", "different-volume", "different-issue"])
def test_a_differing_number_keeps_records_apart(change):
    assert not _merged(record("embase:1"), record("wos:1", abstract=OTHER_ABSTRACT, **change))


def test_one_mistyped_number_among_otherwise_identical_records_is_not_a_veto():
    assert _merged(record("embase:1"), record("wos:1", volume="1"))


def test_a_year_one_apart_is_not_a_veto():
    assert _merged(record("embase:1"), record("wos:1", year=2002))


@pytest.mark.parametrize("title", [
    "Erratum: Ischemic preconditioning limits infarct size in the isolated rabbit heart",
    "Retraction notice to: Ischemic preconditioning limits infarct size in the isolated rabbit heart",
    "Comment on: Ischemic preconditioning limits infarct size in the isolated rabbit heart",
    "Reply to: Ischemic preconditioning limits infarct size in the isolated rabbit heart",
], ids=["erratum", "retraction", "comment", "reply"])
def test_a_notice_is_not_the_article(title):
    assert not _merged(record("embase:1"), record("wos:1", title=title, pages=None, abstract=None))


def test_part_one_is_not_part_two():
    a = record("embase:1", title="Ischemic preconditioning in the rabbit heart: Part 1", pages=None)
    b = record("wos:1", title="Ischemic preconditioning in the rabbit heart: Part 2", pages=None)
    assert not _merged(a, b)


def test_different_trial_registrations_keep_reports_apart():
    a = record("embase:1", registry_ids=["NCT01234567"])
    b = record("wos:1", registry_ids=["NCT07654321"])
    assert not _merged(a, b)


def test_same_title_and_authors_in_different_journals_stay_apart():
    a = record("embase:1", journal="Eur Heart J", volume="22", issue=None, pages="607")
    b = record("wos:1", journal="PLoS One", volume="8", issue="10", pages="e77211")
    assert not _merged(a, b)


def test_a_vetoed_but_similar_pair_waits_for_review():
    result = dedup(frame(record("embase:1"), record("wos:1", pages="201-9", abstract=OTHER_ABSTRACT)))
    pairs = result.pairs_to_review
    assert pairs.height == 1
    assert "different first page" in pairs["reason"][0]
