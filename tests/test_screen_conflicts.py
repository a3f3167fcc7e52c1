"""Two reviewers from empty sheets to final decisions: agreement, conflicts, resolutions, full text."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.screen.project import decide, final, project, rows, screen, study, write_people_file

RESOLUTION_HEADER = ["study_id", "decision", "reason", "resolved_by", "notes"]


def five(tmp_path: Path, **options):
    return project(tmp_path, [study(f"pubmed:{i}") for i in range(1, 6)], **options)


def test_agreeing_reviewers_decide_and_disagreement_or_maybe_is_a_conflict(tmp_path: Path) -> None:
    layout, protocol = five(tmp_path)
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "include",
                                                     "pubmed:4": "maybe"})
    decide(layout.sheet("title_abstract", "bob"), {"pubmed:1": "yes", "pubmed:2": "no", "pubmed:3": "no",
                                                   "pubmed:4": "include", "pubmed:5": "include"})
    result = screen(layout, protocol)
    assert {k: v["title_abstract"] for k, v in final(layout).items()} == {
        "pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "conflict", "pubmed:4": "conflict",
        "pubmed:5": "pending"}
    assert [(c["study_id"], c["issue"], c["alice"], c["bob"], c["status"])
            for c in rows(layout.screening / "title_abstract" / "conflicts.csv")] == [
        ("pubmed:3", "reviewers disagree", "include", "exclude", "open"),
        ("pubmed:4", "maybe", "maybe", "include", "open")]
    ta = result.summary["stages"]["title_abstract"]
    assert (ta["studies"], ta["included"], ta["excluded"], ta["pending"], ta["complete"]) == (5, 1, 1, 3, False)
    assert ta["reviewers"]["alice"] == {"assigned": 5, "screened": 4, "remaining": 1, "example": False}
    assert result.summary["stages"]["full_text"]["studies"] == 1


def test_resolutions_settle_conflicts_and_full_text_covers_only_included_studies(tmp_path: Path) -> None:
    layout, protocol = five(tmp_path)
    screen(layout, protocol)
    both = {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:4": "include", "pubmed:5": "include"}
    decide(layout.sheet("title_abstract", "alice"), both | {"pubmed:3": "include"})
    decide(layout.sheet("title_abstract", "bob"), both | {"pubmed:3": "exclude"})
    screen(layout, protocol)
    write_people_file(layout.screening / "title_abstract" / "resolutions.csv", RESOLUTION_HEADER,
                      [["pubmed:3", "Include", "", "carol", "third reviewer"]])
    result = screen(layout, protocol)
    assert result.summary["stages"]["title_abstract"]["conflicts"] == {"open": 0, "resolved": 1}
    assert rows(layout.screening / "title_abstract" / "conflicts.csv")[0]["status"] == "resolved"
    ft_sheet = layout.sheet("full_text", "alice")
    # pubmed:3 entered full text one run later than the others, so it is appended after them
    assert [r["record_id"] for r in rows(ft_sheet)] == ["pubmed:1", "pubmed:4", "pubmed:5", "pubmed:3"]

    ft = {"pubmed:1": "include", "pubmed:4": "not retrieved"}
    decide(ft_sheet, ft | {"pubmed:3": ("exclude", "1"), "pubmed:5": ("exclude", "wrong population")})
    decide(layout.sheet("full_text", "bob"), ft | {"pubmed:3": ("exclude", "Wrong population"),
                                                  "pubmed:5": ("exclude", "Wrong study design")})
    result = screen(layout, protocol)
    assert rows(layout.screening / "full_text" / "conflicts.csv")[0]["issue"] == "different exclusion reasons"
    write_people_file(layout.screening / "full_text" / "resolutions.csv", RESOLUTION_HEADER,
                      [["pubmed:5", "exclude", "3", "alice and bob", "consensus"]])
    result = screen(layout, protocol)
    got = {k: (v["title_abstract"], v["full_text"], v["full_text_reason"]) for k, v in final(layout).items()}
    assert got == {"pubmed:1": ("include", "include", ""), "pubmed:2": ("exclude", "", ""),
                   "pubmed:3": ("include", "exclude", "Wrong population"),
                   "pubmed:4": ("include", "not_retrieved", ""),
                   "pubmed:5": ("include", "exclude", "Wrong study design")}
    ft_summary = result.summary["stages"]["full_text"]
    assert {k: ft_summary[k] for k in ("studies", "included", "excluded", "not_retrieved", "pending", "complete")} == {
        "studies": 4, "included": 1, "excluded": 2, "not_retrieved": 1, "pending": 0, "complete": True}
    assert ft_summary["excluded_by_reason"] == {"Wrong population": 1, "Wrong study design": 1}


def test_single_reviewer_decides_alone_except_maybe(tmp_path: Path) -> None:
    layout, protocol = five(tmp_path, ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "?"})
    screen(layout, protocol)
    assert {k: v["title_abstract"] for k, v in final(layout).items() if k in ("pubmed:1", "pubmed:2")} == {
        "pubmed:1": "include", "pubmed:2": "conflict"}
    assert rows(layout.screening / "title_abstract" / "conflicts.csv")[0]["issue"] == "maybe"


def test_summary_invariants_hold(tmp_path: Path) -> None:
    layout, protocol = five(tmp_path)
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "include"})
    decide(layout.sheet("title_abstract", "bob"), {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "maybe"})
    s = screen(layout, protocol).summary["stages"]
    ta, ft = s["title_abstract"], s["full_text"]
    assert ta["studies"] == ta["included"] + ta["excluded"] + ta["pending"] == 5
    assert ft["studies"] == ta["included"] == ft["included"] + ft["excluded"] + ft["not_retrieved"] + ft["pending"]


def test_example_column_marks_studies_decided_only_by_example_reviewers(tmp_path: Path) -> None:
    layout, protocol = five(tmp_path, ta=("example_reviewer", "alice"), ft=("alice",), examples=("example_reviewer",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "example_reviewer"), {"pubmed:1": "include", "pubmed:2": "include"})
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude"})
    write_people_file(layout.screening / "title_abstract" / "resolutions.csv", RESOLUTION_HEADER,
                      [["pubmed:2", "include", "", "example_reviewer", ""]])
    screen(layout, protocol)
    assert {k: v["example"] for k, v in final(layout).items()} == {
        "pubmed:1": "false", "pubmed:2": "true", "pubmed:3": "false", "pubmed:4": "false", "pubmed:5": "false"}
