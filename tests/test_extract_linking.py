"""Reports of one study are linked by shared registration numbers and by people's same_study decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.extract import linking
from tests.fixtures.extract.project import extract, project, report, rows


def test_reports_sharing_a_registration_number_are_one_study() -> None:
    got = linking.link(["a", "b", "c"], {"a": ["NCT01234567"], "b": ["nct01234567", "NCT0000001"], "c": []}, [])
    assert got.study_of == {"a": "a", "b": "a", "c": "c"}
    assert got.links == (linking.Link("a", "b", "registration NCT01234567"),)


def test_a_person_can_link_reports_and_veto_a_registration_link() -> None:
    got = linking.link(["a", "b", "c"], {"a": ["NCT1"], "b": ["NCT1"]},
                       [("a", "b", linking.DIFFERENT), ("b", "c", linking.SAME)])
    assert got.study_of == {"a": "a", "b": "b", "c": "b"}


def test_a_veto_holds_through_a_chain() -> None:
    got = linking.link(["a", "b", "c"], {"a": ["NCT1"], "b": ["NCT1", "NCT2"], "c": ["NCT2"]},
                       [("a", "c", linking.DIFFERENT)])
    assert got.study_of["a"] != got.study_of["c"]


def test_registration_links_only_join_included_reports(tmp_path: Path) -> None:
    reports = [report("pubmed:1", registry_ids=["NCT01234567"]), report("pubmed:2", registry_ids=["NCT01234567"]),
               report("pubmed:3", registry_ids=["NCT01234567", "NCT07654321"], full_text="exclude"),
               report("pubmed:4", registry_ids=["NCT07654321"])]
    layout, protocol = project(tmp_path, reports)
    result = extract(layout, protocol)
    assert result.linking.study_of == {"pubmed:1": "pubmed:1", "pubmed:2": "pubmed:1", "pubmed:4": "pubmed:4"}
    links = {r["report_id"]: (r["study_id"], r["linked_by"]) for r in rows(layout.outputs / "extraction" / "studies.csv")}
    assert links["pubmed:2"] == ("pubmed:1", "registration NCT01234567 (with pubmed:1)")
    assert result.stats.studies == 2 and result.stats.reports == 3


def test_same_study_rows_accept_member_record_ids_and_bad_rows_are_errors(tmp_path: Path) -> None:
    reports = [report("pubmed:1", members=({"record_id": "pmc:x", "source": "pmc"},)), report("pubmed:2")]
    layout, protocol = project(tmp_path, reports)
    extract(layout, protocol)
    same = layout.outputs / "extraction" / "same_study.csv"
    with open(same, "a", encoding="utf-8", newline="") as fh:
        fh.write("pmc:x,pubmed:2,same_study,alice,protocol paper and results\r\n")
    assert extract(layout, protocol).linking.studies == ["pubmed:1"]
    with open(same, "a", encoding="utf-8", newline="") as fh:
        fh.write("pubmed:1,pubmed:9,same_study,alice,\r\npubmed:1,pubmed:2,maybe,alice,\r\n")
    with pytest.raises(InputError) as err:
        extract(layout, protocol)
    assert {(p.row, p.column) for p in err.value.problems} == {(3, "report_b"), (4, "decision")}


def test_a_linked_report_keeps_its_row_marked_part_of_the_study(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [report("pubmed:1"), report("pubmed:2")])
    extract(layout, protocol)
    same = layout.outputs / "extraction" / "same_study.csv"
    with open(same, "a", encoding="utf-8", newline="") as fh:
        fh.write("pubmed:1,pubmed:2,same_study,alice,\r\n")
    extract(layout, protocol)
    sheet = rows(layout.outputs / "extraction" / "alice.csv")
    assert [(r["study_id"], r["status"]) for r in sheet] == [("pubmed:1", ""), ("pubmed:2", "part of study pubmed:1")]
    assert sheet[0]["reports"] == "pubmed:1; pubmed:2"
