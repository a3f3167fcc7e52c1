"""The app's sheet store: one row changed, every other byte as the screen stage writes it; locks; re-reads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pipeline.app import sheet as sheet_module
from pipeline.app.session import CELLS
from pipeline.app.sheet import CsvFile, Stale
from pipeline.errors import StorageError
from pipeline.files import locked
from pipeline.screen import sheets
from pipeline.screen.decisions import KEY_COLUMNS
from tests.fixtures.app.project import make


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    layout, _ = make(tmp_path, 5, ta=("alice",), ft=("alice",))
    return layout.sheet("title_abstract", "alice")


def store(path: Path) -> CsvFile:
    return CsvFile(path, KEY_COLUMNS, CELLS)


def test_a_change_writes_the_same_bytes_the_screen_stage_would(sheet: Path) -> None:
    table = sheets.read_table(sheet)
    store(sheet).change("pubmed:2", {"decision": "include", "notes": "=SUM(A1:A9)"})
    body = [[("include" if h == "decision" else "=SUM(A1:A9)" if h == "notes" else r[h]) if r["record_id"] == "pubmed:2"
             else r[h] for h in table.header] for r in table.rows]
    assert sheet.read_bytes() == sheets.render(table.header, body, table.delimiter)
    assert b"'=SUM(A1:A9)" in sheet.read_bytes()                 # formula guard
    assert sheets.read_table(sheet).rows[1]["notes"] == "=SUM(A1:A9)"


def test_a_semicolon_sheet_stays_semicolon_and_extra_columns_stay(sheet: Path) -> None:
    table = sheets.read_table(sheet)
    header = [*table.header, "my column"]
    sheet.write_bytes(sheets.render(header, [[*(r[h] for h in table.header), "mine"] for r in table.rows], ";"))
    store(sheet).change("pubmed:1", {"decision": "exclude"})
    again = sheets.read_table(sheet)
    assert again.delimiter == ";" and again.header == header
    assert [r["my column"] for r in again.rows] == ["mine"] * 5 and again.rows[0]["decision"] == "exclude"


def test_a_file_saved_meanwhile_is_reread_and_its_edits_kept(sheet: Path) -> None:
    s = store(sheet)
    table = sheets.read_table(sheet)
    table.rows[3]["notes"] = "typed in Excel"
    sheet.write_bytes(sheets.render(table.header, [[r[h] for h in table.header] for r in table.rows]))
    s.change("pubmed:1", {"decision": "include"})
    after = sheets.read_table(sheet).rows
    assert after[3]["notes"] == "typed in Excel" and after[0]["decision"] == "include" and s.reloads == 1


def test_a_row_whose_cells_changed_meanwhile_is_refused(sheet: Path) -> None:
    s = store(sheet)
    shown = {"decision": "", "reason": "", "notes": ""}
    table = sheets.read_table(sheet)
    table.rows[0]["decision"] = "exclude"
    sheet.write_bytes(sheets.render(table.header, [[r[h] for h in table.header] for r in table.rows]))
    before = sheet.read_bytes()
    with pytest.raises(Stale):
        s.change(table.rows[0]["record_id"], {"decision": "include"}, shown)
    assert sheet.read_bytes() == before


def test_a_write_waits_for_the_lock_the_screen_stage_holds(sheet: Path) -> None:
    s = store(sheet)
    order: list[str] = []
    held = threading.Event()

    def screen_stage() -> None:
        with locked(sheet):
            held.set()
            time.sleep(0.3)
            order.append("screen stage done")

    other = threading.Thread(target=screen_stage)
    other.start()
    held.wait()
    s.change("pubmed:1", {"decision": "include"})
    order.append("app wrote")
    other.join()
    assert order == ["screen stage done", "app wrote"]


def test_nothing_is_left_beside_the_sheet_but_lock_files(sheet: Path) -> None:
    store(sheet).change("pubmed:1", {"decision": "include"})
    hidden = [p.name for p in sheet.parent.iterdir() if p.name.startswith(".")]
    assert ".alice.csv.lock" in hidden and all(n.endswith(".csv.lock") for n in hidden)


@pytest.mark.parametrize("written_before", [False, True], ids=["first write", "after a write"])
def test_a_change_whose_write_failed_is_forgotten_and_written_when_made_again(
        sheet: Path, monkeypatch: pytest.MonkeyPatch, written_before: bool) -> None:
    s = store(sheet)
    if written_before:
        s.change("pubmed:1", {"decision": "exclude"})
    real = sheet_module.write_bytes_atomic

    def full_disk(*args: object, **kwargs: object) -> bool:
        raise StorageError(f"cannot write {sheet}: the disk is full")

    monkeypatch.setattr(sheet_module, "write_bytes_atomic", full_disk)
    with pytest.raises(StorageError):
        s.change("pubmed:2", {"decision": "include"})
    monkeypatch.setattr(sheet_module, "write_bytes_atomic", real)
    assert s.cell("pubmed:2", "decision") == ""
    s.change("pubmed:3", {"decision": "maybe"})
    assert [r["decision"] for r in sheets.read_table(sheet).rows[1:3]] == ["", "maybe"]
    assert s.change("pubmed:2", {"decision": "include"})
    assert [r["decision"] for r in sheets.read_table(sheet).rows[1:3]] == ["include", "maybe"]


def test_many_changes_of_every_length_leave_exactly_the_bytes_a_full_rewrite_would(sheet: Path) -> None:
    table = sheets.read_table(sheet)
    s, expected = store(sheet), {r["record_id"]: dict(r) for r in table.rows}
    notes = ["", "x", "a much longer note, with a comma", "=1+1", "naïve ünïcode", "two\nlines"]
    for n in range(30):
        key = table.rows[(n * 7) % len(table.rows)]["record_id"]
        cells = {"decision": ("include", "exclude", "maybe")[n % 3], "notes": notes[(n * 5) % len(notes)]}
        s.change(key, cells)
        expected[key].update(cells)
    body = [[expected[r["record_id"]][h] for h in table.header] for r in table.rows]
    assert sheet.read_bytes() == sheets.render(table.header, body, table.delimiter)
