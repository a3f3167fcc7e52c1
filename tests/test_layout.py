"""Layout: every path in one place, each marked people's or generated; clean and .gitignore agree with it."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from pipeline import manifest
from pipeline.files import write_text_atomic
from pipeline.housekeeping import clean, regenerable
from pipeline.layout import GITIGNORE, OUTPUTS, Layout, Owner

REPO = Path(__file__).resolve().parents[1]


def _ignored(relative: str) -> bool:
    proc = subprocess.run(["git", "check-ignore", "--no-index", "-q", relative], cwd=REPO)
    assert proc.returncode in (0, 1), proc
    return proc.returncode == 0


@pytest.mark.parametrize("entry", OUTPUTS, ids=lambda e: e.pattern)
def test_gitignore_ignores_exactly_what_layout_does_not_mark_as_peoples(entry) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    path = f"outputs/{entry.example()}"
    assert _ignored(path) == (entry.owner != Owner.PEOPLE), f"{path} is {entry.owner}"


@pytest.mark.parametrize("relative, owner", [
    ("search/pubmed/2026-01-01T000000Z/efetch-00001.xml.gz", Owner.PEOPLE),
    ("search/pubmed/.partial-2026-01-01T000000Z/state.json", Owner.IN_PROGRESS),
    ("screening/title_abstract/alice.csv", Owner.PEOPLE),
    ("screening/full_text/resolutions.csv", Owner.PEOPLE),
    ("screening/full_text/conflicts.csv", Owner.GENERATED),
    ("screening/automation_overrides.csv", Owner.PEOPLE),
    ("dedup/decisions.csv", Owner.PEOPLE),
    ("dedup/studies.parquet", Owner.GENERATED),
    ("report/index.html", Owner.GENERATED),
    ("screening/title_abstract/.alice.csv.lock", Owner.RUNTIME),
    ("dedup/.decisions.csv.lock", Owner.RUNTIME),
    ("app/tokens.json", Owner.RUNTIME),
    ("extraction/alice.csv", Owner.PEOPLE),
    ("extraction/same_study.csv", Owner.PEOPLE),
    ("extraction/resolutions.csv", Owner.PEOPLE),
    ("extraction/final.csv", Owner.GENERATED),
    ("extraction/studies.csv", Owner.GENERATED),
    ("notes-by-a-person.txt", None),
])
def test_each_file_under_outputs_has_the_owner_a_reviewer_expects(tmp_path: Path, relative: str, owner) -> None:
    layout = Layout.at(tmp_path)
    assert layout.owner(layout.outputs / relative) == owner


def test_every_path_layout_spells_is_described_by_an_entry(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    paths = [layout.records, layout.records_sources, layout.clusters, layout.studies, layout.pairs_to_review,
             layout.dedup_decisions, layout.dedup_summary, layout.sheet("title_abstract", "alice"),
             layout.resolutions("full_text"), layout.conflicts("full_text"), layout.automation_overrides,
             layout.automation, layout.final, layout.screening_summary, layout.orphans, layout.report_index,
             layout.prisma_svg, layout.prisma_csv, layout.screenshot, layout.bench / "parse.md",
             layout.extraction_sheet("alice"), layout.extraction_resolutions, layout.same_study, layout.study_links,
             layout.discrepancies, layout.extraction_final, layout.extraction_summary, layout.extraction_csv,
             layout.app_tokens, layout.app_server_lock, layout.lock(layout.sheet("full_text", "bob"))]
    assert [p for p in paths if layout.owner(p) is None] == []


def test_clean_removes_generated_files_only_and_leaves_files_it_does_not_know(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    written = [layout.sheet("title_abstract", "alice"), layout.dedup_decisions,
               layout.search_source("pubmed") / "2026-01-01T000000Z" / "search_log.json"]
    strangers = [layout.outputs / "my notes.txt", layout.report / "my figure.svg"]
    gone = [layout.final, layout.studies, layout.conflicts("title_abstract"), layout.report_index]
    for path in written + gone:          # as the pipeline writes them (so its manifest lists them)
        write_text_atomic(path, "x")
    for path in strangers:               # as a person does
        path.write_text("mine")
    assert set(regenerable(layout)) == set(gone)
    assert sorted(clean(layout).removed) == sorted(gone)
    assert all(p.exists() for p in written + strangers) and not any(p.exists() for p in gone)


def test_clean_on_a_project_without_outputs_removes_nothing(tmp_path: Path) -> None:
    assert clean(Layout.at(tmp_path), explicit=False).removed == []


def test_the_manifest_lists_generated_files_with_their_hash_and_never_peoples_files(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    sheet, final = layout.sheet("title_abstract", "alice"), layout.final
    write_text_atomic(sheet, "record_id,decision\nr1,include\n")      # the first write: the marker appears
    assert manifest.read(layout.outputs) == {}
    write_text_atomic(final, "study_id\ns1\n")
    write_text_atomic(sheet, "record_id,decision\nr1,exclude\n")
    assert manifest.read(layout.outputs) == {
        layout.relative(final).removeprefix("outputs/"): hashlib.sha256(b"study_id\ns1\n").hexdigest()}


def test_the_shipped_outputs_gitignore_is_the_one_layout_writes() -> None:
    assert (REPO / "outputs" / ".gitignore").read_text(encoding="utf-8") == GITIGNORE


@pytest.mark.parametrize("entry", OUTPUTS, ids=lambda e: e.pattern)
def test_a_new_outputs_folder_gets_a_gitignore_that_keeps_peoples_files_only(tmp_path: Path, entry) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    layout = Layout.at(tmp_path, tmp_path / "out2")
    write_text_atomic(layout.final, "study_id\n")                 # the first write makes the tree
    assert (layout.outputs / ".gitignore").read_text(encoding="utf-8") == GITIGNORE
    path = f"out2/{entry.example()}"
    proc = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=tmp_path)
    assert (proc.returncode == 0) == (entry.owner != Owner.PEOPLE), f"{path} is {entry.owner}"


def test_a_gitignore_a_person_put_in_a_new_outputs_folder_is_kept(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path, tmp_path / "out3")
    layout.outputs.mkdir()
    (layout.outputs / ".gitignore").write_text("mine\n", encoding="utf-8")
    write_text_atomic(layout.final, "study_id\n")
    assert (layout.outputs / ".gitignore").read_text(encoding="utf-8") == "mine\n"
    assert manifest.is_outputs_tree(layout.outputs)
