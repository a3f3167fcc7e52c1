"""Decisions are never lost: appends after new records, re-keying after a later dedup merge, orphans."""

from __future__ import annotations

from pathlib import Path

from pipeline.screen import sheets
from tests.fixtures.screen.project import decide, final, project, rows, screen, study, write_people_file, write_studies


def test_new_studies_are_appended_and_existing_rows_keep_order_decisions_and_notes(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("pubmed:2")], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    path = layout.sheet("title_abstract", "alice")
    write_people_file(path, ["record_id", "decision", "notes", "title"],
                      [["pubmed:2", "exclude", "animal study", "old title"], ["pubmed:1", "", "read later", ""]])
    write_studies(layout, [study("pubmed:1"), study("pubmed:2", title="Corrected title"), study("pubmed:3"),
                           study("ris:0")])
    screen(layout, protocol)
    back = sheets.read_table(path).rows
    assert [r["record_id"] for r in back] == ["pubmed:2", "pubmed:1", "pubmed:3", "ris:0"]
    assert [(r["decision"], r["notes"]) for r in back[:2]] == [("exclude", "animal study"), ("", "read later")]
    assert back[0]["title"] == "Corrected title"


def test_decision_on_a_record_merged_later_moves_to_the_surviving_study(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("ris:7")], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    path = layout.sheet("title_abstract", "alice")
    decide(path, {"ris:7": "include"}, notes={"ris:7": "RCT"})
    write_studies(layout, [study("pubmed:1", members=("ris:7",))])      # dedup now merges ris:7 into pubmed:1
    screen(layout, protocol)
    back = {r["record_id"]: r for r in rows(path)}
    assert set(back) == {"pubmed:1", "ris:7"}                            # the row stays
    assert back["ris:7"]["decision"] == "include" and back["ris:7"]["notes"] == "RCT"
    assert back["ris:7"]["study_id"] == "pubmed:1" and back["ris:7"]["status"] == "merged into pubmed:1"
    assert final(layout) == {"pubmed:1": {"study_id": "pubmed:1", "automation": "", "title_abstract": "include",
                                          "full_text": "pending", "full_text_reason": "", "example": "false"}}


def test_two_copies_of_a_merged_study_with_different_decisions_become_a_conflict(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("ris:7")], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "exclude", "ris:7": "include"})
    write_studies(layout, [study("pubmed:1", members=("ris:7",))])
    result = screen(layout, protocol)
    assert final(layout)["pubmed:1"]["title_abstract"] == "conflict"
    conflict = rows(layout.screening / "title_abstract" / "conflicts.csv")
    assert [(c["study_id"], c["issue"], c["alice"], c["status"]) for c in conflict] == [
        ("pubmed:1", "a reviewer's rows for this merged study disagree", "own copies disagree", "open")]
    assert result.summary["stages"]["title_abstract"]["conflicts"] == {"open": 1, "resolved": 0}


def test_two_copies_agreeing_count_once(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("ris:7")], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "exclude", "ris:7": "no"})
    write_studies(layout, [study("pubmed:1", members=("ris:7",))])
    result = screen(layout, protocol)
    ta = result.summary["stages"]["title_abstract"]
    assert (ta["studies"], ta["excluded"], ta["reviewers"]["alice"]["screened"]) == (1, 1, 1)


def test_key_that_no_study_has_any_more_is_kept_and_listed_as_orphaned(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("ris:7")], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    path = layout.sheet("title_abstract", "alice")
    decide(path, {"ris:7": "include"})
    write_studies(layout, [study("pubmed:1")])                          # the RIS import was removed
    result = screen(layout, protocol)
    back = {r["record_id"]: r for r in rows(path)}
    assert back["ris:7"]["decision"] == "include" and back["ris:7"]["status"].startswith("orphaned")
    assert rows(layout.screening / "orphans.csv") == [
        {"stage": "title_abstract", "reviewer": "alice", "row": "3", "record_id": "ris:7",
         "last_study_id": "ris:7", "decision": "include"}]
    assert result.summary["stages"]["title_abstract"]["studies"] == 1
    screen(layout, protocol)                                             # stays orphaned, no error
    assert "ris:7" in {r["record_id"] for r in rows(path)}


def test_sheet_keyed_by_record_ids_before_dedup_maps_onto_studies(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, [study("sample:r001", members=("sample:r005",)), study("sample:r002")],
                               ta=("example_reviewer",), ft=("example_reviewer",), examples=("example_reviewer",))
    path = layout.sheet("title_abstract", "example_reviewer")
    write_people_file(path, ["record_id", "decision"],
                      [["sample:r005", "include"], ["sample:r002", "exclude"]])
    result = screen(layout, protocol)
    assert {k: (v["title_abstract"], v["example"]) for k, v in final(layout).items()} == {
        "sample:r001": ("include", "true"), "sample:r002": ("exclude", "true")}
    assert [r["record_id"] for r in rows(path)] == ["sample:r005", "sample:r002"]  # no extra row for r001
    assert result.summary["stages"]["title_abstract"]["reviewers"]["example_reviewer"]["example"] is True
