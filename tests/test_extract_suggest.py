"""Suggested values come from the record's own words and tags; when unsure, there is no suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.extract import Case, fixture_cases, majority, score
from pipeline.extract.suggest import suggest
from pipeline.protocol import load

REPO = Path(__file__).resolve().parents[1]
FORM = load(REPO / "queries" / "review.toml", root=REPO).extraction


def one(title: str = "", abstract: str = "", types: tuple[str, ...] = (), mesh: tuple[str, ...] = (), **extra) -> dict:
    return suggest(FORM, [{"title": title, "abstract": abstract, "publication_types": list(types), "mesh": list(mesh),
                           **extra}])


def test_publication_types_and_mesh_are_evidence_without_any_text() -> None:
    got = one(types=("Randomized Controlled Trial", "Clinical Trial, Phase II"),
              mesh=("Multiple Sclerosis, Relapsing-Remitting", "Injections, Spinal", "Adipose Tissue"))
    assert (got["study_design"], got["phase"], got["population"], got["route"], got["cell_product"]) == \
        ("RCT", "II", "RRMS", "intrathecal", "AD-MSC")


def test_an_eae_experiment_is_charted_as_animal_and_gets_no_human_values() -> None:
    got = one("Umbilical cord MSCs ameliorate experimental autoimmune encephalomyelitis in mice",
              "Mice received cells intravenously; relapses and disability were scored.")
    assert (got["study_design"], got["population"], got["phase"], got["n_treated"]) == ("animal EAE", "EAE model", "", "")
    assert "relapses" not in got["outcomes"] and "EAE clinical score" in got["outcomes"]


@pytest.mark.parametrize("title, field", [
    ("Bone marrow and adipose MSCs compared in multiple sclerosis", "cell_product"),
    ("Intrathecal or intraperitoneal MSCs", "route"),
    ("A randomized comparison within a case series", "study_design"),
])
def test_rival_evidence_gives_no_suggestion(title: str, field: str) -> None:
    assert one(title)[field] == ""


def test_participants_phase_span_and_follow_up_are_read_from_phrases() -> None:
    got = one("A phase I/IIa trial", "Twenty patients received MSCs; n = 20. A two-year follow-up is reported.")
    assert (got["phase"], got["n_treated"], got["follow_up_months"]) == ("I/II", "20", "24")


def test_two_different_counts_of_patients_give_no_count() -> None:
    assert one("", "12 patients were screened and 10 patients were treated")["n_treated"] == ""


def test_registration_numbers_from_records_and_text_are_suggested_once() -> None:
    got = one("Trial NCT01234567", "Registered as NCT01234567 and EudraCT 2008-004015-35", registry_ids=["NCT01234567"])
    assert got["registration"] == "NCT01234567; EudraCT 2008-004015-35"


def test_a_form_with_other_values_gets_no_suggestion_outside_its_list(tmp_path: Path) -> None:
    path = tmp_path / "review.toml"
    path.write_text('[extraction.fields.route]\ntype = "choice"\nvalues = ["oral", "topical"]\n', encoding="utf-8")
    form = load(path, root=tmp_path).extraction
    assert suggest(form, [{"title": "intrathecal MSCs"}]) == {"route": ""}


def test_suggestions_on_the_fixture_set_are_mostly_right_and_beat_the_majority_baseline() -> None:
    cases = fixture_cases()
    ours = score(cases, FORM)
    made, correct = sum(s.suggested for s in ours), sum(s.correct for s in ours)
    baseline = score(cases, FORM, majority(cases, FORM))
    assert correct / made >= 0.9
    assert correct / made > sum(s.correct for s in baseline) / sum(s.suggested for s in baseline)


def test_the_benchmark_counts_a_suggestion_against_an_empty_reference_as_wrong() -> None:
    case = Case("x", ({"title": "an intrathecal study"},), {"route": "", "study_design": "RCT"})
    route = next(s for s in score([case], FORM) if s.field == "route")
    assert (route.reference, route.suggested, route.correct, route.precision) == (0, 1, 0, 0.0)


def test_a_number_word_inside_a_compound_is_not_a_count() -> None:
    assert one("", "Fifty-four patients were randomised")["n_treated"] == ""


def test_not_randomized_with_controls_is_a_non_randomised_controlled_study() -> None:
    got = one("", "Thirteen patients were treated and 10 control patients were not; allocation was not randomized.")
    assert got["study_design"] == "non-randomised controlled"


def test_an_eae_paper_naming_mice_is_animal_even_when_it_mentions_patients() -> None:
    got = one("MSCs in EAE", "EAE was induced in C57BL/6 mice; the findings may help patients with MS.")
    assert got["study_design"] == "animal EAE"
    assert one("MSCs in EAE", "Patients were treated", types=("Clinical Trial, Phase I",))["study_design"] != "animal EAE"
