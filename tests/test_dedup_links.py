"""Reports of one study across sources: preprint -> journal version merged; registration <-> papers linked."""

from __future__ import annotations

import polars as pl
from dedup_helpers import frame, record, study_of

from pipeline.dedup.engine import dedup
from pipeline.records import LINK_SCHEMA

PAPER = {"title": "Intrathecal mesenchymal stromal cells in progressive multiple sclerosis: a phase II trial",
         "authors": ["Orsted A", "Nunez J"], "year": 2021, "journal": "J Neuroimmunol", "volume": "12", "pages": "201-12",
         "abstract": "Forty people with progressive MS received intrathecal cells or sham."}


def links(*rows: tuple[str, str, str, str]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=LINK_SCHEMA, orient="row")


def test_a_preprint_joins_its_published_version_even_years_apart_with_another_title():
    records = frame(
        record("pubmed:90000001", pmid="90000001", **PAPER),
        record("europepmc:PPR:P1", **{**PAPER, "title": "Cells in the spinal fluid for progressive MS: a randomised pilot",
                                     "year": 2018, "journal": "medRxiv", "volume": None, "pages": None,
                                     "publication_types": ["Preprint"]}))
    alone = dedup(records)
    assert len(set(study_of(alone.clusters).values())) == 2               # nothing else would join them
    joined = dedup(records, links=links(("europepmc:PPR:P1", "preprint_of", "pmid", "90000001")))
    assert set(study_of(joined.clusters).values()) == {"pubmed:90000001"}  # the journal version leads
    assert joined.summary["preprints_joined"] == 1
    assert joined.summary["duplicates_removed"]["identifier"] == 1


def test_a_person_who_keeps_them_apart_wins_over_the_link():
    records = frame(record("pubmed:1", pmid="1", **PAPER), record("europepmc:PPR:P1", **{**PAPER, "title": "Other words entirely here"}))
    decisions = pl.DataFrame({"record_id_a": ["europepmc:PPR:P1"], "record_id_b": ["pubmed:1"],
                              "decision": ["not_duplicate"], "row": [2]})
    result = dedup(records, decisions, links=links(("europepmc:PPR:P1", "preprint_of", "pmid", "1")))
    assert len(set(study_of(result.clusters).values())) == 2


def test_a_registration_is_never_merged_with_its_publication_but_is_linked_to_it_by_nct_number():
    registration = record("ctgov:NCT09900001", **{**PAPER, "authors": [], "journal": "ClinicalTrials.gov", "volume": None,
                                                  "pages": None, "registry_ids": ["NCT09900001"],
                                                  "publication_types": ["Trial registration"]})
    paper = record("pubmed:90000001", pmid="90000001", registry_ids=["NCT09900001"], **PAPER)
    follow_up = record("pubmed:90000050", pmid="90000050", registry_ids=["NCT09900001"],
                       **{**PAPER, "title": "Five-year follow-up of intrathecal stromal cells in MS", "year": 2026, "volume": "17"})
    other = record("pubmed:90000060", pmid="90000060", **{**PAPER, "title": "An unrelated cohort of people with MS", "volume": "3"})
    result = dedup(frame(registration, paper, follow_up, other))
    assert len(set(study_of(result.clusters).values())) == 4
    assert result.groups.rows() == [("NCT09900001", "ctgov:NCT09900001", "NCT09900001"),
                                    ("NCT09900001", "pubmed:90000001", "NCT09900001"),
                                    ("NCT09900001", "pubmed:90000050", "NCT09900001")]
    assert result.summary["linked_reports"] == {"studies": 1, "reports": 3}


def test_a_register_results_list_links_a_paper_that_never_names_the_trial():
    registration = record("ctgov:NCT09900001", **{**PAPER, "title": "Stromal cells in MS (registration)", "authors": [],
                                                  "registry_ids": ["NCT09900001"], "publication_types": ["Trial registration"]})
    paper = record("pubmed:90000001", pmid="90000001", **PAPER)
    result = dedup(frame(registration, paper), links=links(("ctgov:NCT09900001", "registration_lists", "pmid", "90000001")))
    assert result.groups["study_id"].to_list() == ["ctgov:NCT09900001", "pubmed:90000001"]
    assert result.groups["linked_by"].to_list() == ["lists pubmed:90000001", "listed by ctgov:NCT09900001"]


def test_a_review_quoting_many_trial_numbers_links_nothing():
    numbers = ["NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004"]
    review = record("pubmed:7", pmid="7", registry_ids=numbers, **{**PAPER, "title": "A review of MSC trials in MS"})
    trial = record("pubmed:8", pmid="8", registry_ids=["NCT00000001"], **{**PAPER, "title": "A trial of MSCs", "volume": "2"})
    assert dedup(frame(review, trial)).groups.height == 0
