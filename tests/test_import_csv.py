"""CSV exports: PubMed's and Scopus's layouts, and any CSV with a column mapping from the protocol."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.imports.csv_exports import read_csv, read_pubmed_csv, read_scopus_csv
from pipeline.imports.text import ReadLog
from pipeline.records import RECORD_SCHEMA

MAPPING = {"id": "Sample ID", "title": "Study Title", "authors": "Author list", "year": "Pub year",
           "doi": "DOI link", "pmid": "PubMed", "publication_types": "Kind", "notes": "Remarks"}


@pytest.fixture
def folder(fixtures: Path) -> Path:
    return fixtures / "imports"


def test_pubmed_csv_export(folder):
    frame = read_pubmed_csv(folder / "pubmed.csv", "pubmed_csv")
    assert frame.schema == pl.Schema(RECORD_SCHEMA)
    first, second = frame.to_dicts()
    assert (first["record_id"], first["pmid"], first["doi"]) == ("pubmed_csv:20728948", "20728948", "10.1016/j.jneuroim.2010.07.013")
    assert first["authors"] == ["Mohyeddin Bonab M", "Sahraian MA", "Aghsaie A"]
    assert (first["year"], first["journal_abbrev"]) == (2010, "J Neuroimmunol")
    assert (first["volume"], first["issue"], first["pages"]) == ("227", "1-2", "185-9")
    assert (second["volume"], second["issue"], second["pages"], second["pmcid"]) == ("6", None, "44", "PMC6987330")


def test_scopus_csv_export(folder):
    first, second = read_scopus_csv(folder / "scopus.csv", "scopus").to_dicts()
    assert (first["record_id"], first["pmid"]) == ("scopus:2-s2.0-77957743163", "20937945")
    assert first["authors"] == ["Karussis D.", "Karageorgiou C.", "Vaknin-Dembinsky A."]
    assert (first["journal"], first["journal_abbrev"], first["pages"]) == ("Archives of Neurology", "Arch. Neurol.", "1187-1194")
    assert first["keywords"] == ["mesenchymal stem cells", "multiple sclerosis", "Adult", "Humans"]
    assert first["registry_ids"] == ["NCT00781872"]
    assert second["authors"] == ["Petrou, P.", "Kassis, I."]
    assert (second["abstract"], second["pages"]) == (None, "1352458520951")  # [No abstract available]; Art. No.
    assert second["language"] == ["English", "Hebrew"]
    assert (second["publication_types"], second["retracted"]) == (["Retracted"], True)


def test_generic_csv_through_the_protocols_column_mapping(folder):
    rows = {r["source_record_id"]: r for r in read_csv(folder / "generic.csv", "web", columns=MAPPING).to_dicts()}
    s1 = rows["s1"]
    assert s1["record_id"] == "web:s1"
    assert (s1["title"], s1["authors"], s1["year"]) == ("Mesenchymal stem cells in EAE", ["Smith J", "Doe A"], 2019)
    assert (s1["doi"], s1["pmid"]) == ("10.1186/s12974-019-1234-5", "31234567")
    assert s1["publication_types"] == ["Journal Article", "Animal Study"]
    assert s1["journal"] == "Journal of Neuroinflammation"  # matched by name without a mapping
    assert s1["registry_ids"] == ["ISRCTN12345678"]  # found in the notes column


def test_placeholder_cells_become_null(folder):
    s2 = {r["source_record_id"]: r for r in read_csv(folder / "generic.csv", "web", columns=MAPPING).to_dicts()}["s2"]
    assert (s2["authors"], s2["year"], s2["journal"], s2["doi"], s2["pmid"]) == ([], None, None, None, None)


def test_padded_cells_are_trimmed(folder):
    s3 = {r["source_record_id"]: r for r in read_csv(folder / "generic.csv", "web", columns=MAPPING).to_dicts()}["s3"]
    assert s3["authors"] == ["Lee K"]


def test_a_mapping_to_a_column_the_file_lacks_is_an_error_naming_it(folder):
    with pytest.raises(InputError) as err:
        read_csv(folder / "generic.csv", "web", "generic.csv", columns={"title": "Titel"})
    assert (err.value.problems[0].file, err.value.problems[0].column) == ("generic.csv", "Titel")


def test_a_mapping_to_an_unknown_record_field_is_an_error(folder):
    with pytest.raises(InputError, match="'headline'"):
        read_csv(folder / "generic.csv", "web", columns={"headline": "Study Title"})


def test_the_wrong_csv_format_is_an_error_naming_the_missing_column(folder):
    with pytest.raises(InputError) as err:
        read_pubmed_csv(folder / "scopus.csv", "s", "scopus.csv")
    assert err.value.problems[0].column == "PMID"


def test_a_row_with_more_cells_than_the_header_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text('title,year\n"A, quoted",2010\nB,2011,extra\n')
    with pytest.raises(InputError) as err:
        read_csv(path, "s", "ragged.csv")
    assert err.value.problems[0].row == 3


def test_broken_quoting_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "quotes.csv"
    path.write_text('title,year\nfine,2010\n"unterminated,2011\n')
    with pytest.raises(InputError, match="malformed CSV") as err:
        read_csv(path, "s", "quotes.csv")
    assert err.value.problems[0].file == "quotes.csv"


def test_a_quoted_cell_over_several_lines_keeps_the_next_rows_line_number(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('title,year\n"Two\nlines",2010\nnext,20x1\n')
    log = ReadLog()
    frame = read_csv(path, "s", "multi.csv", log=log)
    assert frame["title"].to_list() == ["Two lines", "next"]
    assert log.warnings == ["multi.csv, row 4, column 'year': '20x1' is not a year; left empty",
                            "multi.csv: 1 junk value(s) read as empty (1 x year '20x1') on row(s) 4"]


def test_utf8_bom_crlf_and_semicolons_from_excel(folder, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "Title;Year\r\nCaf\u00e9 study;2010\r\n".encode("utf-8"))
    frame = read_csv(path, "s")
    assert (frame["title"].to_list(), frame["year"].to_list()) == (["Caf\u00e9 study"], [2010])


def test_windows_1252_csv_is_decoded_with_a_warning(folder, tmp_path):
    path = tmp_path / "old.csv"
    path.write_bytes((folder / "pubmed.csv").read_text().replace("Mohyeddin", "M\u00f6hyeddin").encode("cp1252"))
    log = ReadLog()
    frame = read_pubmed_csv(path, "s", "old.csv", log=log)
    assert frame["authors"][0][0] == "M\u00f6hyeddin Bonab M"
    assert log.encoding == "cp1252" and "old.csv" in log.warnings[0]


def test_formula_guarded_cells_read_back_as_written(tmp_path):
    path = tmp_path / "guarded.csv"
    path.write_text("title,pages\n'=HYPERLINK(1),'-5\n")
    assert read_csv(path, "s").select("title", "pages").row(0) == ("=HYPERLINK(1)", "-5")


def test_the_offline_sample_imports_with_a_mapping(shared):
    frame = read_csv(shared / "sample" / "msc_ms_sample.csv", "sample",
                     columns={"publication_types": "publication_type", "url": "source_url"})
    assert frame.height == 143 and frame["record_id"].is_unique().all()
    assert frame.filter(pl.col("source_record_id") == "r002")["pmcid"].to_list() == ["PMC6987330"]


def test_empty_trailing_cells_from_a_spreadsheet_are_ignored(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("title,year\nA,2010,,\nB\n")
    log = ReadLog()
    assert read_csv(path, "s", "excel.csv", log=log).select("title", "year").rows() == [("A", 2010), ("B", None)]
    assert log.warnings == ["excel.csv: 1 row(s) have fewer cells than the header; the missing cells were read as empty"]
