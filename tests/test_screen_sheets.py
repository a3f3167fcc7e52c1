"""Reviewer sheets survive spreadsheet round trips: encodings, delimiters, line ends, layout changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.screen import sheets
from tests.fixtures.screen.project import decide, final, project, rows, screen, study


@pytest.fixture
def two_studies(tmp_path: Path):
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("pubmed:2", title="=HYPERLINK(\"http://x\")")],
                               ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    return layout, protocol, layout.sheet("title_abstract", "alice")


def resave(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.write_bytes(text.encode(encoding))


def test_semicolon_crlf_sheet_without_bom_is_read_and_keeps_its_delimiter(two_studies) -> None:
    layout, protocol, path = two_studies
    resave(path, "record_id;title;decision;reason;notes\r\npubmed:1;T;include;;\r\npubmed:2;T;No;;\r\n")
    screen(layout, protocol)
    assert {k: v["title_abstract"] for k, v in final(layout).items()} == {"pubmed:1": "include", "pubmed:2": "exclude"}
    text = path.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("record_id;title;decision;reason;notes;")
    assert "pubmed:2;" in text and "\r\n" in text


def test_cp1252_resave_reads_accents_with_a_warning_and_is_rewritten_as_utf8(two_studies) -> None:
    layout, protocol, path = two_studies
    resave(path, "record_id,decision,notes\r\npubmed:1,exclude,Müller – naïve “quotes”\r\n", encoding="cp1252")
    warnings = screen(layout, protocol).warnings
    assert [w for w in warnings if "Windows-1252" in w] == [
        f"{path}: not valid UTF-8 (first at line 2); read as Windows-1252 (cp1252). "
        "Check accented letters, then save it as \"CSV UTF-8\" to avoid this warning"]
    assert not [w for w in screen(layout, protocol).warnings if "Windows-1252" in w]  # rewritten as UTF-8
    back = {r["record_id"]: r for r in rows(path)}
    assert back["pubmed:1"]["notes"] == "Müller – naïve “quotes”"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_quoted_multiline_cells_survive(two_studies) -> None:
    layout, protocol, path = two_studies
    decide(path, {"pubmed:1": "include"}, notes={"pubmed:1": "line one\r\nline two, with comma\nand \"quotes\""})
    screen(layout, protocol)
    assert {r["record_id"]: r["notes"] for r in rows(path)}["pubmed:1"] == "line one\r\nline two, with comma\nand \"quotes\""
    assert final(layout)["pubmed:1"]["title_abstract"] == "include"


def test_trailing_empty_rows_and_columns_are_ignored() -> None:
    data = "\ufeffrecord_id,decision,,,\r\npubmed:1,include,,,\r\n,,,,\r\n,,,,\r\n".encode()
    table = sheets.parse(data, Path("alice.csv"))
    assert table.header == ["record_id", "decision"]
    assert table.rows == [{"record_id": "pubmed:1", "decision": "include"}]
    assert table.row_numbers == [2]


def test_reordered_rows_and_columns_and_extra_columns_are_kept(two_studies) -> None:
    layout, protocol, path = two_studies
    resave(path, "my flag,decision,record_id,notes\r\nstar,exclude,pubmed:2,second first\r\n,include,pubmed:1,\r\n")
    screen(layout, protocol)
    back = sheets.read_table(path).rows
    assert [r["record_id"] for r in back] == ["pubmed:2", "pubmed:1"]
    assert list(back[0])[:4] == ["my flag", "decision", "record_id", "notes"]
    assert back[0]["my flag"] == "star" and back[0]["notes"] == "second first"
    assert back[0]["title"] == "=HYPERLINK(\"http://x\")"  # pipeline-owned cells are refilled
    assert final(layout)["pubmed:2"]["title_abstract"] == "exclude"


def test_formula_like_cells_are_written_as_text_and_read_back_unchanged(two_studies) -> None:
    layout, protocol, path = two_studies
    raw = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in raw
    decide(path, {"pubmed:1": "include"}, notes={"pubmed:1": "-looks fine +1 @bob"})
    screen(layout, protocol)
    raw = path.read_text(encoding="utf-8-sig")
    assert "'-looks fine +1 @bob" in raw
    assert sheets.read_table(path).rows[0]["notes"] == "-looks fine +1 @bob"


def test_rerun_with_unchanged_inputs_rewrites_nothing(two_studies) -> None:
    layout, protocol, path = two_studies
    decide(path, {"pubmed:1": "include", "pubmed:2": "exclude"})
    screen(layout, protocol)
    before = {p: p.stat().st_mtime_ns for p in layout.screening.rglob("*.*")}
    screen(layout, protocol)
    after = {p: p.stat().st_mtime_ns for p in layout.screening.rglob("*.*")}
    assert before == after


def test_tab_delimited_sheet_is_read() -> None:
    table = sheets.parse(b"record_id\tdecision\npubmed:1\tyes\n", Path("a.csv"))
    assert table.delimiter == "\t" and table.rows[0]["decision"] == "yes"
