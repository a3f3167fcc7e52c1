"""MEDLINE / .nbib files (PubMed's own export) read with Bio.Medline."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.imports.medline import read_medline
from pipeline.imports.text import ReadLog
from pipeline.records import RECORD_SCHEMA


@pytest.fixture
def nbib(fixtures: Path) -> Path:
    return fixtures / "imports" / "pubmed.nbib"


def rows(path: Path, **kw) -> dict[str, dict]:
    return {row["pmid"]: row for row in read_medline(path, "pubmed_export", **kw).to_dicts()}


def test_pubmed_export_maps_into_the_records_schema(nbib):
    frame = read_medline(nbib, "pubmed_export", "queries/imports/pubmed.nbib")
    assert frame.schema == pl.Schema(RECORD_SCHEMA)
    assert frame["record_id"].to_list() == ["pubmed_export:20728948", "pubmed_export:32039266"]
    assert set(frame["source_file"]) == {"queries/imports/pubmed.nbib"}
    assert frame["source_record_id"].to_list() == ["20728948", "32039266"]


def test_identifiers_come_from_aid_lid_and_pmc(nbib):
    first, second = rows(nbib)["20728948"], rows(nbib)["32039266"]
    assert first["doi"] == "10.1016/j.jneuroim.2010.07.013"
    assert (second["doi"], second["pmcid"]) == ("10.21037/sci.2019.10.06", "PMC6987330")


def test_repeated_tags_are_all_kept(nbib):
    row = rows(nbib)["20728948"]
    assert row["authors"] == ["Mohyeddin Bonab M", "Sahraian MA", "Aghsaie A"]
    assert row["publication_types"] == ["Clinical Trial, Phase I", "Journal Article", "Retracted Publication"]
    assert row["mesh"] == ["Adult", "Mesenchymal Stem Cell Transplantation", "Multiple Sclerosis, Chronic Progressive"]
    assert row["keywords"] == ["MSC", "EDSS"]


def test_citation_fields_and_journal_names(nbib):
    row = rows(nbib)["20728948"]
    assert (row["year"], row["volume"], row["issue"], row["pages"]) == (2010, "227", "1-2", "185-9")
    assert (row["journal"], row["journal_abbrev"]) == ("Journal of neuroimmunology", "J Neuroimmunol")
    assert row["language"] == ["eng"]
    assert row["url"] == "https://pubmed.ncbi.nlm.nih.gov/20728948/"


def test_continuation_lines_join_the_title(nbib):
    assert rows(nbib)["20728948"]["title"] == "Bone marrow mesenchymal stem cell transplantation in patients with multiple sclerosis: a pilot study."


def test_trial_registration_comes_from_si(nbib):
    assert rows(nbib)["20728948"]["registry_ids"] == ["NCT00781872"]


def test_retraction_erratum_and_concern_flags(nbib):
    first, second = rows(nbib)["20728948"], rows(nbib)["32039266"]
    assert (first["retracted"], first["has_erratum"], first["has_expression_of_concern"]) == (True, True, False)
    assert (second["retracted"], second["has_erratum"], second["has_expression_of_concern"]) == (False, False, True)


def test_republished_and_update_links_set_the_flags_and_keep_the_update(tmp_path):
    path = tmp_path / "links.nbib"
    path.write_text(
        "PMID- 31000001\nTI  - Retracted, then republished.\n"
        "RPI - Lancet Neurol. 2020 Jan;19(1):10-20. PMID: 31000009\n\n"
        "PMID- 31000002\nTI  - Corrected, then republished.\n"
        "CRI - Mult Scler. 2021;27(3):1-9. PMID: 31000010\n\n"
        "PMID- 31000003\nTI  - A guideline.\n"
        "UIN - Neurology. 2024;102(1):e1. PMID: 38000001\nUIN - Neurology. 2025;104(2):e2. PMID: 39000002\n",
        encoding="utf-8")
    got = {r["pmid"]: r for r in read_medline(path, "s").to_dicts()}
    assert (got["31000001"]["retracted"], got["31000001"]["has_erratum"]) == (True, False)
    assert (got["31000002"]["retracted"], got["31000002"]["has_erratum"]) == (False, True)
    assert got["31000003"]["updated_in"] == ["38000001", "39000002"]
    assert got["31000001"]["updated_in"] == [] and not got["31000003"]["retracted"]


def test_empty_abstract_is_null_and_corporate_authors_are_kept(nbib):
    row = rows(nbib)["32039266"]
    assert row["abstract"] is None
    assert row["authors"] == ["Jafarzadeh Bejargafshe M", "Hedayati M", "MSC Study Group"]


def test_one_record_file_without_a_trailing_newline(fixtures):
    frame = read_medline(fixtures / "imports" / "one_record.nbib", "x")
    assert frame.height == 1
    assert frame["title"][0] == "Autologous mesenchymal stem cells for the treatment of secondary progressive multiple sclerosis: an open-label phase 2a proof-of-concept study."
    assert frame["pages"][0] == "150-6"


def test_crlf_and_bom_read_the_same_records(nbib, tmp_path):
    variant = tmp_path / "crlf.nbib"
    variant.write_bytes(b"\xef\xbb\xbf" + nbib.read_bytes().replace(b"\n", b"\r\n"))
    assert read_medline(variant, "s", "f").equals(read_medline(nbib, "s", "f"))


def test_windows_1252_file_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "old.nbib"
    path.write_bytes("PMID- 1\nTI  - R\u00e9sum\u00e9 of MSC trials\nAU  - M\u00fcller J\n".encode("cp1252"))
    log = ReadLog()
    row = read_medline(path, "s", "old.nbib", log=log).to_dicts()[0]
    assert (row["title"], row["authors"]) == ("R\u00e9sum\u00e9 of MSC trials", ["M\u00fcller J"])
    assert log.encoding == "cp1252" and "old.nbib" in log.warnings[0]


def test_a_line_that_is_not_medline_is_an_error_naming_the_line(nbib, tmp_path):
    path = tmp_path / "bad.nbib"
    lines = nbib.read_text().split("\n")
    lines[20] = "this line lost its tag"
    path.write_text("\n".join(lines))
    with pytest.raises(InputError) as err:
        read_medline(path, "s", "bad.nbib")
    assert (err.value.problems[0].file, err.value.problems[0].row) == ("bad.nbib", 21)


def test_a_ris_file_given_as_medline_says_which_format_it_is(fixtures):
    with pytest.raises(InputError, match='format = "ris"'):
        read_medline(fixtures / "imports" / "embase.ris", "s")


def test_biopythons_own_medline_files_import(shared):
    frame = read_medline(shared / "fixtures" / "entrez" / "medline_pubmed_result2.txt", "bio")
    assert frame["pmid"].to_list() == ["16403221", "16377612", "14871861", "14630660"]
    assert frame["doi"].null_count() == 1 and frame["authors"].list.len().min() >= 2
