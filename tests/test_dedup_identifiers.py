"""Identifier matching: PMID, PMCID and DOI, where a DOI alone is not trusted."""

from __future__ import annotations

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record, study_of


def test_same_pmid_merges_despite_title_edits():
    a = record("pubmed:111", pmid="111", title="Preconditioning in rabbits")
    b = record("embase:9", pmid="111", title="Ischaemic pre-conditioning in the rabbit: a study", pages=None, abstract=None)
    clusters = dedup(frame(a, b)).clusters
    assert study_of(clusters)["embase:9"] == "pubmed:111"
    assert clusters.filter(clusters["record_id"] == "embase:9")["method"][0] == "identifier"


def test_same_doi_in_another_form_and_same_title_is_an_identifier_match():
    a = record("embase:1", doi="10.1006/jmcc.2001.1234")
    b = record("wos:1", doi="https://doi.org/10.1006/JMCC.2001.1234")
    clusters = dedup(frame(a, b)).clusters
    assert clusters["study_id"].n_unique() == 1
    assert set(clusters["method"]) == {"identifier"}


def test_supplement_abstracts_sharing_one_doi_stay_apart():
    doi = "10.1093/eurheartj/ehp416"
    a = record("embase:1", doi=doi, title="Remote conditioning reduces infarct size in pigs", pages="891",
               journal="Eur Heart J", volume="30", issue=None, authors=["Botker HE", "Kharbanda R"])
    b = record("embase:2", doi=doi, title="Immature hearts respond differently to preconditioning in rats", pages="893",
               journal="Eur Heart J", volume="30", issue=None, authors=["Jensen RV", "Stottrup NB"])
    assert dedup(frame(a, b)).clusters["study_id"].n_unique() == 2
