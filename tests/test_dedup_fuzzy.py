"""Fuzzy matching across database variants, and the sparse-metadata case."""

from __future__ import annotations

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record, study_of

LONG_TITLE = "Autologous mesenchymal stem cell transplantation in progressive multiple sclerosis: a randomised crossover trial"


def test_author_journal_page_and_accent_variants_merge():
    a = record("medline:1", authors=["Müller K", "Kloner RA"], journal="J Mol Cell Cardiol", pages="185-9")
    b = record("embase:1", authors=["Muller, Karl", "Kloner, Robert A."], journal="Journal of Molecular and Cellular Cardiology",
               pages="185-189", title=a["title"].replace("Ischemic", "Ischaemic"))
    clusters = dedup(frame(a, b)).clusters
    assert clusters["study_id"].n_unique() == 1
    assert set(clusters["method"]) == {"fuzzy"}


def test_web_pages_with_only_a_long_identical_title_merge():
    a = record("web:1", title=LONG_TITLE, authors=[], year=None, journal=None, volume=None, issue=None, pages=None, abstract=None)
    b = record("publisher:1", title=LONG_TITLE + ".", authors=["Zhou Y"], year=2019, journal="Stem Cells Int", volume="2019",
               issue=None, pages="8536785", abstract=None)
    studies = study_of(dedup(frame(a, b)).clusters)
    assert studies["web:1"] == studies["publisher:1"]


def test_long_identical_titles_a_year_apart_with_different_dois_stay_apart():
    a = record("web:1", title=LONG_TITLE, doi="10.24251/hicss.2021.510", year=2021, volume=None, issue=None, pages=None, abstract=None)
    b = record("web:2", title=LONG_TITLE, doi="10.24251/hicss.2022.544", year=2022, volume=None, issue=None, pages=None, abstract=None)
    studies = study_of(dedup(frame(a, b)).clusters)
    assert studies["web:1"] != studies["web:2"]
