"""The protocol's live register and database searches, and its answers to flagged retractions."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.protocol import CtgovSearch, EuropePmcSearch, load

HEAD = '[review]\ntitle = "t"\n'


def protocol(tmp_path, text):
    path = tmp_path / "queries" / "review.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEAD + text)
    return load(path)


def test_a_clinicaltrials_gov_search_is_a_register_source_with_its_query_parameters(tmp_path):
    p = protocol(tmp_path, '''
[[sources]]
name = "ctgov"
type = "ctgov"
condition = "multiple   sclerosis"
intervention = """mesenchymal
OR MSC"""
[sources.filters]
overallStatus = "COMPLETED,TERMINATED"
''')
    (search,) = p.live
    assert isinstance(search, CtgovSearch) and search.kind == "register" and search.database == "ClinicalTrials.gov"
    assert search.query_params == {"query.cond": "multiple sclerosis", "query.intr": "mesenchymal OR MSC",
                                   "filter.overallStatus": "COMPLETED,TERMINATED"}


def test_a_europe_pmc_search_is_a_database_source(tmp_path):
    p = protocol(tmp_path, '[[sources]]\nname = "epmc"\ntype = "europepmc"\nquery = "mesenchymal"\n')
    (search,) = p.live
    assert isinstance(search, EuropePmcSearch) and search.kind == "database" and search.database == "Europe PMC"
    assert p.searches == ()                    # not a PubMed search


def test_a_register_search_needs_some_query_and_string_filters(tmp_path):
    with pytest.raises(InputError) as caught:
        protocol(tmp_path, '[[sources]]\nname = "ct"\ntype = "ctgov"\n[sources.filters]\nphase = 2\n')
    text = str(caught.value)
    assert "sources[1]: a ClinicalTrials.gov search needs condition, intervention or term" in text
    assert "sources[1].filters.phase: must be a string" in text


def test_retraction_acknowledgments_name_the_study_a_decision_and_a_reason(tmp_path):
    p = protocol(tmp_path, '''
[[retractions]]
doi = "10.1/a"
decision = "keep"
reason = "Retracted for an unrelated figure"
''')
    assert p.retractions[0].doi == "10.1/a" and p.retractions[0].decision == "keep"
    with pytest.raises(InputError) as caught:
        protocol(tmp_path, '[[retractions]]\ndecision = "maybe"\n')
    text = str(caught.value)
    assert "retractions[1]: name the study with doi" in text
    assert "retractions[1].decision: must be 'keep' or 'exclude', not 'maybe'" in text
    assert "retractions[1].reason: is required" in text
