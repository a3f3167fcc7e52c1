"""The library face: a notebook runs every stage through `pipeline.Review`, and the CLI is one call of it.

The offline review runs through the public API on a temporary copy of the repo; then the CLI runs
the same stages and must change no file (same bytes), and the API itself printed nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline
from pipeline import Review
from pipeline.contracts import SourceState
from tests.eutils_server import EutilsServer
from tests.test_e2e import SHIPPED, _digest, _shipped_people_files, _tracked_code

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the repo's code with the shipped protocol and people's files (as the e2e tests make it)."""
    for base, names in ((REPO, _tracked_code()), (SHIPPED, _shipped_people_files())):
        for name in names:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(base / name, tmp_path / name)
    return tmp_path


def test_the_public_face_is_review_and_layout() -> None:
    assert set(pipeline.__all__) == {"Layout", "Review", "__version__"}
    for stage in ("search", "imports", "dedup", "screen", "report"):
        module = __import__(f"pipeline.{stage}", fromlist=["run"])
        assert "run" in module.__all__ and callable(module.run)


def test_every_offline_stage_runs_through_the_api_silently_and_the_cli_agrees(clone: Path, capfd, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    seen: list[tuple[str, int, int | None]] = []
    review = Review(clone, progress=lambda task, done, total: seen.append((task, done, total)))
    imported = review.import_()
    deduped = review.dedup()
    screened = review.screen()
    reported = review.report()
    assert capfd.readouterr() == ("", "")          # no console output of its own
    assert ("import: sources", len(review.protocol.sources), len(review.protocol.sources)) in seen
    assert imported.records.height == sum(s.records for s in imported.sources) > 0
    assert next(s for s in imported.sources if s.name == "pubmed").status == SourceState.NOT_SEARCHED
    assert deduped.stats.records_in == imported.records.height and deduped.studies.height == deduped.stats.studies
    assert screened.final.height == deduped.studies.height
    assert reported.index == review.layout.report_index and reported.index.is_file()
    assert imported.describe(review.layout).startswith(f"{imported.records.height} records from ")

    before = _digest(clone)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for stage in ("import", "dedup", "screen", "report"):
        proc = subprocess.run([sys.executable, "-m", "pipeline", stage], cwd=clone, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert _digest(clone) == before


def test_a_live_search_runs_through_the_api_and_its_records_are_imported(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(
        '[review]\ntitle = "API"\n[[sources]]\nname = "pubmed"\ntype = "pubmed"\nquery = "cells[tiab]"\n')
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    review = Review(tmp_path)
    with EutilsServer(count=30) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        searched = review.search()
    assert [s.source for s in searched.searched] == ["pubmed"]
    imported = review.import_()
    assert imported.records.height == searched.searched[0].log["retrieved"] > 0
