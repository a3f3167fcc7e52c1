"""A team's earlier screening in Rayyan, ASReview LAB or Covidence carries over as named reviewers' decisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.protocol import load
from pipeline.screen.agreement import cohen, table
from tests.fixtures.screen.project import decide, final, project, rows, screen, study

PRIOR = Path(__file__).resolve().parent / "fixtures" / "screen" / "prior"


def with_import(layout, protocol, block: str, *files: str):
    """Copy export files into queries/screening/ and add an [[screening.imported]] block to the protocol."""
    folder = layout.root / "queries" / "screening"
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy(PRIOR / name, folder / name)
    protocol.path.write_text(protocol.path.read_text(encoding="utf-8") + "\n" + block, encoding="utf-8")
    return load(protocol.path, root=layout.root)


RAYYAN = '''[[screening.imported]]
stage = "title_abstract"
format = "rayyan-csv"
path = "queries/screening/rayyan_articles.csv"
reviewers = { "Alice Smith" = "alice", "Bob Jones" = "bob" }
'''


@pytest.fixture
def two(tmp_path: Path):
    return project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)])


def sheet(layout, who: str, stage: str = "title_abstract") -> dict[str, dict[str, str]]:
    return {r["record_id"]: r for r in rows(layout.sheet(stage, who))}


def test_rayyan_votes_become_each_reviewers_decisions_in_their_sheets(two):
    layout, protocol = two
    protocol = with_import(layout, protocol, RAYYAN, "rayyan_articles.csv")
    result = screen(layout, protocol)
    alice, bob = sheet(layout, "alice"), sheet(layout, "bob")
    assert {k: r["decision"] for k, r in alice.items()} == {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "maybe"}
    assert {k: r["decision"] for k, r in bob.items()} == {"pubmed:1": "include", "pubmed:2": "include", "pubmed:3": "exclude"}
    assert alice["pubmed:1"]["notes"] == "check dose; imported from queries/screening/rayyan_articles.csv row 2"
    assert "pubmed:3" in alice and "row 4" in alice["pubmed:3"]["notes"]  # matched by its title, case and full stop aside
    assert any("1 row(s) match no study" in w and "rows 5" in w for w in result.warnings)


def test_imported_decisions_count_in_agreement_and_kappa(two):
    layout, protocol = two
    protocol = with_import(layout, protocol, RAYYAN, "rayyan_articles.csv")
    pair = screen(layout, protocol).summary["stages"]["title_abstract"]["agreement"]["pairs"][0]
    expected = cohen(table([("include", "include"), ("exclude", "include"), ("maybe", "exclude")], ("include", "exclude", "maybe")))
    assert (pair["a"], pair["b"]) == ("alice", "bob")
    assert pair["kappa"] == expected["kappa"] and pair["n"] == 3


def test_a_second_run_gives_the_same_outcome_and_leaves_the_sheets_alone(two):
    layout, protocol = two
    protocol = with_import(layout, protocol, RAYYAN, "rayyan_articles.csv")
    first = screen(layout, protocol).summary
    before = layout.sheet("title_abstract", "alice").read_bytes()
    assert screen(layout, protocol).summary == first
    assert layout.sheet("title_abstract", "alice").read_bytes() == before


def test_a_decision_written_in_the_sheet_wins_over_the_imported_one(two):
    layout, protocol = two
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:2": "include"})
    protocol = with_import(layout, protocol, RAYYAN, "rayyan_articles.csv")
    screen(layout, protocol)
    assert sheet(layout, "alice")["pubmed:2"]["decision"] == "include"
    assert sheet(layout, "alice")["pubmed:1"]["decision"] == "include"  # the empty cells were filled


def test_a_rayyan_reviewer_the_protocol_does_not_map_is_an_error_naming_file_and_row(two):
    layout, protocol = two
    protocol = with_import(layout, protocol, RAYYAN.replace(', "Bob Jones" = "bob"', ""), "rayyan_articles.csv")
    with pytest.raises(InputError) as err:
        screen(layout, protocol)
    [problem] = err.value.problems
    assert (problem.file, problem.row, problem.column) == ("queries/screening/rayyan_articles.csv", 2, "notes")
    assert "'Bob Jones'" in problem.message and '"Bob Jones" = ' in problem.message


def test_asreview_labels_are_one_reviewers_decisions(tmp_path):
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)], ta=("alice",), ft=("alice",))
    protocol = with_import(layout, protocol, '''[[screening.imported]]
format = "asreview-csv"
path = "queries/screening/asreview_export.csv"
reviewer = "alice"
''', "asreview_export.csv")
    screen(layout, protocol)
    assert {k: r["decision"] for k, r in sheet(layout, "alice").items()} == {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": ""}
    assert final(layout)["pubmed:2"]["title_abstract"] == "exclude"


def test_a_covidence_full_text_exclusion_list_carries_its_reasons(tmp_path):
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "include", "pubmed:3": "exclude"})
    protocol = with_import(layout, protocol, '''[[screening.imported]]
stage = "full_text"
format = "covidence-csv"
path = "queries/screening/covidence_excluded.csv"
reviewer = "alice"
decision = "exclude"
''', "covidence_excluded.csv")
    screen(layout, protocol)
    assert (final(layout)["pubmed:2"]["full_text"], final(layout)["pubmed:2"]["full_text_reason"]) == ("exclude", "Wrong population")
    assert sheet(layout, "alice", "full_text")["pubmed:2"]["reason"] == "Wrong population"


@pytest.mark.parametrize("block, message", [
    ('format = "covidence-csv"\npath = "x.csv"\nreviewer = "alice"\n', "which Covidence list"),
    ('format = "asreview-csv"\npath = "x.csv"\n', "reviewer: is required"),
    ('format = "rayyan"\npath = "x.csv"\n', "format: must be one of rayyan-csv"),
    ('format = "asreview-csv"\npath = "x.csv"\nreviewer = "carol"\n', "'carol' is not a reviewer"),
])
def test_an_imported_screening_block_is_checked_with_the_protocol(two, block, message):
    layout, protocol = two
    protocol.path.write_text(protocol.path.read_text(encoding="utf-8") + "\n[[screening.imported]]\n" + block, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load(protocol.path, root=layout.root)


def test_an_imported_full_text_decision_for_a_study_not_at_full_text_is_named_in_a_warning(tmp_path):
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude", "pubmed:3": "exclude"})
    protocol = with_import(layout, protocol, '''[[screening.imported]]
stage = "full_text"
format = "covidence-csv"
path = "queries/screening/covidence_excluded.csv"
reviewer = "alice"
decision = "exclude"
''', "covidence_excluded.csv")
    result = screen(layout, protocol)
    assert any("1 imported full-text decision(s) of alice" in w and "covidence_excluded.csv row 2" in w for w in result.warnings)
