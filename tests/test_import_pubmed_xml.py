"""`format = "pubmed-xml"` import sources, and DeleteCitation / UpdateIn through the whole review:
files saved from PubMed and NLM baseline files import, deletions are counted and never identified."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from eutils_server import EutilsServer

from pipeline.cli import main
from pipeline.layout import Layout
from pipeline.report.build import study_view
from pipeline.report.exports import ris_entries

PROTOCOL = '''
[review]
title = "PubMed XML test"

[[sources]]
name = "saved"
type = "import"
format = "pubmed-xml"
database = "PubMed (file)"
path = "queries/imports/pubmed_update.xml"
searched = "2026-01-05"

[[sources]]
name = "baseline"
type = "import"
format = "pubmed-xml"
database = "MEDLINE baseline"
path = "queries/imports/medline_baseline.xml.gz"

[screening.title_abstract]
reviewers = ["alice"]
'''

SEARCH_PROTOCOL = '''
[review]
title = "PubMed search with a deletion"

[[sources]]
name = "pubmed"
type = "pubmed"
query = "mesenchymal[tiab]"

[screening.title_abstract]
reviewers = ["alice"]
'''


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    imports = tmp_path / "queries" / "imports"
    imports.mkdir(parents=True)
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL, encoding="utf-8")
    shutil.copy(fixtures / "pubmed_xml" / "update_file.xml", imports / "pubmed_update.xml")
    baseline = (fixtures / "pubmed_xml" / "medline_baseline.xml").read_bytes()
    (imports / "medline_baseline.xml.gz").write_bytes(gzip.compress(baseline, mtime=0))
    return tmp_path


def sources(layout: Layout) -> dict[str, dict]:
    return {s["name"]: s for s in json.loads(layout.records_sources.read_text(encoding="utf-8"))["sources"]}


def records(layout: Layout, source: str) -> pl.DataFrame:
    return pl.read_parquet(layout.records).filter(pl.col("source") == source)


def test_a_saved_pubmed_xml_file_imports_without_its_deleted_citations(project: Path) -> None:
    assert main(["import", "--root", str(project)]) == 0
    layout = Layout.at(project)
    saved = records(layout, "saved")
    assert saved["record_id"].to_list() == ["saved:38000001"]
    assert saved["title"].to_list() == ["Revised version of the first citation."]   # the later citation of a PMID
    info = sources(layout)["saved"]
    assert (info["format"], info["rows_read"], info["records"], info["deleted"]) == ("pubmed-xml", 3, 1, 1)
    assert any("more than once" in w for w in info["warnings"])


def test_a_gzipped_medline_baseline_file_imports(project: Path) -> None:
    assert main(["import", "--root", str(project)]) == 0
    layout = Layout.at(project)
    baseline = records(layout, "baseline")
    assert baseline["pmid"].to_list() == ["27100001", "27100002"]
    assert baseline["doi"].to_list()[0] == "10.1177/1352458516000001"
    info = sources(layout)["baseline"]
    assert (info["records"], info["deleted"], info["sha256"] is not None) == (2, 1, True)


def test_the_review_runs_through_and_the_report_shows_the_deletions(project: Path) -> None:
    for stage in ("import", "dedup", "screen", "report"):     # the report checks every PRISMA identity
        assert main([stage, "--root", str(project)]) == 0, stage
    layout = Layout.at(project)
    svg = (layout.report / "prisma.svg").read_text(encoding="utf-8")
    assert 'data-count="dbr.database.pubmed-file"> (n = 1)' in svg
    assert 'data-count="dbr.database.medline-baseline"> (n = 2)' in svg
    html = (layout.report / "index.html").read_text(encoding="utf-8")
    assert html.count("deleted by NLM") == 2


def test_other_formats_have_no_deleted_count(project: Path, fixtures: Path) -> None:
    shutil.copy(fixtures / "imports" / "embase.ris", project / "queries" / "imports" / "embase.ris")
    protocol = project / "queries" / "review.toml"
    protocol.write_text(protocol.read_text(encoding="utf-8") + '''
[[sources]]
name = "embase"
type = "import"
format = "ris"
database = "Embase"
path = "queries/imports/embase.ris"
''', encoding="utf-8")
    assert main(["import", "--root", str(project)]) == 0
    assert sources(Layout.at(project))["embase"]["deleted"] is None


def test_a_pubmed_xml_file_declared_as_another_format_names_pubmed_xml(project: Path, capsys) -> None:
    protocol = project / "queries" / "review.toml"
    protocol.write_text(protocol.read_text(encoding="utf-8").replace('format = "pubmed-xml"', 'format = "ris"', 1),
                        encoding="utf-8")
    assert main(["import", "--root", str(project)]) != 0
    assert 'set format = "pubmed-xml"' in capsys.readouterr().err


def test_a_search_snapshot_with_a_deletion_keeps_every_prisma_identity(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(SEARCH_PROTOCOL, encoding="utf-8")
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    with EutilsServer(count=6) as server:
        server.deleted = (server.data.articles[0].pmid,)
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        assert main(["search", "--root", str(tmp_path), "--backoff", "0.01"]) == 0
    for stage in ("import", "dedup", "screen", "report"):
        assert main([stage, "--root", str(tmp_path)]) == 0, stage
    layout = Layout.at(tmp_path)
    info = sources(layout)["pubmed"]
    assert info["deleted"] == 1 and info["records"] == info["retrieved"] - 1 == records(layout, "pubmed").height
    svg = (layout.report / "prisma.svg").read_text(encoding="utf-8")
    assert f'data-count="dbr.database.pubmed"> (n = {info["records"]})' in svg


def test_updates_are_shown_with_the_study_and_in_its_ris_note() -> None:
    row = {"study_id": "s:1", "title": "A review", "updated_in": ["37000031"], "authors": [], "member_ids": []}
    assert "Updated in PMID 37000031" in study_view(row)["flags"]
    entry = ris_entries(pl.DataFrame([{"study_id": "s:1", "authors": ["A B"], "updated_in": ["37000031"]}]))[0]
    assert "Updated in PMID 37000031" in entry["notes"]
