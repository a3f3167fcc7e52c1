"""One set of text and CSV rules for imports, reviewer sheets and exports (`pipeline.textio`)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from pipeline import files, textio
from pipeline.errors import InputError
from pipeline.screen import sheets

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def test_utf8_with_bom_is_read_without_the_bom() -> None:
    decoded = textio.decode("\ufeffTY  - JOUR\n".encode(), "a.ris")
    assert (decoded.text, decoded.encoding, decoded.warning) == ("TY  - JOUR\n", "utf-8 (BOM)", None)


def test_utf16_with_a_bom_is_read_as_excel_unicode_text_saves_it() -> None:
    for data in ("record_id\tnotes\r\npubmed:1\tMüller\r\n".encode("utf-16"),
                 "\ufeffrecord_id\tnotes\r\n".encode("utf-16-be")):
        decoded = textio.decode(data, "a.csv")
        assert decoded.text.startswith("record_id\tnotes\r\n") and decoded.warning is None


def test_line_ends_are_kept_by_decode_and_unified_by_unix_lines() -> None:
    text = textio.decode(b"a\r\nb\rc\n", "a.ris").text
    assert text == "a\r\nb\rc\n"
    assert textio.unix_lines(text) == "a\nb\nc\n"


def test_windows_1252_bytes_are_decoded_with_a_warning_naming_file_and_line() -> None:
    data = "title\nCaf\u00e9 \u2013 r\u00e9sum\u00e9\n".encode("cp1252")
    decoded = textio.decode(data, "queries/imports/old.csv")
    assert decoded.text == "title\nCaf\u00e9 \u2013 r\u00e9sum\u00e9\n"
    assert decoded.encoding == "cp1252"
    assert decoded.warning is not None
    assert "queries/imports/old.csv" in decoded.warning and "line 2" in decoded.warning
    assert decoded.warning.endswith(textio.PROTOCOL_FIX)


def test_the_protocols_encoding_is_used_without_a_warning() -> None:
    decoded = textio.decode("Caf\u00e9".encode("cp1252"), "old.csv", encoding="cp1252")
    assert (decoded.text, decoded.encoding, decoded.warning) == ("Caf\u00e9", "cp1252", None)


def test_bytes_the_protocols_encoding_cannot_decode_are_an_error_with_the_line() -> None:
    with pytest.raises(InputError) as err:
        textio.decode(b"ok\nok\n\xff\xfe bad\n", "x.ris", encoding="utf-8")
    problem = err.value.problems[0]
    assert (problem.file, problem.row) == ("x.ris", 3)


def test_bytes_neither_utf8_nor_windows_1252_are_an_error_not_a_silent_guess() -> None:
    with pytest.raises(InputError) as err:
        textio.decode(b"record_id\nabc\x81\n", "alice.csv")
    assert (err.value.problems[0].file, err.value.problems[0].row) == ("alice.csv", 2)


@pytest.mark.parametrize("header, expected", [
    ("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("single", ","), ('"x;y;z",b', ","),
    ('"Title, long";Year;Authors', ";"), ("a,b;c", ","),
])
def test_the_delimiter_is_what_the_header_line_uses_most_outside_quotes(header: str, expected: str) -> None:
    assert textio.sniff_delimiter(header + "\nrow,with;other\tdelims\n") == expected


@pytest.mark.parametrize("text", [*FORMULAS, "'=already quoted", "''+two", "plain", "'plain", "", "it's", "'"])
def test_guarding_a_cell_can_always_be_undone(text: str) -> None:
    assert textio.unguard_cell(textio.guard_cell(text)) == text


def test_every_formula_starter_is_guarded_and_plain_text_is_not() -> None:
    assert [textio.guard_cell(t) for t in FORMULAS] == ["'" + t for t in FORMULAS]
    assert [textio.guard_cell(v) for v in ("plain", "'plain", None, 3)] == ["plain", "'plain", "", "3"]


def test_header_cells_are_guarded_too() -> None:
    data = textio.csv_bytes(["=cmd|' /C calc'!A0", "notes"], [["@x", "ok"]])
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert header == ["'=cmd|' /C calc'!A0", "notes"] and row == ["'@x", "ok"]
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data


def test_a_guarded_header_reads_back_as_written_in_sheets(tmp_path: Path) -> None:
    path = tmp_path / "alice.csv"
    path.write_bytes(textio.csv_bytes(["record_id", "=flag"], [["pubmed:1", "-1"]], delimiter=";"))
    table = sheets.read_table(path)
    assert (table.header, table.rows, table.delimiter) == (["record_id", "=flag"], [{"record_id": "pubmed:1", "=flag": "-1"}], ";")


def test_a_windows_1252_sheet_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "alice.csv"
    path.write_bytes("record_id,notes\r\npubmed:1,Müller\r\n".encode("cp1252"))
    table = sheets.read_table(path)
    assert table.rows == [{"record_id": "pubmed:1", "notes": "Müller"}]
    assert table.warning is not None and str(path) in table.warning and "line 2" in table.warning
    assert table.warning.endswith(textio.SHEET_FIX)
    assert sheets.parse(b"record_id\r\npubmed:1\r\n", path).warning is None


def test_atomic_writes_go_through_a_symlink_to_its_target(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "alice.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "alice.csv"
    link.symlink_to(real)
    assert files.write_text_atomic(link, "new") is True
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in real.parent.iterdir()) == ["alice.csv"]


def test_atomic_writes_keep_the_permissions_of_the_file_they_replace(tmp_path: Path) -> None:
    target = tmp_path / "sheet.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    files.write_text_atomic(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_console_text_strips_terminal_escapes_and_controls_and_escapes_markup() -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07Title [red]x[/red] [link=file:///etc]y\x00\x08\r"
    safe = textio.console_text(hostile)
    assert "\x1b" not in safe and "\x00" not in safe and "\r" not in safe and "\x08" not in safe
    assert safe == "Title \\[red]x\\[/red] \\[link=file:///etc]y"
    assert textio.console_text("tab\tand\nnewline") == "tab\tand\nnewline"


def test_console_output_shows_hostile_text_literally(capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline import console
    console.warn("[bold]Title\x1b[31m[/bold] ok")
    err = capsys.readouterr().err
    assert "[bold]Title[/bold] ok" in err and "\x1b[31m" not in err


def test_error_messages_reach_the_terminal_without_escape_sequences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline import cli
    protocol = tmp_path / "review.toml"
    protocol.write_text('[review]\ntitle = "x"\n[[sources]]\nname = "a"\ntype = "import"\nkind = "database"\n'
                        'database = "D"\nformat = "ris"\npath = "q/\\u001b[2Jx.ris"\n')
    assert cli.main(["import", "--root", str(tmp_path), "--protocol", str(protocol)]) == 1
    err = capsys.readouterr().err
    assert "q/x.ris: import file not found" in err and "\x1b" not in err


@pytest.mark.parametrize(("n", "one", "many", "text"), [
    (1, "record", None, "1 record"), (0, "record", None, "0 records"), (2, "study", "studies", "2 studies"),
    (1, "study", "studies", "1 study"), (1234, "participant", None, "1,234 participants"),
])
def test_counts_are_written_with_the_right_number_of_the_noun(n, one, many, text) -> None:
    assert textio.plural(n, one, many) == text
