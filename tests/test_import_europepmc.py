"""Europe PMC REST results (core JSON) -> records and preprint links."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from pipeline.imports import europepmc_json
from pipeline.records import LINK_SCHEMA, RECORD_SCHEMA


@pytest.fixture
def results(fixtures):
    return json.loads((fixtures / "europepmc" / "results.json").read_text(encoding="utf-8"))["result"]


def rows(results):
    records, links = europepmc_json.read_results(results, "europepmc", "snap/page-00001.json.gz")
    return {r["record_id"]: r for r in records.iter_rows(named=True)}, links


def test_records_keep_pmid_pmcid_doi_and_are_keyed_by_europe_pmc_source_and_id(results):
    records, _ = europepmc_json.read_results(results, "europepmc", "f")
    assert records.schema == RECORD_SCHEMA
    by_id, _ = rows(results)
    assert list(by_id) == ["europepmc:MED:90000001", "europepmc:PPR:PPR900001", "europepmc:MED:90000010",
                           "europepmc:PMC:PMC9000020", "europepmc:MED:90000030"]
    med = by_id["europepmc:MED:90000001"]
    assert (med["pmid"], med["pmcid"], med["doi"]) == ("90000001", "PMC9000001", "10.5555/standin.2021.0001")
    assert by_id["europepmc:MED:90000030"]["doi"] == "10.5555/standin.2020.0030"          # lower-cased
    assert by_id["europepmc:PMC:PMC9000020"]["pmcid"] == "PMC9000020"
    assert by_id["europepmc:PMC:PMC9000020"]["pmid"] is None


def test_bibliographic_fields_authors_mesh_and_abstract_headings(results):
    med = rows(results)[0]["europepmc:MED:90000001"]
    assert med["authors"] == ["Ørsted A", "Núñez J"]
    assert (med["journal"], med["journal_abbrev"], med["volume"], med["issue"], med["pages"], med["year"]) == (
        "Journal of Stand-in Neuroimmunology", "J Stand-in Neuroimmunol", "12", "3", "201-212", 2021)
    assert med["mesh"] == ["Multiple Sclerosis, Chronic Progressive", "Mesenchymal Stem Cells"]
    assert med["abstract"].startswith("Background: Fictional background text")
    assert "Methods: Forty people" in med["abstract"]
    assert med["registry_ids"] == ["NCT09900001"]
    assert med["language"] == ["eng"] and med["keywords"] == ["Intrathecal", "EDSS"]


def test_a_preprint_is_marked_and_linked_to_its_published_version(results):
    by_id, links = rows(results)
    preprint = by_id["europepmc:PPR:PPR900001"]
    assert preprint["publication_types"] == ["Preprint"]
    assert preprint["journal"] == "medRxiv"
    assert "Stand-in Trial Group" in preprint["authors"]
    assert links.schema == LINK_SCHEMA
    assert links.rows() == [("europepmc:PPR:PPR900001", "preprint_of", "pmid", "90000001")]


def test_a_preprint_without_the_ppr_source_is_still_a_preprint_and_gets_the_type_once():
    result = {"id": "X1", "source": "PPR", "pubTypeList": {"pubType": "Preprint"}}
    assert europepmc_json.record(result, "e", "f")["publication_types"] == ["Preprint"]


def test_europe_pmc_retraction_relations_set_the_flags(results):
    retracted = rows(results)[0]["europepmc:MED:90000010"]
    assert retracted["retracted"] is True
    result = {"id": "1", "source": "MED", "commentCorrectionList": {"commentCorrection":
              {"type": "Expression of concern in", "id": "2", "source": "MED"}}}
    row = europepmc_json.record(result, "e", "f")
    assert (row["retracted"], row["has_expression_of_concern"], row["has_erratum"]) == (False, True, False)


def test_a_result_without_source_or_id_is_an_error_naming_the_file():
    with pytest.raises(InputError, match=r"page\.json: result 1: result has no 'source' and 'id'"):
        europepmc_json.read_results([{"title": "x"}], "e", "page.json")


def test_the_author_string_is_used_when_there_is_no_author_list():
    assert europepmc_json.authors({"authorString": "Smith J, Jones K."}) == ["Smith J", "Jones K"]
