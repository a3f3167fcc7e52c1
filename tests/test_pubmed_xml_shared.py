"""Real NCBI efetch responses (../shared/fixtures/entrez/pubmed*.xml, read by path): they parse, the
fields match what the files say, and PMIDs, titles and DOIs agree with Bio.Entrez.read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.imports.pubmed_xml import parse

FILES = ["pubmed1.xml", "pubmed2.xml", "pubmed4.xml", "pubmed5.xml", "pubmed6.xml", "pubmed7.xml"]


@pytest.fixture
def entrez(shared: Path) -> Path:
    folder = shared / "fixtures" / "entrez"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


@pytest.mark.parametrize("name", FILES)
def test_real_response_parses_one_row_per_article(entrez: Path, name: str) -> None:
    text = (entrez / name).read_text(encoding="utf-8")
    frame = parse(entrez / name, source_file=name)
    assert frame.height == text.count("<PubmedArticle>") > 0
    assert frame["record_id"].is_unique().all()
    assert frame["title"].null_count() == 0
    assert (frame["source_file"] == name).all()


def test_pmids_and_titles_as_in_the_files(entrez: Path) -> None:
    first = parse(entrez / "pubmed1.xml")
    assert first["pmid"].to_list() == ["12091962", "9997"]
    assert first["title"].to_list() == [
        "The treatment of AIDS behind the walls of correctional facilities.",
        "Magnetic studies of Chromatium flavocytochrome C552. A mechanism for heme-flavin interaction.",
    ]
    row = parse(entrez / "pubmed4.xml").to_dicts()[0]
    assert row["pmid"] == "27797938"
    assert row["title"] == "Leucocyte telomere length, genetic variants at the TERT gene region and risk of pancreatic cancer."


def test_season_date_and_mesh_of_a_real_record(entrez: Path) -> None:
    row = parse(entrez / "pubmed1.xml").to_dicts()[0]
    assert row["year"] == 1990  # <Year>1990</Year><Season>Spring</Season>
    assert row["authors"] == ["Olivero JM"]
    assert (row["journal"], row["journal_abbrev"], row["pages"]) == ("Social justice (San Francisco, Calif.)", "Soc Justice", "113-25")
    assert row["publication_types"] == ["Journal Article", "Review"]
    assert row["mesh"][:2] == ["AIDS Serodiagnosis", "Acquired Immunodeficiency Syndrome"]
    assert row["keywords"] == ["Health Care and Public Health", "Legal Approach"]


def test_real_structured_abstract_and_identifiers(entrez: Path) -> None:
    row = parse(entrez / "pubmed5.xml").to_dicts()[0]
    assert row["pmid"] == "28775130"
    assert row["doi"] == "10.1136/oemed-2017-104431"
    assert row["pmcid"] == "PMC5771820"
    assert [p.split(":")[0] for p in row["abstract"].split("\n")] == ["OBJECTIVES", "METHODS", "RESULTS", "CONCLUSIONS"]


def test_real_mathml_abstract_and_collective_author(entrez: Path) -> None:
    row = parse(entrez / "pubmed7.xml").to_dicts()[0]
    assert "(1) inhaled 3He/129Xe MRI ventilation" in row["abstract"]
    assert "<" not in row["abstract"] and "mml" not in row["abstract"]
    assert row["authors"][-1] == "Canadian Respiratory Research Network"
    assert row["year"] == 2018


# --- cross-check against Bio.Entrez.read -------------------------------------------------------


def _plain(text: str) -> str:
    """Bio.Entrez keeps inline tags in titles; drop them and collapse whitespace to compare."""
    return " ".join(re.sub(r"<[^>]+>", "", str(text)).split())


@pytest.mark.parametrize("name", FILES)
def test_agrees_with_biopython_on_pmids_titles_and_dois(entrez: Path, name: str) -> None:
    Entrez = pytest.importorskip("Bio.Entrez")
    try:
        with open(entrez / name, "rb") as handle:
            theirs = Entrez.read(handle)["PubmedArticle"]
    except Exception as exc:  # e.g. a DTD Biopython does not bundle and cannot fetch offline
        pytest.skip(f"Bio.Entrez cannot read {name} offline: {exc}")
    ours = parse(entrez / name).to_dicts()
    assert [r["pmid"] for r in ours] == [str(a["MedlineCitation"]["PMID"]) for a in theirs]
    assert [r["title"] for r in ours] == [_plain(a["MedlineCitation"]["Article"]["ArticleTitle"]) for a in theirs]
    their_dois = [
        next((str(i).lower() for i in a["PubmedData"]["ArticleIdList"] if i.attributes.get("IdType") == "doi"), None)
        for a in theirs
    ]
    assert [r["doi"] for r in ours] == their_dois
    assert [len(r["authors"]) for r in ours] == [len(a["MedlineCitation"]["Article"].get("AuthorList", [])) for a in theirs]
