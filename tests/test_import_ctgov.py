"""ClinicalTrials.gov API v2 study JSON -> records, registration details and links."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from pipeline.imports import ctgov_json
from pipeline.records import LINK_SCHEMA, RECORD_SCHEMA, REGISTRATION_SCHEMA


@pytest.fixture
def studies(fixtures):
    return json.loads((fixtures / "ctgov" / "studies.json").read_text(encoding="utf-8"))["studies"]


def test_each_study_becomes_one_record_keyed_by_its_nct_number(studies):
    records, regs, links = ctgov_json.read_studies(studies, "ctgov", "snap/page-00001.json.gz")
    assert records.schema == RECORD_SCHEMA and regs.schema == REGISTRATION_SCHEMA and links.schema == LINK_SCHEMA
    assert records["record_id"].to_list() == ["ctgov:NCT09900001", "ctgov:NCT09900002", "ctgov:NCT09900003", "ctgov:NCT09900004"]
    first = records.row(0, named=True)
    assert first["title"] == "Intrathecal Mesenchymal Stromal Cells in Progressive Multiple Sclerosis"
    assert first["year"] == 2018
    assert first["url"] == "https://clinicaltrials.gov/study/NCT09900001"
    assert first["publication_types"] == ["Trial registration"]
    assert first["abstract"].startswith("Forty people with progressive MS receive intrathecal autologous")   # ** dropped
    assert "Autologous bone-marrow mesenchymal stromal cells" in first["keywords"]
    assert "Multiple Sclerosis, Primary Progressive" in first["keywords"]


def test_registration_numbers_include_other_registers_from_secondary_ids(studies):
    assert ctgov_json.registry_ids(studies[0]) == ["NCT09900001", "EUCTR2019-000001-01"]


def test_registration_details_keep_phase_design_enrolment_status_dates_and_results(studies):
    _, regs, _ = ctgov_json.read_studies(studies, "ctgov", "f")
    first, second, third, fourth = regs.iter_rows(named=True)
    assert first["official_title"].startswith("A Phase II, Randomised")
    assert first["phases"] == ["PHASE2"] and second["phases"] == ["PHASE1", "PHASE2"]
    assert first["design"] == "RANDOMIZED; CROSSOVER; TREATMENT; masking DOUBLE"
    assert (first["enrolment"], first["enrolment_type"]) == (40, "ACTUAL")
    assert (first["overall_status"], first["start_date"], first["completion_date"]) == ("COMPLETED", "2018-03-01", "2020-09-30")
    assert first["has_results"] is True and second["has_results"] is False
    assert first["reference_pmids"] == ["90000001", "90000099"]
    assert third["why_stopped"] == "Funding withdrawn" and third["reference_pmids"] == []
    assert fourth["design"] == "COHORT; PROSPECTIVE" and fourth["study_type"] == "OBSERVATIONAL"


def test_only_result_publications_become_links_background_ones_do_not(studies):
    _, _, links = ctgov_json.read_studies(studies, "ctgov", "f")
    assert links.rows() == [("ctgov:NCT09900001", "registration_lists", "pmid", "90000001")]


def test_a_study_without_an_nct_number_is_an_error_naming_the_file_and_study():
    with pytest.raises(InputError, match=r"page\.json: study 2: study has no NCT number"):
        ctgov_json.read_studies([{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}},
                                 {"protocolSection": {"identificationModule": {"nctId": "12345"}}}], "ctgov", "page.json")


def test_a_study_listed_twice_across_pages_is_kept_once(studies):
    records, regs, _ = ctgov_json.read_studies(studies + studies[:1], "ctgov", "f")
    assert records.height == regs.height == 4


def test_missing_modules_and_odd_types_give_empty_values_not_errors():
    study = {"protocolSection": {"identificationModule": {"nctId": "nct00000007", "briefTitle": None},
                                 "designModule": {"phases": "PHASE1", "enrollmentInfo": {"count": "many"}},
                                 "referencesModule": {"references": [{"pmid": "abc", "type": "RESULT"}, "junk"]}}}
    records, regs, links = ctgov_json.read_studies([study], "ctgov", "f")
    row, reg = records.row(0, named=True), regs.row(0, named=True)
    assert row["record_id"] == "ctgov:NCT00000007" and row["title"] is None and row["year"] is None
    assert reg["phases"] == [] and reg["enrolment"] is None and reg["reference_pmids"] == []
    assert links.height == 0
