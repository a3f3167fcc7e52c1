"""A decision cell may carry a note after the word; the word is the decision, the rest its note."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.screen.decisions import split_decision
from tests.fixtures.screen.project import decide, project, screen, study, write_people_file


@pytest.mark.parametrize("cell, decision, note", [
    ("not sure (needs to be discussed)", "maybe", "needs to be discussed"),
    ("No - wrong population", "exclude", "wrong population"),
    ("No – wrong population", "exclude", "wrong population"),
    ("exclude: animal study", "exclude", "animal study"),
    ("Yes, clearly eligible", "include", "clearly eligible"),
    ("Maybe (dose unclear)", "maybe", "dose unclear"),
    ("not retrieved - library has no access", "not_retrieved", "library has no access"),
    ("Include", "include", ""),
])
def test_the_word_is_the_decision_and_the_rest_a_note(cell, decision, note):
    assert split_decision(cell) == (decision, note)


@pytest.mark.parametrize("cell", ["perhaps (ask bob)", "n/a", "nope - wrong population", "wrong population", "no-wrong population"])
def test_unknown_words_stay_errors_even_with_a_note(cell):
    with pytest.raises(ValueError, match="unknown decision"):
        split_decision(cell)


@pytest.fixture
def single(tmp_path: Path):
    layout, protocol = project(tmp_path, [study(f"pubmed:{i}") for i in (1, 2, 3)], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    return layout, protocol


def test_a_sheet_with_notes_in_decision_cells_is_screened(single):
    layout, protocol = single
    write_people_file(layout.sheet("title_abstract", "alice"), ["record_id", "decision"], [
        ["pubmed:1", "not sure (needs to be discussed)"], ["pubmed:2", "No - wrong population"], ["pubmed:3", "yes"]])
    screen(layout, protocol)  # no InputError


def test_a_sheet_with_an_unknown_word_before_a_note_names_row_and_column(single):
    layout, protocol = single
    write_people_file(layout.sheet("title_abstract", "alice"), ["record_id", "decision"], [
        ["pubmed:1", "perhaps (ask bob)"], ["pubmed:2", "no"]])
    with pytest.raises(InputError) as err:
        screen(layout, protocol)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "decision")]


def test_a_full_text_exclusion_note_naming_a_listed_reason_is_the_reason(single):
    layout, protocol = single
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "include", "pubmed:3": "include"})
    screen(layout, protocol)
    reasons = protocol.exclusion_reasons
    assert reasons, "the test project lists exclusion reasons"
    decide(layout.sheet("full_text", "alice"), {"pubmed:1": (f"No - {reasons[0].lower()}", ""), "pubmed:2": ("include", ""),
                                                "pubmed:3": ("exclude - too small", "")})
    with pytest.raises(InputError) as err:
        screen(layout, protocol)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, "reason")]  # 'too small' is not a listed reason
