"""PubMed, ClinicalTrials.gov and Europe PMC together: `search` against the three stand-ins, then the
review offline: PRISMA columns, records across sources joined or linked, and offline failure."""

from __future__ import annotations

import json
import socket

import polars as pl
import pytest
from ctgov_server import CtgovServer
from europepmc_server import EuropePmcServer
from eutils_server import EutilsServer

from pipeline.cli import main
from pipeline.layout import Layout

PROTOCOL = '''
[review]
title = "Sources test"

[[sources]]
name = "pubmed"
type = "pubmed"
query = "mesenchymal[tiab]"

[[sources]]
name = "ctgov"
type = "ctgov"
condition = "multiple sclerosis"
intervention = "mesenchymal OR MSC OR MSCs OR MSC-NP"

[[sources]]
name = "europepmc"
type = "europepmc"
query = '(TITLE_ABS:"multiple sclerosis" OR encephalomyelitis) AND (mesenchymal OR MSC OR MSCs)'

[screening.title_abstract]
reviewers = ["alice"]
'''


@pytest.fixture
def project(tmp_path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL)
    return tmp_path


@pytest.fixture
def searched(project, monkeypatch):
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    with EutilsServer(count=0) as eutils, CtgovServer(count=3) as ct, EuropePmcServer(count=2) as ep:
        monkeypatch.setenv("NCBI_EUTILS_URL", eutils.url)
        monkeypatch.setenv("CTGOV_API_URL", ct.url)
        monkeypatch.setenv("EUROPEPMC_API_URL", ep.url)
        assert main(["search", "--root", str(project), "--backoff", "0.01"]) == 0
    for stage in ("import", "dedup", "screen", "report"):
        assert main([stage, "--root", str(project)]) == 0, stage
    return Layout.at(project)


def test_every_live_source_lands_in_its_prisma_column_with_its_counts(searched):
    sources = {s["name"]: s for s in json.loads(searched.records_sources.read_text())["sources"]}
    assert (sources["ctgov"]["kind"], sources["europepmc"]["kind"]) == ("register", "database")
    assert sources["ctgov"]["records"] == sources["ctgov"]["retrieved"] == sources["ctgov"]["count_reported"] == 7
    assert sources["europepmc"]["records"] == 7 and sources["europepmc"]["api_version"] == "6.9-standin"
    svg = (searched.report / "prisma.svg").read_text()
    assert 'data-count="dbr.database.clinicaltrials-gov"> (n = 7)' in svg
    assert 'data-count="dbr.group.Registers"> (n = 7)' in svg
    assert 'data-count="dbr.database.europe-pmc"> (n = 7)' in svg
    html = (searched.report / "index.html").read_text()
    assert "ClinicalTrials.gov search" in html and "Europe PMC search" in html and "query.cond = multiple sclerosis" in html


def test_europe_pmc_and_pubmed_copies_and_the_preprint_are_one_report(searched):
    study_of = dict(pl.read_parquet(searched.clusters).select("record_id", "study_id").iter_rows())
    assert study_of["europepmc:MED:90000001"] == study_of["pubmed:90000001"] == study_of["europepmc:PPR:PPR900001"]
    assert study_of["ctgov:NCT09900001"] == "ctgov:NCT09900001"            # a registration stays its own report


def test_the_registration_and_its_publication_are_linked_as_reports_of_one_study(searched):
    groups = pl.read_csv(searched.linked_reports)
    study_of = dict(pl.read_parquet(searched.clusters).select("record_id", "study_id").iter_rows())
    linked = groups.filter(pl.col("group_id") == "NCT09900001")["study_id"].to_list()
    assert sorted(linked) == sorted({"ctgov:NCT09900001", study_of["pubmed:90000001"]})
    registrations = pl.read_parquet(searched.registrations)
    assert registrations.height == 7 and "NCT09900001" in registrations["nct_id"].to_list()
    links = pl.read_parquet(searched.records_links)
    assert ("ctgov:NCT09900001", "registration_lists", "pmid", "90000001") in links.rows()


def test_before_make_search_the_new_sources_are_not_searched_yet(project):
    assert main(["import", "--root", str(project)]) == 0
    sources = {s["name"]: s for s in json.loads(Layout.at(project).records_sources.read_text())["sources"]}
    assert sources["ctgov"]["status"] == sources["europepmc"]["status"] == "not searched yet"


def test_offline_search_fails_in_one_line_and_changes_nothing(project, monkeypatch, capsys):
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        for name in ("NCBI_EUTILS_URL", "CTGOV_API_URL", "EUROPEPMC_API_URL"):
            monkeypatch.setenv(name, dead)
        assert main(["search", "--root", str(project), "--tries", "2", "--backoff", "0.01"]) == 1
        assert main(["search", "--root", str(project), "--source", "ctgov", "--tries", "2", "--backoff", "0.01"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("error: ctgov: ClinicalTrials.gov version at http://127.0.0.1:")
    assert "nothing was changed" in err[0] and "nothing was changed" in err[1]
    assert sorted(p.name for p in project.iterdir()) == ["queries"]
