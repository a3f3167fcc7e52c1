"""RIS exports (Embase, Web of Science, Scopus, reference managers) read with rispy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import rispy

from pipeline.errors import InputError
from pipeline.imports.ris import read_ris
from pipeline.imports.text import ReadLog
from pipeline.records import RECORD_SCHEMA


@pytest.fixture
def ris(fixtures: Path) -> Path:
    return fixtures / "imports"


def by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["source_record_id"]: row for row in frame.to_dicts()}


def test_embase_record_maps_into_the_records_schema(ris):
    frame = read_ris(ris / "embase.ris", "embase", "queries/imports/embase.ris")
    assert frame.schema == pl.Schema(RECORD_SCHEMA)
    row = by_id(frame)["2005123456"]
    assert row["record_id"] == "embase:2005123456"
    assert row["source"] == "embase" and row["source_file"] == "queries/imports/embase.ris"
    assert row["doi"] == "10.22034/iji.2007.17180"
    assert row["authors"] == ["Mohyeddin Bonab, M.", "Yazdanbakhsh, S.", "Lotfi, J."]
    assert row["year"] == 2007
    assert (row["journal"], row["journal_abbrev"]) == ("Iranian Journal of Immunology", "Iran J Immunol")
    assert (row["volume"], row["issue"], row["pages"]) == ("4", "1", "50-57")
    assert row["keywords"] == ["mesenchymal stem cell", "multiple sclerosis", "human"]
    assert row["language"] == ["English"]
    assert row["pmid"] is None  # an Embase accession number is not a PMID


def test_markup_in_titles_is_reduced_to_text(ris):
    row = by_id(read_ris(ris / "embase.ris", "embase"))["2005123456"]
    assert row["title"] == "Iranian multiple sclerosis: in vivo mesenchymal stem cells & relapses"


def test_registration_numbers_are_found_in_the_abstract(ris):
    assert by_id(read_ris(ris / "embase.ris", "embase"))["2005123456"]["registry_ids"] == ["NCT00781872"]


def test_reference_types_become_words_next_to_the_databases_document_type(ris):
    rows = by_id(read_ris(ris / "embase.ris", "embase"))
    assert rows["2005123456"]["publication_types"] == ["Journal Article", "Article"]
    assert rows["2006000002"]["publication_types"] == ["Conference Proceeding"]


def test_doi_placeholder_falls_back_to_a_doi_org_link(ris):
    row = by_id(read_ris(ris / "embase.ris", "embase"))["2006000002"]
    assert row["doi"] == "10.1001/archneurol.2010.248"
    assert row["language"] == []  # "NA"
    assert row["year"] == 2010 and row["pages"] == "1187-1194"


def test_accession_number_is_the_pmid_when_the_database_is_medline(ris):
    row = read_ris(ris / "wos_pubmed.ris", "wos").to_dicts()[0]
    assert row["pmid"] == "20728948"
    assert row["doi"] == "10.1016/j.jneuroim.2010.07.013"  # from the L3 link
    assert row["authors"] == ["Mohyeddin Bonab M", "Yazdanbakhsh S", "Lotfi J"]  # AU and A1
    assert row["year"] == 2010 and row["pages"] == "185-9"


def test_the_protocols_database_says_when_an_accession_number_is_a_pmid(tmp_path):
    path = tmp_path / "pubmed.ris"
    path.write_text(rispy.dumps([{"type_of_reference": "JOUR", "accession_number": "22236384", "title": "Connick"}]))
    assert read_ris(path, "pm", database="PubMed")["pmid"].to_list() == ["22236384"]
    assert read_ris(path, "em", database="Embase")["pmid"].to_list() == [None]


def test_title_on_several_lines_is_joined(ris):
    row = read_ris(ris / "wos_pubmed.ris", "wos").to_dicts()[0]
    assert row["title"] == "Bone marrow mesenchymal stem cell transplantation in patients with multiple sclerosis: a pilot study"


def test_repeated_single_valued_tags_do_not_lose_the_record(ris):
    frame = read_ris(ris / "wos_pubmed.ris", "wos")
    assert frame.height == 2
    assert frame["keywords"].to_list()[0] == ["stem cells", "multiple sclerosis"]


def test_retracted_document_type_sets_the_flag(ris):
    assert read_ris(ris / "wos_pubmed.ris", "wos")["retracted"].to_list() == [True, False]


def test_entities_in_titles_are_decoded_once(ris):
    row = read_ris(ris / "wos_pubmed.ris", "wos").to_dicts()[1]
    assert row["title"] == "Mesenchymal stem cells <i>and</i> CD4+ T cells"
    assert row["year"] == 2015  # PY before DA
    assert row["publication_types"] == ["Book Chapter"]


def test_one_record_without_a_closing_er_is_kept_with_a_warning(ris):
    log = ReadLog()
    frame = read_ris(ris / "one_record_no_er.ris", "x", log=log)
    assert frame["title"].to_list() == ["Autologous mesenchymal stem cells for the treatment of secondary progressive multiple sclerosis: an open-label phase 2a proof-of-concept study"]
    assert frame["record_id"].to_list()[0].startswith("x:h")
    assert any("without a closing 'ER'" in w for w in log.warnings)


def test_a_record_missing_its_er_before_the_next_one_is_not_merged(tmp_path):
    path = tmp_path / "a.ris"
    path.write_text("TY  - JOUR\nID  - 1\nTI  - First\nTY  - JOUR\nID  - 2\nTI  - Second\nER  - \n")
    assert read_ris(path, "s")["title"].to_list() == ["First", "Second"]


def test_records_without_an_id_keep_the_same_hash_id_on_every_read(ris):
    first = read_ris(ris / "one_record_no_er.ris", "x")["record_id"].to_list()
    assert first == read_ris(ris / "one_record_no_er.ris", "x")["record_id"].to_list()
    assert len(first[0]) == len("x:h") + 12


def test_utf8_bom_and_crlf_read_the_same_records(ris, tmp_path):
    variant = tmp_path / "crlf.ris"
    variant.write_bytes(b"\xef\xbb\xbf" + (ris / "embase.ris").read_bytes().replace(b"\n", b"\r\n"))
    log = ReadLog()
    assert read_ris(variant, "embase", log=log).drop("source_file").equals(read_ris(ris / "embase.ris", "embase").drop("source_file"))
    assert log.encoding == "utf-8 (BOM)"
    assert [w for w in log.warnings if "junk value" not in w] == []  # embase.ris has '#NAME?' and 'N/A' cells


def test_windows_1252_file_is_decoded_with_a_warning(tmp_path):
    path = tmp_path / "endnote.ris"
    path.write_bytes("TY  - JOUR\nAU  - M\u00fcller, J\u00fcrgen\nTI  - Stem cells \u2013 a r\u00e9sum\u00e9\nER  - \n".encode("cp1252"))
    log = ReadLog()
    row = read_ris(path, "endnote", "endnote.ris", log=log).to_dicts()[0]
    assert row["authors"] == ["M\u00fcller, J\u00fcrgen"] and row["title"] == "Stem cells \u2013 a r\u00e9sum\u00e9"
    assert log.encoding == "cp1252"
    assert any("endnote.ris" in w and "Windows-1252" in w for w in log.warnings)


def test_a_file_written_by_rispy_imports(tmp_path):
    entries = [
        {"type_of_reference": "JOUR", "id": "r1", "authors": ["Connick, P.", "Kolappan, M."], "title": "MSCs in SPMS",
         "secondary_title": "Lancet Neurology", "year": "2012", "volume": "11", "start_page": "150", "end_page": "156",
         "doi": "https://doi.org/10.1016/S1474-4422(11)70305-2", "keywords": ["MSC", "MS"], "urls": ["https://example.org/a"]},
        {"type_of_reference": "ELEC", "id": "r2", "title": "NCT01854957 trial page"},
    ]
    path = tmp_path / "dump.ris"
    path.write_text(rispy.dumps(entries), encoding="utf-8")
    rows = by_id(read_ris(path, "dump"))
    assert rows["r1"]["authors"] == ["Connick, P.", "Kolappan, M."]
    assert rows["r1"]["doi"] == "10.1016/s1474-4422(11)70305-2"
    assert (rows["r1"]["pages"], rows["r1"]["keywords"], rows["r1"]["url"]) == ("150-156", ["MSC", "MS"], "https://example.org/a")
    assert rows["r2"]["registry_ids"] == ["NCT01854957"] and rows["r2"]["publication_types"] == ["Web Page"]


def test_text_between_records_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "bad.ris"
    path.write_text("TY  - JOUR\nTI  - One\nER  - \n\nTI  - orphan title with no TY\nER  - \n")
    with pytest.raises(InputError) as err:
        read_ris(path, "s", "bad.ris")
    problem = err.value.problems[0]
    assert (problem.file, problem.row) == ("bad.ris", 5)
    assert "TY" in problem.message


def test_a_medline_file_given_as_ris_says_which_format_it_is(tmp_path):
    path = tmp_path / "pubmed.ris"
    path.write_text("PMID- 123\nTI  - x\n")
    with pytest.raises(InputError, match='format = "medline"'):
        read_ris(path, "s")


def test_an_empty_file_gives_no_records_and_a_warning(tmp_path):
    path = tmp_path / "empty.ris"
    path.write_text("\n")
    log = ReadLog()
    assert read_ris(path, "s", log=log).height == 0
    assert log.warnings and "empty" in log.warnings[0]


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(InputError, match="nowhere.ris.*not found"):
        read_ris(tmp_path / "nowhere.ris", "s", "nowhere.ris")


def test_reference_numbers_and_header_lines_are_not_records(tmp_path):
    path = tmp_path / "wiley.ris"
    path.write_text("Provider: John Wiley & Sons, Ltd\nDatabase: Wiley Online Library\n\n1.\nTY  - JOUR\nTI  - One\nER  - \n\n2.\nTY  - JOUR\nTI  - Two\nER  - \n")
    log = ReadLog()
    assert read_ris(path, "s", "wiley.ris", log=log)["title"].to_list() == ["One", "Two"]
    assert log.warnings == ["wiley.ris: skipped 2 header line(s) before the first record: Provider: John Wiley & Sons, Ltd; Database: Wiley Online Library"]
