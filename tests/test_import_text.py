"""Reading export files and cleaning their values: the traps every importer shares (decoding itself: test_textio.py)."""

from __future__ import annotations

from pipeline.imports.text import ReadLog, clean, plain, read_text, split, year


def test_read_text_turns_crlf_and_lone_cr_line_ends_into_lf(tmp_path) -> None:
    path = tmp_path / "a.ris"
    path.write_bytes(b"a\r\nb\rc\n")
    assert read_text(path, "a.ris", None, ReadLog()) == "a\nb\nc\n"


def test_read_text_records_the_guessed_encoding_and_its_warning(tmp_path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes("title\nCaf\u00e9\n".encode("cp1252"))
    log = ReadLog()
    assert read_text(path, "queries/imports/old.csv", None, log) == "title\nCaf\u00e9\n"
    assert log.encoding == "cp1252"
    assert log.warnings == ["queries/imports/old.csv: not valid UTF-8 (first at line 2); read as Windows-1252 (cp1252). "
                            "Check accented letters, then set encoding = \"cp1252\" for this source in the protocol"]


def test_placeholders_and_empty_cells_become_null():
    for value in ("#NAME?", "N/A", "NA", "null", "NULL", "-", "", "   ", None, "[No abstract available]"):
        assert clean(value) is None, value
    assert clean("  Smith   J ") == "Smith J"
    assert clean("NAT2") == "NAT2"


def test_split_drops_placeholders_and_repeats():
    assert split("a; N/A;; b ; a") == ["a", "b"]


def test_markup_in_titles_is_reduced_to_text():
    assert plain("CD4<sup>+</sup> cells in <i>vivo</i> &amp; p&lt;0.05") == "CD4+ cells in vivo & p<0.05"
    assert plain("p<0.05 and IL-10>5") == "p<0.05 and IL-10>5"


def test_year_is_found_in_ris_and_medline_dates():
    assert [year(v) for v in ("2010///", "2010/11/30/", "2010 Nov 30", "2019.0", "n.d.", None)] == [2010, 2010, 2010, 2019, None, None]
