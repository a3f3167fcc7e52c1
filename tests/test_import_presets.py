"""Every export preset reads its own layout: the same two studies exported from each database or manager."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.imports import formats
from pipeline.imports.text import ReadLog
from pipeline.records import RECORD_SCHEMA

T1 = "Mesenchymal stem cell transplantation in progressive multiple sclerosis: a randomised crossover trial"
T2 = "Intrathecal mesenchymal stromal cells for relapsing-remitting multiple sclerosis: safety at two years"
DOI1, DOI2 = "10.1177/1352458519876543", "10.1016/j.msard.2021.102345"

# (format, file, the first record's export id, its authors as the export writes them, pages)
EXPORTS = [
    ("embase-csv", "embase.csv", "2003456789", ["Motl R.W.", "Sandroff B.M.", "Pilutti L.A."], "123-130"),
    ("pop-csv", "pop.csv", None, ["Motl RW", "Sandroff BM", "Pilutti LA"], "123-130"),
    ("wos-tab", "wos_tab.txt", "WOS:000512345600001", ["Motl, RW", "Sandroff, BM", "Pilutti, LA"], "123-130"),
    ("wos-csv", "wos.csv", "WOS:000512345600001", ["Motl, RW", "Sandroff, BM", "Pilutti, LA"], "123-130"),
    ("wos-txt", "wos.txt", "WOS:000512345600001", ["Motl, RW", "Sandroff, BM", "Pilutti, LA"], "123-130"),
    ("ebsco-csv", "ebsco.csv", "141234567", ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
    ("cochrane-txt", "cochrane.txt", "CN-02012345", ["Motl RW", "Sandroff BM", "Pilutti LA"], "123-130"),
    ("ris", "cochrane.ris", "CN-02012345", ["Motl, R. W.", "Sandroff, B. M.", "Pilutti, L. A."], "123-130"),
    ("ris", "ovid.ris", "2003456789", ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
    ("ris", "ebsco.ris", "141234567", ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
    ("ris", "zotero.ris", None, ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
    ("ris", "endnote.ris", "101", ["Motl, R. W.", "Sandroff, B. M.", "Pilutti, L. A."], "123-130"),
    ("ris", "mendeley.ris", None, ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
    ("bibtex", "refs.bib", "motl_mesenchymal_2020", ["Motl, Robert W.", "Sandroff, Brian M.", "Pilutti, Lara A."], "123-130"),
]


@pytest.fixture
def folder(fixtures: Path) -> Path:
    return fixtures / "imports" / "presets"


def read(folder: Path, fmt: str, name: str, **kw) -> pl.DataFrame:
    return formats.read(folder / name, "src", fmt, name, log=ReadLog(), **kw)


@pytest.mark.parametrize(("fmt", "name", "export_id", "authors", "pages"), EXPORTS, ids=[e[1] for e in EXPORTS])
def test_each_preset_reads_its_export(folder, fmt, name, export_id, authors, pages):
    frame = read(folder, fmt, name)
    assert frame.schema == pl.Schema(RECORD_SCHEMA)
    first, second = frame.to_dicts()
    assert (first["title"], second["title"]) == (T1, T2)
    assert first["authors"] == authors
    assert len(second["authors"]) == 3 and second["authors"][0].startswith("Petrou")
    assert (first["year"], second["year"]) == (2020, 2021)
    assert (first["doi"], second["doi"]) == (DOI1, DOI2)
    assert first["journal"].lower().startswith("mult")  # EndNote writes the abbreviation in T2
    assert (first["volume"], first["pages"]) == ("26", pages)
    assert first["source_record_id"] == export_id
    assert first["abstract"].startswith("Background: Mesenchymal stem cells")


@pytest.mark.parametrize(("fmt", "name", "pmid"), [
    ("embase-csv", "embase.csv", "31567890"), ("wos-tab", "wos_tab.txt", "31567890"), ("wos-csv", "wos.csv", "31567890"),
    ("wos-txt", "wos.txt", "31567890"), ("cochrane-txt", "cochrane.txt", "31567890"),
])
def test_presets_carry_the_pubmed_id_the_export_gives(folder, fmt, name, pmid):
    assert read(folder, fmt, name)["pmid"].to_list()[0] == pmid


def test_trial_numbers_from_embase_and_endnote_notes_become_registry_ids(folder):
    assert read(folder, "embase-csv", "embase.csv")["registry_ids"].to_list()[0] == ["NCT02166021"]
    assert read(folder, "ris", "endnote.ris")["registry_ids"].to_list()[0] == ["NCT02166021"]


def test_web_of_science_document_types_and_article_numbers(folder):
    second = read(folder, "wos-tab", "wos_tab.txt").to_dicts()[1]
    assert second["publication_types"] == ["Article", "Early Access"]
    assert second["pages"] == "102345"  # AR, the article number, when there are no pages


@pytest.mark.parametrize(("fmt", "name", "fits"), [
    ("scopus-csv", "pop.csv", "pop-csv"),
    ("pubmed-csv", "embase.csv", "embase-csv"),
    ("embase-csv", "wos_tab.txt", "wos-tab"),
    ("pop-csv", "wos.csv", "wos-csv"),
    ("wos-tab", "ebsco.csv", "ebsco-csv"),
])
def test_a_header_that_does_not_fit_names_the_missing_columns_and_the_preset_that_fits(folder, fmt, name, fits):
    with pytest.raises(InputError) as err:
        read(folder, fmt, name)
    problems = err.value.problems
    assert problems[0].row == 1 and problems[0].column  # the missing column, on the header row
    assert f'set format = "{fits}"' in str(err.value)


@pytest.mark.parametrize(("fmt", "name", "fits"), [
    ("ris", "wos.txt", "wos-txt"), ("medline", "cochrane.txt", "cochrane-txt"), ("ris", "refs.bib", "bibtex"),
    ("cochrane-txt", "zotero.ris", "ris"), ("wos-txt", "embase.csv", "embase-csv"),
])
def test_a_text_export_read_as_another_format_names_the_format_it_is(folder, fmt, name, fits):
    with pytest.raises(InputError) as err:
        read(folder, fmt, name)
    assert f'set format = "{fits}"' in str(err.value)


def test_a_known_export_read_as_generic_csv_without_a_mapping_is_an_error(folder):
    with pytest.raises(InputError, match='set format = "embase-csv"'):
        read(folder, "csv", "embase.csv")


def test_a_mapping_that_leaves_most_titles_empty_is_an_error(folder, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ID,Name,Heading\n1,Smith J,\n2,Doe A,\n3,Roe B,Third title\n", encoding="utf-8")
    with pytest.raises(InputError, match="2 of 3 records have no title"):
        formats.read(path, "src", "csv", "export.csv", columns={"id": "ID", "title": "Heading"}, log=ReadLog())


def test_an_embase_preamble_line_before_the_header_is_skipped_with_a_warning(folder, tmp_path):
    path = tmp_path / "embase.csv"
    path.write_text('"SEARCH QUERY","(\'mesenchymal stem cell\'/exp) AND \'multiple sclerosis\'/exp"\n'
                    + (folder / "embase.csv").read_text(encoding="utf-8"), encoding="utf-8")
    log = ReadLog()
    frame = formats.read(path, "src", "embase-csv", "embase.csv", log=log)
    assert frame.height == 2 and frame["title"].to_list()[0] == T1
    assert any("skipped 1 line(s) before the header" in w for w in log.warnings)


def test_junk_values_become_empty_and_are_counted(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text(
        "Cites,Authors,Title,Year,Source,Publisher,ArticleURL,CitesURL,GSRank,Volume,Issue,StartPage,EndPage,Abstract\n"
        "1,RW Motl,First title,0,#NAME?,x,https://a.example/1,,1,NA,,2147483647,,NA\n"
        "2,BM Sandroff,Second title,9999,Mult Scler J,x,https://a.example/2,,2,26,2,123,2147483647,Text\n"
        "3,LA Pilutti,Third title,2020,Mult Scler J,x,https://a.example/3,,3,26,2,5,9,Text\n", encoding="utf-8")
    log = ReadLog()
    first, second, third = formats.read(path, "src", "pop-csv", "pop.csv", log=log).to_dicts()
    assert (first["year"], first["journal"], first["volume"], first["pages"], first["abstract"]) == (None, None, None, None, None)
    assert (second["year"], second["pages"]) == (None, "123")
    assert (third["year"], third["pages"]) == (2020, "5-9")
    assert log.emptied == {"year '0'": 1, "year '9999'": 1, "'#NAME?'": 1, "'NA'": 2, "page 2147483647": 2}
    assert any("7 junk value(s) read as empty" in w and w.endswith("on row(s) 2, 3") for w in log.warnings)


@pytest.mark.parametrize(("fmt", "name"), [("embase-csv", "embase.csv"), ("pop-csv", "pop.csv"), ("wos-tab", "wos_tab.txt")])
def test_included_ris_carries_one_au_per_author(folder, fmt, name):
    import rispy

    from pipeline.report.exports import PlainRisWriter, ris_entries

    frame = read(folder, fmt, name).with_columns(pl.col("record_id").alias("study_id"), pl.lit(False).alias("example"))
    text = rispy.dumps(ris_entries(frame), implementation=PlainRisWriter)
    first = text.split("ER  -")[0]
    assert [line[6:] for line in first.splitlines() if line.startswith("AU  - ")] == frame["authors"].to_list()[0]
    assert len(frame["authors"].to_list()[0]) == 3


def test_web_of_science_tab_files_read_quotation_marks_as_text(folder, tmp_path):
    text = (folder / "wos_tab.txt").read_text(encoding="utf-8-sig")
    quoted = text.replace(T2, '"Stem cells" for relapsing-remitting MS: a 6" follow-up')
    path = tmp_path / "savedrecs.txt"
    path.write_text(quoted, encoding="utf-8-sig")
    titles = formats.read(path, "src", "wos-tab", "savedrecs.txt", log=ReadLog())["title"].to_list()
    assert titles == [T1, '"Stem cells" for relapsing-remitting MS: a 6" follow-up']


def test_bibtex_repeated_keys_are_kept_and_broken_entries_are_errors_with_their_line(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@article{a, title={One}, year={2020}}\n@article{a, title={Two}, year={2021}}\n", encoding="utf-8")
    log = ReadLog()
    frame = formats.read(path, "src", "bibtex", "refs.bib", log=log)
    assert frame.select("record_id", "title").rows() == [("src:a", "One"), ("src:a~2", "Two")]
    assert any("appears more than once" in w for w in log.warnings)
    path.write_text("@article{a, title={One}}\n\n@article{b, title={Broken}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        formats.read(path, "src", "bibtex", "refs.bib", log=ReadLog())
    assert err.value.problems[0].row == 3


def test_lines_before_the_first_cochrane_record_are_skipped_with_a_warning(folder, tmp_path):
    path = tmp_path / "citation-export.txt"
    path.write_text("Date of export: 05 January 2026\nSearch Name: MSC in MS\n\n"
                    + (folder / "cochrane.txt").read_text(encoding="utf-8"), encoding="utf-8")
    log = ReadLog()
    assert formats.read(path, "src", "cochrane-txt", "citation-export.txt", log=log)["title"].to_list() == [T1, T2]
    assert any("skipped 2 line(s) before the first record" in w for w in log.warnings)


@pytest.mark.parametrize("chosen", ["scopus-csv", "pubmed-csv", "pop-csv", "wos-csv", "ebsco-csv"])
def test_an_embase_export_with_its_search_line_read_as_another_csv_names_embase(folder, tmp_path, chosen):
    path = tmp_path / "embase.csv"
    path.write_bytes(b'"SEARCH QUERY: (\'mesenchymal stem cell\'/exp AND \'multiple sclerosis\'/exp)"\n'
                     + (folder / "embase.csv").read_bytes())
    with pytest.raises(InputError) as err:
        formats.read(path, "src", chosen, "embase.csv", log=ReadLog())
    assert 'set format = "embase-csv"' in str(err.value)
