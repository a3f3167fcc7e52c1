"""Crossref work replies -> updates (retractions, concerns, corrections) and one status."""

from __future__ import annotations

import json

import pytest

from pipeline.check import crossref_json as cj
from pipeline.errors import BadReply


@pytest.fixture
def works(fixtures):
    data = json.loads((fixtures / "crossref" / "works.json").read_text(encoding="utf-8"))["works"]
    return {w["DOI"]: w for w in data}


def test_a_retraction_in_updated_by_makes_the_work_retracted_even_with_a_concern_too(works):
    found = cj.updates(works["10.5555/standin.2019.0010"])
    assert [(u.direction, u.kind, u.doi, u.date, u.source) for u in found] == [
        ("updated-by", "retraction", "10.5555/notice.2022.0011", "2022-02-03", "retraction-watch"),
        ("updated-by", "expression_of_concern", "10.5555/notice.2021.0012", "2021-05-04", "publisher")]
    assert cj.status(found) == "retracted"


def test_concern_corrected_and_none(works):
    assert cj.status(cj.updates(works["10.5555/standin.2020.0030"])) == "concern"
    assert cj.status(cj.updates(works["10.5555/standin.2021.0001"])) == "corrected"
    assert cj.status(cj.updates(works["10.1101/2020.05.01.900001"])) == "none"


def test_a_notice_updates_another_work_but_is_not_itself_retracted(works):
    found = cj.updates(works["10.5555/notice.2022.0011"])
    assert cj.status(found) == "none"
    assert cj.is_notice(found)


def test_type_spellings_are_normalised():
    work = {"updated-by": [{"type": "Expression-of-Concern", "DOI": "10.1/X"}, {"type": "Partial Retraction"}, "junk"]}
    assert [u.kind for u in cj.updates(work)] == ["expression_of_concern", "partial_retraction"]
    assert cj.status(cj.updates(work)) == "retracted"


def test_a_reply_that_is_not_a_work_is_a_bad_reply():
    with pytest.raises(BadReply, match="not JSON"):
        cj.parse_work(b'{"status": "ok", "mess')
    with pytest.raises(BadReply, match="no work message"):
        cj.parse_work(b'{"status": "failed", "message": [{"type": "x"}]}')
    assert cj.parse_work(b'{"status": "ok", "message": {"DOI": "10.1/a"}}') == {"DOI": "10.1/a"}
