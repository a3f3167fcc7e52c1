"""Automation rules mark studies ineligible before screening; a person can overrule them."""

from __future__ import annotations

from pathlib import Path

from pipeline.protocol import AutomationRule
from pipeline.screen.automation import fires
from tests.fixtures.screen.project import final, project, rows, screen, study, write_people_file, write_protocol

RULES = """
[[automation]]
name = "Not a study report"
field = "publication_types"
exclude_if_any = ["Editorial", "Comment"]
[[automation]]
name = "Too old"
field = "year"
exclude_below = 1990
[[automation]]
name = "Not English"
field = "language"
exclude_unless_any = ["eng"]
"""


def test_rule_kinds_fire_on_the_right_values() -> None:
    kind = AutomationRule("k", "publication_types", exclude_if_any=("editorial",))
    assert fires(kind, ["Journal Article", "Editorial"]) == ["Editorial"]
    assert fires(kind, ["Journal Article"]) is None
    unless = AutomationRule("u", "language", exclude_unless_any=("eng",))
    assert fires(unless, ["ger"]) == ["ger"] and fires(unless, ["ger", "eng"]) is None and fires(unless, []) is None
    years = AutomationRule("y", "year", exclude_below=1990, exclude_above=2024)
    assert fires(years, 1989) == ["1989"] and fires(years, 2025) == ["2025"]
    assert fires(years, 1990) is None and fires(years, None) is None


def studies() -> list[dict]:
    return [study("pubmed:1", publication_types=["Editorial"], year=1985),   # two rules: the first one counts
            study("pubmed:2", year=1980),
            study("pubmed:3", language=["ger"]),
            study("pubmed:4", language=["eng"], year=2020),
            study("pubmed:5", publication_types=["Comment"])]


def test_ineligible_studies_are_listed_with_the_first_rule_and_not_screened(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, studies(), ta=("alice",), ft=("alice",), automation=RULES)
    result = screen(layout, protocol)
    assert rows(layout.screening / "automation.csv") == [
        {"study_id": "pubmed:1", "rule": "Not a study report", "field": "publication_types", "value": "Editorial", "overruled": "false"},
        {"study_id": "pubmed:2", "rule": "Too old", "field": "year", "value": "1980", "overruled": "false"},
        {"study_id": "pubmed:3", "rule": "Not English", "field": "language", "value": "ger", "overruled": "false"},
        {"study_id": "pubmed:5", "rule": "Not a study report", "field": "publication_types", "value": "Comment", "overruled": "false"},
    ]
    assert result.summary["automation"] == {"ineligible": 4, "overruled": 0,
                                            "by_rule": {"Not a study report": 2, "Too old": 1, "Not English": 1}}
    assert [r["record_id"] for r in rows(layout.sheet("title_abstract", "alice"))] == ["pubmed:4"]
    assert final(layout)["pubmed:2"] == {"study_id": "pubmed:2", "automation": "ineligible", "title_abstract": "",
                                              "full_text": "", "full_text_reason": "", "example": "false"}
    assert result.summary["stages"]["title_abstract"]["studies"] == 5 - 4


def test_a_person_overrules_a_rule_and_the_study_is_screened(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, studies(), ta=("alice",), ft=("alice",), automation=RULES)
    screen(layout, protocol)
    assert rows(layout.screening / "automation_overrides.csv") == []           # created with a header for people
    write_people_file(layout.screening / "automation_overrides.csv", ["study_id", "decision", "reviewer", "notes"],
                      [["pubmed:3", "Eligible", "alice", "has an English abstract"]])
    result = screen(layout, protocol)
    assert result.summary["automation"] == {"ineligible": 3, "overruled": 1,
                                            "by_rule": {"Not a study report": 2, "Too old": 1, "Not English": 0}}
    assert {r["study_id"]: r["overruled"] for r in rows(layout.screening / "automation.csv")}["pubmed:3"] == "true"
    assert [r["record_id"] for r in rows(layout.sheet("title_abstract", "alice"))] == ["pubmed:4", "pubmed:3"]
    assert final(layout)["pubmed:3"]["automation"] == "" and final(layout)["pubmed:3"]["title_abstract"] == "pending"


def test_a_screened_row_whose_study_becomes_ineligible_stays_flagged(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, studies(), ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    path = layout.sheet("title_abstract", "alice")
    write_people_file(path, ["record_id", "decision"], [["pubmed:1", "include"]])
    protocol = write_protocol(tmp_path, ta=("alice",), ft=("alice",), automation=RULES)
    screen(layout, protocol)
    back = {r["record_id"]: r for r in rows(path)}
    assert back["pubmed:1"]["decision"] == "include"
    assert back["pubmed:1"]["status"] == "ineligible (automation: Not a study report); not screened"
    assert final(layout)["pubmed:1"]["automation"] == "ineligible"
