"""People's decisions in outputs/dedup/decisions.csv: applied first, kept across reruns, checked."""

from __future__ import annotations

import csv
import json

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.layout import Layout
from tests.dedup_helpers import frame, record


@pytest.fixture
def project(tmp_path):
    """A project whose records table has two copies of one article and one unrelated record."""
    layout = Layout.at(tmp_path)
    layout.records.parent.mkdir(parents=True)
    records = frame(record("embase:1"), record("wos:1"),
                    record("wos:2", title="Exercise and cardiac remodelling in older adults", pages="1-9",
                           authors=["Lee K"], abstract=None))
    records.write_parquet(layout.records)
    return layout


def _write_decisions(layout, rows):
    layout.dedup.mkdir(parents=True, exist_ok=True)
    with open(layout.dedup_decisions, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id_a", "record_id_b", "decision", "reviewer", "notes"])
        writer.writerows(rows)


def _studies(layout) -> dict[str, str]:
    return dict(pl.read_parquet(layout.clusters).select("record_id", "study_id").iter_rows())


def test_first_run_creates_an_empty_decisions_file_and_all_outputs(project):
    assert main(["dedup", "--root", str(project.root)]) == 0
    assert project.dedup_decisions.read_text(encoding="utf-8-sig").strip() == "record_id_a,record_id_b,decision,reviewer,notes"
    summary = json.loads(project.dedup_summary.read_text())
    assert summary["records_in"] == 3 and summary["studies"] == 2
    assert pl.read_parquet(project.studies).height == 2
    assert project.pairs_to_review.exists()


def test_not_duplicate_splits_and_duplicate_joins_on_every_rerun(project):
    _write_decisions(project, [["embase:1", "wos:1", "not_duplicate", "ana", "conference abstract"],
                               ["wos:1", "wos:2", "duplicate", "ana", ""]])
    before = project.dedup_decisions.read_bytes()
    for _ in range(2):
        assert main(["dedup", "--root", str(project.root)]) == 0
        studies = _studies(project)
        assert studies["embase:1"] != studies["wos:1"]
        assert studies["wos:1"] == studies["wos:2"]
    assert project.dedup_decisions.read_bytes() == before
    summary = json.loads(project.dedup_summary.read_text())
    assert summary["duplicates_removed"]["person"] == 1
    assert summary["person_decisions"] == {"duplicate": 1, "not_duplicate": 1}


def test_rerun_with_unchanged_inputs_changes_no_file(project):
    main(["dedup", "--root", str(project.root)])
    stamps = {p: p.stat().st_mtime_ns for p in project.dedup.iterdir()}
    main(["dedup", "--root", str(project.root)])
    assert {p: p.stat().st_mtime_ns for p in project.dedup.iterdir()} == stamps


def test_unknown_record_id_is_an_error_naming_file_row_and_column(project, capsys):
    _write_decisions(project, [["embase:1", "wos:1", "duplicate", "ana", ""], ["embase:1", "wos:99", "duplicate", "ana", ""]])
    assert main(["dedup", "--root", str(project.root)]) == 1
    err = capsys.readouterr().err
    assert "decisions.csv, row 3, column 'record_id_b'" in err and "wos:99" in err
    assert not project.clusters.exists()


def test_unknown_decision_word_is_an_error(project, capsys):
    _write_decisions(project, [["embase:1", "wos:1", "maybe", "ana", ""]])
    assert main(["dedup", "--root", str(project.root)]) == 1
    assert "row 2, column 'decision'" in capsys.readouterr().err


def test_contradictory_decisions_are_an_error(project, capsys):
    _write_decisions(project, [["embase:1", "wos:1", "not_duplicate", "ana", ""], ["wos:1", "wos:2", "duplicate", "ana", ""],
                               ["embase:1", "wos:2", "duplicate", "ben", ""]])
    assert main(["dedup", "--root", str(project.root)]) == 1
    assert "row 4" in capsys.readouterr().err
