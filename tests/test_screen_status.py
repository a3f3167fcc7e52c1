"""`status` says what is screened, what remains and what to do next; sheets saved mid-run are re-read; `clean` keeps people's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import housekeeping
from pipeline.cli import main
from pipeline.errors import ConcurrentChange
from pipeline.layout import Layout
from pipeline.screen import engine, sheets
from pipeline.screen.status import print_status
from tests.fixtures.screen.project import decide, final, project, rows, screen, study, write_people_file, write_protocol


def status(layout: Layout, capsys) -> tuple[int, str]:
    code = main(["status", "--root", str(layout.root)])
    return code, " ".join(capsys.readouterr().out.split())


@pytest.fixture
def duo(tmp_path: Path):
    layout, protocol = project(tmp_path, [study("pubmed:1"), study("pubmed:2")], ft=("alice",))
    return layout, protocol


def test_status_before_dedup_says_to_run_dedup(tmp_path: Path, capsys) -> None:
    layout = Layout.at(tmp_path)
    protocol = write_protocol(tmp_path)
    assert print_status(layout, protocol) == 0
    assert "run `python -m pipeline dedup`" in capsys.readouterr().out


def test_status_walks_through_the_next_steps(duo, capsys) -> None:
    layout, protocol = duo
    code, out = status(layout, capsys)
    assert code == 0 and "Next: Run `make screen`" in out and "outputs/screening/title_abstract/alice.csv" in out

    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include", "pubmed:2": "include"})
    decide(layout.sheet("title_abstract", "bob"), {"pubmed:1": "include"})
    _, out = status(layout, capsys)
    assert "│ title/abstract │ alice │ 2/2 │ 0 │ 0 │" in out and "│ │ bob │ 1/2 │ 1 │ 0 │" in out
    assert "Next: Screen title/abstract: bob has 1 to screen in outputs/screening/title_abstract/bob.csv" in out

    decide(layout.sheet("title_abstract", "bob"), {"pubmed:2": "exclude"})
    _, out = status(layout, capsys)
    assert "│ │ bob │ 2/2 │ 0 │ 1 │" in out
    assert "Next: Settle 1 open title/abstract conflict(s) listed in outputs/screening/title_abstract/conflicts.csv" in out

    write_people_file(layout.resolutions("title_abstract"), ["study_id", "decision", "reason", "resolved_by"],
                      [["pubmed:2", "exclude", "", "carol"]])
    _, out = status(layout, capsys)
    assert "Next: Run `make screen`" in out and "full_text/alice.csv" in out

    screen(layout, protocol)
    decide(layout.sheet("full_text", "alice"), {"pubmed:1": "include"})
    _, out = status(layout, capsys)
    assert "Next: Run `make screen` to record the decisions in outputs/screening/final.csv" in out

    screen(layout, protocol)
    _, out = status(layout, capsys)
    assert "Next: Screening is complete: 1 report included at full text. Run `make report`." in out


def test_status_lists_sheet_problems_and_exits_1(duo, capsys) -> None:
    layout, protocol = duo
    screen(layout, protocol)
    write_people_file(layout.sheet("title_abstract", "bob"), ["record_id", "decision"], [["pubmed:2", "dunno"]])
    code, out = status(layout, capsys)
    assert code == 1 and "bob.csv, row 2, column 'decision': unknown decision 'dunno'" in out
    assert "Next: fix the problems above" in out


def test_sheet_saved_during_a_run_is_re_read_not_overwritten(duo, monkeypatch) -> None:
    layout, protocol = duo
    screen(layout, protocol)
    path = layout.sheet("title_abstract", "alice")
    real_compute = engine.compute
    calls = []

    def person_saves_meanwhile(inputs, protocol):
        result = real_compute(inputs, protocol)
        if not calls:  # the reviewer saves a decision after we read the sheet, before we write it
            decide(path, {"pubmed:1": "exclude"}, notes={"pubmed:1": "saved mid-run"})
        calls.append(1)
        return result

    monkeypatch.setattr(engine, "compute", person_saves_meanwhile)
    screen(layout, protocol)
    assert len(calls) == 2
    assert {r["record_id"]: (r["decision"], r["notes"]) for r in rows(path)}["pubmed:1"] == ("exclude", "saved mid-run")
    assert final(layout)["pubmed:2"]["title_abstract"] == "pending"
    assert rows(layout.screening / "title_abstract" / "conflicts.csv") == []


def test_write_refuses_a_sheet_that_changed_since_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "alice.csv"
    path.write_text("record_id,decision\r\npubmed:1,include\r\n")
    table = sheets.read_table(path)
    path.write_text("record_id,decision\r\npubmed:1,exclude\r\n")
    with pytest.raises(ConcurrentChange):
        sheets.write_if_unchanged(path, b"new", table.fingerprint)
    assert "exclude" in path.read_text()


def test_clean_keeps_sheets_resolutions_overrides_decisions_and_snapshots(duo) -> None:
    layout, protocol = duo
    screen(layout, protocol)
    write_people_file(layout.resolutions("title_abstract"), ["study_id", "decision", "reason", "resolved_by"], [])
    snapshot = layout.search / "pubmed" / "2026-01-01T000000Z" / "efetch-00001.xml.gz"
    snapshot.parent.mkdir(parents=True)
    snapshot.write_bytes(b"raw")
    (layout.dedup / "decisions.csv").write_text("record_id_a,record_id_b,decision,reviewer,notes\n")
    gone = set(housekeeping.regenerable(layout))
    kept = {layout.sheet("title_abstract", "alice"), layout.sheet("title_abstract", "bob"),
            layout.resolutions("title_abstract"), layout.automation_overrides,
            snapshot, layout.dedup / "decisions.csv"}
    assert not kept & gone
    assert {layout.screening / "final.csv", layout.screening / "summary.json", layout.studies,
            layout.screening / "title_abstract" / "conflicts.csv"} <= gone


def test_screen_command_ends_with_a_one_line_summary(duo, capsys) -> None:
    layout, _ = duo
    assert main(["screen", "--root", str(layout.root)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("screen: 0 ineligible by automation; title/abstract 0 included, 0 excluded, 2 pending")
    assert err[-1].endswith("files updated under outputs/screening/")


def test_walkthrough_lists_every_accepted_decision_word() -> None:
    from pipeline.screen.decisions import DECISION_WORDS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "screening.md").read_text(encoding="utf-8")
    table = doc[doc.index("| decision | also accepted |"):doc.index("At full text, `exclude` needs")]
    cells = {w.strip() for line in table.splitlines()[2:] for part in line.strip("|").split("|") for w in part.split(",")}
    cells = {c.replace(" (full text only)", "") for c in cells if c}
    assert cells == set(DECISION_WORDS) | {"not_retrieved"}


def test_status_names_the_orphans_file_where_it_is_under_outputs(tmp_path: Path, capsys) -> None:
    layout, _ = project(tmp_path, [study("pubmed:1")], ft=("alice",))
    moved = Layout.at(tmp_path, tmp_path / "elsewhere")
    (moved.studies.parent).mkdir(parents=True)
    layout.studies.rename(moved.studies)
    write_people_file(moved.sheet("title_abstract", "alice"), ["record_id", "decision", "study_id"],
                      [["pubmed:1", "", "pubmed:1"], ["pubmed:9", "", "pubmed:9"]])  # a decision there would be an error
    assert main(["status", "--root", str(tmp_path), "--outputs", str(moved.outputs)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 orphaned sheet row(s): their records are gone (see elsewhere/screening/orphans.csv)" in out
