"""Decoding export files and cleaning their values: the traps every importer shares."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.imports.text import clean, decode, plain, split, year


def test_utf8_with_bom_is_read_without_the_bom():
    decoded = decode("\ufeffTY  - JOUR\n".encode("utf-8"), "a.ris")
    assert decoded.text == "TY  - JOUR\n"
    assert decoded.encoding == "utf-8 (BOM)"
    assert decoded.warning is None


def test_crlf_and_lone_cr_line_ends_become_lf():
    assert decode(b"a\r\nb\rc\n", "a.ris").text == "a\nb\nc\n"


def test_windows_1252_bytes_are_decoded_with_a_warning_naming_file_and_line():
    data = "title\nCaf\u00e9 \u2013 r\u00e9sum\u00e9\n".encode("cp1252")
    decoded = decode(data, "queries/imports/old.csv")
    assert decoded.text == "title\nCaf\u00e9 \u2013 r\u00e9sum\u00e9\n"
    assert decoded.encoding == "cp1252"
    assert "queries/imports/old.csv" in decoded.warning and "line 2" in decoded.warning


def test_the_protocols_encoding_is_used_without_a_warning():
    decoded = decode("Caf\u00e9".encode("cp1252"), "old.csv", encoding="cp1252")
    assert (decoded.text, decoded.encoding, decoded.warning) == ("Caf\u00e9", "cp1252", None)


def test_bytes_the_protocols_encoding_cannot_decode_are_an_error_with_the_line():
    with pytest.raises(InputError) as err:
        decode(b"ok\nok\n\xff\xfe bad\n", "x.ris", encoding="utf-8")
    problem = err.value.problems[0]
    assert (problem.file, problem.row) == ("x.ris", 3)


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
