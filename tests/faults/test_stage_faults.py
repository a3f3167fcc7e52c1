"""Whole stages against broken inputs and a hostile machine: one clear line, exit 1, nothing half-written."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import pipeline.files
from tests.faults.helpers import assert_clear_error, people, run, run_process

IMPORT = "queries/imports/pmc_pages.ris"


def point_source_at(root: Path, target: str) -> None:
    path = root / "queries" / "review.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'path = "{IMPORT}"', f'path = "{target}"'), encoding="utf-8")


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_an_import_path_that_is_a_device_is_one_clear_line(project, target):
    point_source_at(project, target)
    before = people(project)
    code, err = run_process(project, "import", timeout=60)
    assert_clear_error(code, err, target, "not a regular file")
    assert people(project) == before


def test_an_import_path_that_is_a_pipe_does_not_hang(project):
    fifo = project / "queries" / "imports" / "pipe.ris"
    os.mkfifo(fifo)
    point_source_at(project, "queries/imports/pipe.ris")
    code, err = run_process(project, "import", timeout=60)
    assert_clear_error(code, err, "pipe.ris", "not a regular file")


def test_an_import_path_that_is_a_folder_is_one_clear_line(project):
    point_source_at(project, "queries/imports")
    code, err = run(project, "import")
    assert_clear_error(code, err, "queries/imports", "folder")


def test_markup_and_escapes_in_record_text_are_printed_literally(project):
    path = project / IMPORT
    text = path.read_text(encoding="utf-8")
    first, second = [line for line in text.splitlines() if line.startswith("ID  - ")][:2]
    hostile = "ID  - [/yellow][bold]x\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07\x1b[2J:smile:\u202e"
    path.write_text(text.replace(first, hostile, 1).replace(second, hostile, 1), encoding="utf-8")
    code, err = run(project, "import")
    assert code == 0, err
    assert "[/yellow][bold]x" in err and "link" in err
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err and "😄" not in err


def test_a_corrupt_studies_table_is_one_clear_line_for_screen_and_report(project):
    path = project / "outputs/dedup/studies.parquet"
    path.write_bytes(path.read_bytes()[:200])
    before = people(project)
    for stage in ("screen", "report", "status"):
        code, err = run(project, stage)
        if stage == "status":
            assert "Traceback" not in err
            continue
        assert_clear_error(code, err, "studies.parquet", "make dedup")
    assert people(project) == before


def test_a_corrupt_records_table_is_one_clear_line_for_dedup(project):
    (project / "outputs/records/records.parquet").write_bytes(b"PAR1 not really")
    before = people(project)
    code, err = run(project, "dedup")
    assert_clear_error(code, err, "records.parquet", "make records")
    assert people(project) == before


@pytest.mark.parametrize(("stage", "outputs"), [
    ("import", ["records/records.parquet", "records/sources.json"]),
    ("dedup", ["dedup/clusters.parquet", "dedup/studies.parquet", "dedup/summary.json"]),
    ("screen", ["screening/final.csv", "screening/summary.json", "screening/automation.csv"]),
    ("report", ["report/index.html", "report/prisma.svg", "report/prisma.csv"]),
])
def test_a_full_disk_part_way_through_a_stage_leaves_every_file_as_it_was(project, monkeypatch, stage, outputs):
    for name in outputs:                     # so the stage has several files to write
        (project / "outputs" / name).unlink()
    before = people(project)
    calls = {"n": 0}
    real = os.write

    def full(fd, data):
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(pipeline.files.os, "write", full)
    code, err = run(project, stage)
    monkeypatch.undo()
    assert_clear_error(code, err, "disk is full")
    assert len([line for line in err.splitlines() if line.startswith("error")]) == 1
    assert people(project) == before
    assert not list((project / "outputs").rglob("*.tmp"))
    code, err = run(project, stage)          # space again: the same command completes
    assert code == 0, err
    assert all((project / "outputs" / name).is_file() for name in outputs)


@pytest.mark.parametrize("failure", [errno.EACCES, errno.EROFS])
def test_an_outputs_folder_that_cannot_be_written_is_one_clear_line(project, monkeypatch, failure):
    (project / "outputs/report/index.html").unlink()
    real = pipeline.files.tempfile.mkstemp

    def refuse(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(pipeline.files.tempfile, "mkstemp", refuse)
    before = people(project)
    code, err = run(project, "report")
    monkeypatch.setattr(pipeline.files.tempfile, "mkstemp", real)
    assert_clear_error(code, err, "index.html", "permission denied" if failure == errno.EACCES else "read-only")
    assert people(project) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_outputs_folder_is_one_clear_line(project):
    report = project / "outputs/report"
    (report / "index.html").unlink()
    report.chmod(0o555)
    try:
        code, err = run_process(project, "report")
    finally:
        report.chmod(0o755)
    assert_clear_error(code, err, "report", "permission denied")


def test_an_outputs_path_that_is_a_file_is_one_clear_line(fresh):
    (fresh / "elsewhere").write_text("a file, not a folder")
    code, err = run(fresh, "import", "--outputs", str(fresh / "elsewhere"))
    assert_clear_error(code, err, "elsewhere")
    assert (fresh / "elsewhere").read_text() == "a file, not a folder"


def test_a_reviewer_named_like_a_formula_never_reaches_a_csv_header(project):
    path = project / "queries/review.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '[screening.title_abstract]\nreviewers = ["example_reviewer"]',
        '[screening.title_abstract]\nreviewers = ["example_reviewer", "=2+5"]'), encoding="utf-8")
    before = people(project)
    code, err = run(project, "screen")
    assert_clear_error(code, err, "'=2+5'")
    assert people(project) == before


@pytest.mark.parametrize(("table", "stage", "remedy"), [
    ("dedup/studies.parquet", "screen", "make dedup"), ("dedup/studies.parquet", "report", "make dedup"),
    ("records/records.parquet", "dedup", "make records"),
])
def test_a_table_with_columns_missing_is_one_clear_line(project, table, stage, remedy):
    import polars as pl
    pl.DataFrame({"study_id": ["x"], "record_id": ["y"]}).write_parquet(project / "outputs" / table)
    before = people(project)
    code, err = run(project, stage)
    assert_clear_error(code, err, table.split("/")[1], "no column", remedy)
    assert people(project) == before


def test_a_link_planted_at_a_generated_path_never_leads_a_write_onto_the_protocol(project):
    protocol = project / "queries/review.toml"
    before = protocol.read_bytes()
    index = project / "outputs/report/index.html"
    index.unlink()
    index.symlink_to(Path("../../queries/review.toml"))
    code, err = run(project, "report")
    assert code == 0, err
    assert protocol.read_bytes() == before
    assert not index.is_symlink() and b"<html" in index.read_bytes()[:200].lower()
