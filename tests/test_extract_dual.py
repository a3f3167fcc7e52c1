"""Two extractors: agreement is final, disagreements are listed and settled in resolutions.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from tests.fixtures.extract.project import extract, fill, project, report, rows


@pytest.fixture
def pair(tmp_path: Path):
    layout, protocol = project(tmp_path, [report("pubmed:1"), report("pubmed:2")], reviewers=("alice", "bob"))
    extract(layout, protocol)
    out = tmp_path / "outputs" / "extraction"
    return layout, protocol, out


def _final(out: Path) -> dict[str, dict[str, str]]:
    return {r["study_id"]: r for r in rows(out / "final.csv")}


def test_a_study_one_reviewer_has_extracted_is_pending(pair) -> None:
    layout, protocol, out = pair
    fill(out / "alice.csv", {"pubmed:1": {"study_design": "RCT"}})
    extract(layout, protocol)
    assert _final(out)["pubmed:1"]["status"] == "in progress" and _final(out)["pubmed:1"]["study_design"] == ""


def test_agreeing_values_are_final_and_differences_are_discrepancies(pair) -> None:
    layout, protocol, out = pair
    fill(out / "alice.csv", {"pubmed:1": {"study_design": "RCT", "n_treated": "27", "safety_summary": "No SAEs."}})
    fill(out / "bob.csv", {"pubmed:1": {"study_design": "rct", "n_treated": "28", "safety_summary": "no  SAEs."}})
    extract(layout, protocol)
    one = _final(out)["pubmed:1"]
    assert (one["study_design"], one["n_treated"], one["status"]) == ("RCT", "", "discrepancies")
    assert one["safety_summary"] == "No SAEs."  # text compares case- and space-insensitively
    listed = rows(out / "discrepancies.csv")
    assert [(r["field"], r["alice"], r["bob"], r["status"]) for r in listed] == [("n_treated", "27", "28", "open")]


def test_a_value_against_an_empty_cell_is_a_discrepancy(pair) -> None:
    layout, protocol, out = pair
    fill(out / "alice.csv", {"pubmed:2": {"route": "intravenous"}})
    fill(out / "bob.csv", {"pubmed:2": {"study_design": "RCT"}})
    extract(layout, protocol)
    assert {r["field"] for r in rows(out / "discrepancies.csv")} == {"route", "study_design"}


def test_a_resolution_settles_the_field_and_the_study_becomes_complete(pair) -> None:
    layout, protocol, out = pair
    fill(out / "alice.csv", {"pubmed:1": {"n_treated": "27"}})
    fill(out / "bob.csv", {"pubmed:1": {"n_treated": "28"}})
    extract(layout, protocol)
    with open(out / "resolutions.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("pubmed:1,n_treated,27,carol,table 1 counts randomised\r\n")
    result = extract(layout, protocol)
    one = _final(out)["pubmed:1"]
    assert (one["n_treated"], one["status"]) == ("27", "complete")
    assert [(r["status"], r["resolution"], r["resolved_by"]) for r in rows(out / "discrepancies.csv")] == \
        [("resolved", "27", "carol")]
    assert (result.stats.fields_open, result.stats.fields_resolved) == (0, 1)


def test_a_bad_resolution_names_its_row_and_column(pair) -> None:
    layout, protocol, out = pair
    with open(out / "resolutions.csv", "a", encoding="utf-8", newline="") as fh:
        fh.write("pubmed:1,route,oral,carol,\r\npubmed:1,dose,1,carol,\r\npubmed:2,route,intravenous,,\r\n")
    with pytest.raises(InputError) as err:
        extract(layout, protocol)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "value"), (3, "field"), (4, "resolved_by")}
