"""Reviewers' decisions and the stage's outcomes share one vocabulary (`contracts.Outcome`)."""

from __future__ import annotations

from pipeline.contracts import FULL_TEXT_OUTCOMES, Outcome
from pipeline.screen.decisions import DECISION_WORDS, MAYBE, RESOLUTION_DECISIONS, STAGE_DECISIONS


def test_every_word_a_reviewer_may_write_means_an_outcome_or_maybe():
    meanings = set(DECISION_WORDS.values())
    assert meanings - {MAYBE} <= {str(o) for o in FULL_TEXT_OUTCOMES} and MAYBE not in set(Outcome)


def test_canonical_decisions_are_plain_strings_as_final_csv_holds_them():
    decisions = {*DECISION_WORDS.values(), *(d for allowed in STAGE_DECISIONS.values() for d in allowed)}
    assert {type(d) for d in decisions} == {str}


def test_a_resolution_may_settle_on_any_stage_decision_but_maybe():
    for stage, allowed in STAGE_DECISIONS.items():
        assert RESOLUTION_DECISIONS[stage] == tuple(d for d in allowed if d != MAYBE)
        assert Outcome.INCLUDE in allowed and Outcome.EXCLUDE in allowed
    assert Outcome.NOT_RETRIEVED in STAGE_DECISIONS["full_text"] and Outcome.NOT_RETRIEVED not in STAGE_DECISIONS["title_abstract"]
