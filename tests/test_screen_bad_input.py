"""Bad input in people's files: every problem reported at once with file, row and column; nothing rewritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.screen.decisions import DECISION_WORDS, parse_decision, parse_reason
from tests.fixtures.screen.project import decide, project, screen, study, write_people_file

REASONS = ("Wrong population", "Wrong intervention", "Wrong study design")


def problems_of(layout, protocol) -> list:
    with pytest.raises(InputError) as err:
        screen(layout, protocol)
    return err.value.problems


@pytest.fixture
def single(tmp_path: Path):
    """Three studies, one reviewer at each stage, title/abstract sheet written."""
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    return layout, protocol


@pytest.mark.parametrize("word, meaning", [("Include", "include"), ("YES", "include"), ("y", "include"),
                                           ("in", "include"), ("no", "exclude"), ("Out", "exclude"),
                                           ("n", "exclude"), ("?", "maybe"), ("unsure", "maybe"),
                                           ("Not retrieved", "not_retrieved"), ("not_retrieved", "not_retrieved"),
                                           ("  ", None)])
def test_decision_words_and_synonyms_are_read_case_insensitively(word: str, meaning: str | None) -> None:
    assert parse_decision(word) == meaning


def test_every_synonym_maps_to_a_known_decision() -> None:
    assert set(DECISION_WORDS.values()) == {"include", "exclude", "maybe", "not_retrieved"}


def test_exclusion_reason_is_matched_by_text_in_any_case_or_by_number() -> None:
    assert parse_reason("wrong INTERVENTION", REASONS) == "Wrong intervention"
    assert parse_reason("3", REASONS) == "Wrong study design"
    for bad in ("", "4", "0", "too old"):
        with pytest.raises(ValueError):
            parse_reason(bad, REASONS)


def test_all_sheet_problems_are_reported_together_with_row_and_column(single) -> None:
    layout, protocol = single
    path = layout.sheet("title_abstract", "alice")
    write_people_file(path, ["record_id", "decision", "notes"], [
        ["pubmed:1", "perhaps", ""],          # row 2: unknown word
        ["pubmed:9", "include", ""],          # row 3: unknown key typed by a person
        ["pubmed:2", "include", ""],          # row 4
        ["pubmed:2", "exclude", ""],          # row 5: same key, different decision
        ["pubmed:3", "not retrieved", ""],    # row 6: full-text outcome at title/abstract
    ])
    before = path.read_bytes()
    found = {(p.row, p.column): p for p in problems_of(layout, protocol)}
    assert set(found) == {(2, "decision"), (3, "record_id"), (5, "decision"), (6, "decision")}
    assert all(p.file == str(path) for p in found.values())
    assert "perhaps" in found[(2, "decision")].message
    assert "unknown record key 'pubmed:9'" in found[(3, "record_id")].message
    assert "appears twice" in found[(5, "decision")].message
    assert "not a title/abstract decision" in found[(6, "decision")].message
    assert path.read_bytes() == before


def test_duplicate_rows_with_the_same_decision_are_accepted(single) -> None:
    layout, protocol = single
    write_people_file(layout.sheet("title_abstract", "alice"), ["record_id", "decision"],
                      [["pubmed:1", "include"], ["pubmed:1", "yes"]])
    screen(layout, protocol)


def test_full_text_exclusion_needs_a_listed_reason(single) -> None:
    layout, protocol = single
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "include", "pubmed:3": "include"})
    screen(layout, protocol)
    ft = layout.sheet("full_text", "alice")
    decide(ft, {"pubmed:1": ("exclude", ""), "pubmed:2": ("exclude", "too small"), "pubmed:3": ("exclude", "2")})
    before = ft.read_bytes()
    found = problems_of(layout, protocol)
    assert [(p.row, p.column) for p in found] == [(2, "reason"), (3, "reason")]
    assert "needs a reason" in found[0].message and "'too small' is not in the protocol's list" in found[1].message
    assert "2 = Wrong intervention" in found[1].message
    assert ft.read_bytes() == before


def test_full_text_decision_for_a_study_not_included_at_title_abstract_is_refused(single) -> None:
    layout, protocol = single
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude"})
    screen(layout, protocol)
    ft = layout.sheet("full_text", "alice")
    write_people_file(ft, ["record_id", "decision"], [["pubmed:1", "include"], ["pubmed:2", "include"]])
    found = problems_of(layout, protocol)
    assert [(p.file, p.row, p.column) for p in found] == [(str(ft), 3, "decision")]
    assert "not included at title/abstract (it is exclude)" in found[0].message


def test_problems_in_several_files_are_reported_in_one_error(single) -> None:
    layout, protocol = single
    write_people_file(layout.sheet("title_abstract", "alice"), ["record_id", "decision"], [["pubmed:1", "meh"]])
    resolutions = layout.screening / "title_abstract" / "resolutions.csv"
    write_people_file(resolutions, ["study_id", "decision", "reason", "resolved_by", "notes"],
                      [["pubmed:2", "maybe", "", "carol", ""], ["pubmed:3", "include", "", "", ""],
                       ["pubmed:77", "include", "", "carol", ""]])
    overrides = layout.screening / "automation_overrides.csv"
    write_people_file(overrides, ["study_id", "decision", "reviewer", "notes"], [["pubmed:1", "keep", "carol", ""]])
    found = {(Path(p.file).name, p.row, p.column) for p in problems_of(layout, protocol)}
    assert found == {("alice.csv", 2, "decision"), ("resolutions.csv", 2, "decision"),
                     ("resolutions.csv", 3, "resolved_by"), ("resolutions.csv", 4, "study_id"),
                     ("automation_overrides.csv", 2, "decision")}


def test_cli_reports_problems_as_one_message_and_exit_code_1(single, capsys) -> None:
    from pipeline.cli import main

    layout, _ = single
    write_people_file(layout.sheet("title_abstract", "alice"), ["record_id", "decision"], [["pubmed:1", "meh"]])
    assert main(["screen", "--root", str(layout.root)]) == 1
    err = capsys.readouterr().err
    assert "alice.csv, row 2, column 'decision': unknown decision 'meh'" in err
    assert "Traceback" not in err


def test_full_text_resolution_for_a_study_not_at_full_text_is_refused(single) -> None:
    layout, protocol = single
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "exclude"})
    write_people_file(layout.screening / "full_text" / "resolutions.csv", ["study_id", "decision", "reason", "resolved_by"],
                      [["pubmed:2", "include", "", "carol"]])
    found = problems_of(layout, protocol)
    assert [(Path(p.file).name, p.row, p.column) for p in found] == [("resolutions.csv", 2, "study_id")]
    assert "is not screened at the full-text stage" in found[0].message


def test_a_sheet_for_someone_not_in_the_protocol_is_left_alone_with_a_warning(single) -> None:
    layout, protocol = single
    stray = layout.sheet("title_abstract", "dave")
    write_people_file(stray, ["record_id", "decision"], [["pubmed:1", "nonsense"]])
    before = stray.read_bytes()
    result = screen(layout, protocol)
    assert result.warnings == [f"{stray} belongs to no reviewer named in the protocol; it is left alone and not counted"]
    assert stray.read_bytes() == before
