"""`clean` removes only what the pipeline wrote and can write again, and only inside an outputs tree it made.

Every path given to `clean` here lies inside the test's own temporary folder: a regression must
never be able to reach anything else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.faults.helpers import assert_clear_error, digest, people, run

GENERATED = ["outputs/records/records.parquet", "outputs/dedup/studies.parquet", "outputs/screening/final.csv",
             "outputs/screening/title_abstract/conflicts.csv", "outputs/report/index.html"]
PEOPLES = ["outputs/screening/title_abstract/example_reviewer.csv", "outputs/screening/full_text/example_reviewer.csv",
           "outputs/screening/title_abstract/resolutions.csv", "outputs/dedup/decisions.csv",
           "outputs/screening/automation_overrides.csv"]


@pytest.fixture
def sandbox(project: Path) -> Path:
    """The project copy inside a folder of its own, with a neighbour's files beside it."""
    neighbour = project.parent / "neighbour"
    neighbour.mkdir()
    (neighbour / "thesis.docx").write_bytes(b"years of work")
    return project


@pytest.mark.parametrize("outputs", [".", "queries", "queries/imports", "outputs/screening", "..", "../neighbour"])
def test_clean_refuses_a_folder_that_is_not_an_outputs_tree_it_made(sandbox, outputs):
    before = digest(sandbox.parent)
    code, err = run(sandbox, "clean", "--outputs", outputs)
    assert_clear_error(code, err, "not an outputs folder")
    assert digest(sandbox.parent) == before


def test_clean_refuses_a_folder_holding_what_looks_like_outputs(sandbox):
    foreign = sandbox.parent / "neighbour"
    (foreign / "records").mkdir()
    (foreign / "records" / "records.parquet").write_bytes(b"not ours")
    before = digest(foreign)
    code, err = run(sandbox, "clean", "--outputs", str(foreign))
    assert_clear_error(code, err, "not an outputs folder")
    assert digest(foreign) == before


def test_clean_refuses_the_project_folder_even_with_a_marker(sandbox):
    shutil.copy(sandbox / "outputs" / ".pipeline-outputs.json", sandbox / ".pipeline-outputs.json")
    before = digest(sandbox)
    code, err = run(sandbox, "clean", "--outputs", ".")
    assert_clear_error(code, err, "project folder")
    assert digest(sandbox) == before


def test_clean_removes_generated_files_and_keeps_peoples_and_strangers(sandbox):
    strangers = {
        "outputs/screening/title_abstract/example_reviewer.xlsx": b"PK excel",
        "outputs/NOTES.md": b"# my notes",
        "outputs/fulltext/study1.pdf": b"%PDF-1.7",
        "outputs/dedup/decisions.csv.bak": b"old decisions",
        "outputs/records/my_extra.csv": b"a,b",
        "outputs/report/figure_for_paper.svg": b"<svg/>",
    }
    for name, data in strangers.items():
        (sandbox / name).parent.mkdir(parents=True, exist_ok=True)
        (sandbox / name).write_bytes(data)
    kept = {name: (sandbox / name).read_bytes() for name in PEOPLES}
    code, err = run(sandbox, "clean")
    assert code == 0, err
    for name in GENERATED:
        assert not (sandbox / name).exists(), name
    for name, data in {**strangers, **kept}.items():
        assert (sandbox / name).read_bytes() == data, name
    assert "removed" in err


def test_clean_dry_run_lists_and_removes_nothing(sandbox):
    before = digest(sandbox)
    code, err = run(sandbox, "clean", "--dry-run")
    assert code == 0, err
    assert digest(sandbox) == before
    for name in GENERATED:
        assert name in err, name
    for name in PEOPLES:
        assert name not in err, name


def test_clean_keeps_a_generated_file_a_person_changed(sandbox):
    path = sandbox / "outputs/screening/final.csv"
    path.write_bytes(path.read_bytes() + b"my own row\r\n")
    code, err = run(sandbox, "clean")
    assert code == 0, err
    assert path.exists() and "final.csv" in err


def test_clean_never_follows_a_link_out_of_the_outputs_tree(sandbox):
    outside = sandbox.parent / "neighbour" / "site"
    outside.mkdir()
    report = sandbox / "outputs/report"
    for name in ("index.html", "prisma.svg"):
        shutil.copy(report / name, outside / name)
    shutil.rmtree(report)
    report.symlink_to(outside, target_is_directory=True)
    before = digest(outside)
    code, err = run(sandbox, "clean")
    assert code == 0, err
    assert digest(outside) == before


def test_clean_then_review_reproduces_the_outputs(sandbox):
    before = {k: v for k, v in people(sandbox).items() if not k.endswith(("index.html", ".json.lock"))}
    assert run(sandbox, "clean")[0] == 0
    for stage in ("import", "dedup", "screen", "report"):
        code, err = run(sandbox, stage)
        assert code == 0, err
    after = {k: v for k, v in people(sandbox).items() if not k.endswith(("index.html", ".json.lock"))}
    assert {k for k in after if k != "outputs/.pipeline-outputs.json"} == \
        {k for k in before if k != "outputs/.pipeline-outputs.json"}
    assert {k: v for k, v in after.items() if not k.endswith(".pipeline-outputs.json")} == \
        {k: v for k, v in before.items() if not k.endswith(".pipeline-outputs.json")}


def test_clean_never_touches_search_snapshots(sandbox):
    snap = sandbox / "outputs/search/pubmed/2026-01-01T000000Z"
    snap.mkdir(parents=True)
    (snap / "search_log.json").write_text("{}")
    code, err = run(sandbox, "clean")
    assert code == 0, err
    assert (snap / "search_log.json").read_text() == "{}"


def test_clean_on_a_fresh_checkout_removes_nothing(fresh):
    before = digest(fresh)
    code, err = run(fresh, "clean")
    assert code == 0, err
    assert digest(fresh) == before
