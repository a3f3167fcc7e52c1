"""Decisions typed into outputs/dedup/pairs_to_review.csv move into decisions.csv; nothing typed is lost."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.dedup import pair_review
from pipeline.dedup.engine import REVIEW_COLUMNS
from pipeline.layout import Layout
from tests.dedup_helpers import frame, record


@pytest.fixture
def project(tmp_path):
    layout = Layout.at(tmp_path)
    layout.records.parent.mkdir(parents=True)
    frame(record("embase:1"), record("wos:1"),
          record("wos:2", title="Exercise and cardiac remodelling in older adults", pages="1-9", authors=["Lee K"],
                 abstract=None)).write_parquet(layout.records)
    assert main(["dedup", "--root", str(tmp_path)]) == 0
    return layout


def type_pairs(layout, rows: list[list[str]], extra: tuple[str, ...] = ()) -> None:
    """What a person does: open pairs_to_review.csv, type decisions (and maybe a notes column), save."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*REVIEW_COLUMNS, *extra])
    for a, b, decision, *more in rows:
        writer.writerow([a, b, "0.8", "title 0.8", "", "", "", "", "", "", "", "", decision, *more])
    layout.pairs_to_review.write_bytes(buf.getvalue().encode("utf-8"))


def decisions(layout) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(layout.dedup_decisions.read_bytes().decode("utf-8-sig"), newline="")))


def studies(layout) -> dict[str, str]:
    return dict(pl.read_parquet(layout.clusters).select("record_id", "study_id").iter_rows())


def test_a_typed_decision_moves_into_decisions_csv_and_is_applied(project):
    type_pairs(project, [["wos:1", "wos:2", "Same", "ana", "same trial, two reports"]], extra=("reviewer", "notes"))
    assert main(["dedup", "--root", str(project.root)]) == 0
    assert decisions(project) == [{"record_id_a": "wos:1", "record_id_b": "wos:2", "decision": "duplicate", "reviewer": "ana",
                                   "notes": "same trial, two reports; from outputs/dedup/pairs_to_review.csv row 2"}]
    assert studies(project)["wos:1"] == studies(project)["wos:2"]
    assert main(["dedup", "--root", str(project.root)]) == 0  # the decision is not moved twice
    assert len(decisions(project)) == 1


@pytest.mark.parametrize("typed, meaning", [("duplicate", "duplicate"), ("not-duplicate", "not_duplicate"),
                                            ("Different", "not_duplicate"), ("NO", "not_duplicate"), ("dup", "duplicate")])
def test_the_obvious_spellings_are_accepted(project, typed, meaning):
    type_pairs(project, [["embase:1", "wos:2", typed]])
    assert main(["dedup", "--root", str(project.root)]) == 0
    assert decisions(project)[0]["decision"] == meaning


def test_an_unknown_word_is_an_error_naming_row_and_column_and_nothing_moves(project, capsys):
    type_pairs(project, [["embase:1", "wos:2", "no"], ["wos:1", "wos:2", "perhaps"]])
    pairs_before, decisions_before = project.pairs_to_review.read_bytes(), project.dedup_decisions.read_bytes()
    assert main(["dedup", "--root", str(project.root)]) == 1
    assert "pairs_to_review.csv, row 3, column 'decision'" in capsys.readouterr().err
    assert project.pairs_to_review.read_bytes() == pairs_before  # what was typed is still there
    assert project.dedup_decisions.read_bytes() == decisions_before


def test_a_pair_decided_the_other_way_in_decisions_csv_is_an_error(project, capsys):
    type_pairs(project, [["wos:2", "wos:1", "duplicate"]])
    with open(project.dedup_decisions, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow(["wos:1", "wos:2", "not_duplicate", "ben", ""])
    assert main(["dedup", "--root", str(project.root)]) == 1
    assert "already marked not_duplicate" in capsys.readouterr().err


def test_a_pair_naming_a_record_that_is_gone_is_an_error(project, capsys):
    type_pairs(project, [["wos:1", "wos:99", "duplicate"]])
    assert main(["dedup", "--root", str(project.root)]) == 1
    assert "row 2, column 'record_id_b'" in capsys.readouterr().err


def test_columns_a_person_added_are_kept_for_pairs_still_waiting(tmp_path):
    path = tmp_path / "pairs_to_review.csv"
    path.write_text("record_id_a,record_id_b,decision,notes\na:1,b:1,,ask Ben\na:2,b:2,,gone now\n", encoding="utf-8")
    waiting = pl.DataFrame({"record_id_a": ["b:1", "a:3"], "record_id_b": ["a:1", "b:3"], "decision": ["", ""]})
    out, warnings = pair_review.keep_typed(waiting, path, "pairs_to_review.csv")
    assert out["notes"].to_list() == ["ask Ben", ""]
    assert warnings and "row(s) 3" in warnings[0]
