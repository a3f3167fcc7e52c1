"""Reviewer sheets and other people's files in unusual states: never dropped, replaced or counted silently."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest

from tests.faults.helpers import assert_clear_error, digest, people, run

SHEET = Path("outputs/screening/title_abstract/example_reviewer.csv")
FINAL = Path("outputs/screening/final.csv")


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def rename_header(root: Path, old: str, new: str) -> None:
    path = root / SHEET
    data = path.read_bytes().decode("utf-8-sig")
    head, rest = data.split("\r\n", 1)
    cells = head.split(",")
    assert old in cells
    path.write_bytes(("\ufeff" + ",".join(new if c == old else c for c in cells) + "\r\n" + rest).encode("utf-8"))


@pytest.mark.parametrize("spelling", ["Decisions", "DECISION", "Decision_", "de-cision"])
def test_a_renamed_decision_header_still_counts_every_decision_with_a_warning(project, spelling):
    final = (project / FINAL).read_bytes()
    rename_header(project, "decision", spelling)
    code, err = run(project, "screen")
    assert code == 0, err
    assert "warning" in err and repr(spelling) in err and "'decision'" in err
    assert (project / FINAL).read_bytes() == final


def test_a_renamed_record_id_header_still_counts(project):
    final = (project / FINAL).read_bytes()
    rename_header(project, "record_id", "Record ID")
    code, err = run(project, "screen")
    assert code == 0, err
    assert "'Record ID'" in err
    assert (project / FINAL).read_bytes() == final


def test_a_sheet_without_a_decision_column_is_an_error_not_silence(project):
    rename_header(project, "decision", "my call")
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "row 1", "decision")
    assert people(project) == before


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"\xff\xfe"])
def test_an_empty_sheet_is_refused_and_left_as_it_is(project, content):
    (project / SHEET).write_bytes(content)
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "empty")
    assert people(project) == before


def test_an_empty_resolutions_file_is_refused(project):
    path = project / "outputs/screening/title_abstract/resolutions.csv"
    path.write_bytes(b"")
    code, err = run(project, "screen")
    assert_clear_error(code, err, "resolutions.csv", "empty")
    assert path.read_bytes() == b""


def test_a_sheet_that_is_a_folder_is_one_clear_line(project):
    (project / SHEET).unlink()
    (project / SHEET).mkdir()
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "folder")


def test_a_sheet_that_cannot_be_read_is_one_clear_line(project, monkeypatch):
    real = os.open
    target = str(project / SHEET)

    def denied(path, flags, *args, **kwargs):
        if str(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "permission denied")
    monkeypatch.undo()
    assert people(project) == before


def test_a_sheet_with_a_nul_byte_or_a_huge_cell_is_read_or_named(project):
    path = project / SHEET
    data = path.read_bytes().replace(b"\r\n", b"\r\n", 1)
    head, first, rest = data.split(b"\r\n", 2)
    path.write_bytes(head + b"\r\n" + first + b"\x00" + b"x" * 300_000 + b"\r\n" + rest)
    code, err = run(project, "screen")
    assert "Traceback" not in err
    assert code in (0, 1), err
    if code == 1:
        assert_clear_error(code, err, str(SHEET.name))


def test_a_symlinked_sheet_stays_a_link_and_its_target_is_updated(project):
    path = project / SHEET
    real = project / "elsewhere" / "my_sheet.csv"
    real.parent.mkdir()
    path.rename(real)
    path.symlink_to(real)
    with real.open("ab"):                       # a study the pipeline must add back: drop the last row
        pass
    lines = real.read_bytes().split(b"\r\n")
    real.write_bytes(b"\r\n".join(lines[:-2] + [b""]))
    code, err = run(project, "screen")
    assert code == 0, err
    assert path.is_symlink() and Path(os.readlink(path)) == real
    assert len(rows(real)) == len(lines) - 1


def test_a_read_only_sheet_that_needs_new_rows_is_refused(project):
    path = project / SHEET
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:-2] + [b""]))
    path.chmod(0o444)
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "read-only")
    assert people(project) == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_read_only_sheet_that_needs_no_change_is_fine(project):
    (project / SHEET).chmod(0o444)
    code, err = run(project, "screen")
    assert code == 0, err


def test_dedup_decisions_saved_as_cp1252_are_read(project):
    path = project / "outputs/dedup/decisions.csv"
    recs = list(rows(project / "outputs/dedup/pairs_to_review.csv")[1:])[:1]
    header = rows(project / "outputs/dedup/pairs_to_review.csv")[0]
    a, b = recs[0][header.index("record_id_a")], recs[0][header.index("record_id_b")]
    path.write_bytes(f"record_id_a,record_id_b,decision,reviewer,notes\r\n{a},{b},duplicate,Zoë,café\r\n".encode("cp1252"))
    code, err = run(project, "dedup")
    assert code == 0, err
    assert "1 by people" in err
    assert "decisions.csv: not valid UTF-8" in err and "Windows-1252" in err


def test_dedup_decisions_that_are_empty_are_refused(project):
    (project / "outputs/dedup/decisions.csv").write_bytes(b"")
    code, err = run(project, "dedup")
    assert_clear_error(code, err, "decisions.csv", "empty")


def test_a_stray_temp_file_left_by_a_killed_run_is_removed_next_time(project):
    folder = project / "outputs/screening"
    dead = _dead_pid()
    stray = [folder / f".final.csv.{dead}.abcd1234.tmp", folder / ".summary.json.k2j3h4g5.tmp",
             project / f"outputs/records/.records.parquet.{dead}.zzzz9999.tmp"]
    for path in stray:
        path.write_bytes(b"half")
    (project / FINAL).write_bytes(b"changed")        # so final.csv is written again
    live = folder / f".final.csv.{os.getpid()}.live0000.tmp"
    live.write_bytes(b"a write in progress")
    assert run(project, "screen")[0] == 0
    assert not stray[0].exists() and not stray[1].exists()
    assert live.exists()
    assert run(project, "import")[0] == 0
    assert not stray[2].exists()


def test_people_files_are_byte_identical_after_a_rerun(project):
    before = digest(project / "outputs" / "screening")
    assert run(project, "screen")[0] == 0
    assert digest(project / "outputs" / "screening") == before


def _dead_pid() -> int:
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_sheet_saved_as_utf16_without_a_byte_order_mark_is_read(project):
    final = (project / FINAL).read_bytes()
    path = project / SHEET
    path.write_bytes(path.read_bytes().decode("utf-8-sig").encode("utf-16-le"))
    code, err = run(project, "screen")
    assert code == 0, err
    assert (project / FINAL).read_bytes() == final


def test_a_workbook_saved_under_a_csv_name_is_named_for_what_it_is(project):
    (project / SHEET).write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8)
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "zip file", "CSV UTF-8")
    assert people(project) == before


def test_a_sheet_link_that_loops_is_one_clear_line(project):
    path = project / SHEET
    path.unlink()
    path.symlink_to(path.name)
    code, err = run(project, "screen")
    assert_clear_error(code, err, str(SHEET.name), "symbolic link")
    assert path.is_symlink()


def test_a_file_where_a_stage_folder_should_be_is_one_clear_line(project):
    folder = project / "outputs/screening/full_text"
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    code, err = run(project, "screen")
    assert_clear_error(code, err, "full_text")
    assert folder.read_text() == "not a folder"


def test_two_decision_columns_are_a_warning_naming_them(project):
    path = project / SHEET
    text = path.read_bytes().decode("utf-8-sig")
    head, rest = text.split("\r\n", 1)
    path.write_bytes(("\ufeff" + head + ",decision\r\n" + rest).encode("utf-8"))
    code, err = run(project, "screen")
    assert code == 0, err
    assert "two columns are named 'decision'" in err
