"""The records stage `python -m pipeline import`: every source -> records.parquet + sources.json."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.files import sha256_file
from pipeline.records import RECORD_SCHEMA

QUERY = '"multiple sclerosis"[tiab] AND "mesenchymal stem cell*"[tiab]'
PROTOCOL = f'''
[review]
title = "Test review"

[[sources]]
name = "pubmed"
type = "pubmed"
query = \'\'\'{QUERY}\'\'\'
mindate = "1990"

[[sources]]
name = "embase"
type = "import"
format = "ris"
database = "Embase"
path = "queries/imports/embase.ris"
searched = "2026-01-05"

[[sources]]
name = "web"
type = "import"
kind = "other"
format = "csv"
database = "Other websites"
path = "queries/imports/generic.csv"
[sources.columns]
id = "Sample ID"
title = "Study Title"
'''


def article(pmid: str, title: str) -> str:
    return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article><Journal><JournalIssue><PubDate>"
            f"<Year>2010</Year></PubDate></JournalIssue><Title>J Test</Title></Journal><ArticleTitle>{title}"
            "</ArticleTitle></Article></MedlineCitation></PubmedArticle>")


def batch(*articles: str) -> bytes:
    return gzip.compress(f"<?xml version='1.0'?><PubmedArticleSet>{''.join(articles)}</PubmedArticleSet>".encode(), mtime=0)


@pytest.fixture
def project(tmp_path: Path, fixtures: Path) -> Path:
    """A project folder: the protocol above and two import files; no PubMed snapshot yet."""
    imports = tmp_path / "queries" / "imports"
    imports.mkdir(parents=True)
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL, encoding="utf-8")
    shutil.copy(fixtures / "imports" / "embase.ris", imports / "embase.ris")
    shutil.copy(fixtures / "imports" / "generic.csv", imports / "generic.csv")
    return tmp_path


def add_snapshot(root: Path, stamp: str = "2026-01-01T000000Z", query: str = QUERY) -> Path:
    """A hand-built complete snapshot: two efetch batches that overlap by one PMID."""
    folder = root / "outputs" / "search" / "pubmed" / stamp
    folder.mkdir(parents=True)
    (folder / "efetch-00001.xml.gz").write_bytes(batch(article("111", "First <i>trial</i>"), article("222", "Second")))
    (folder / "efetch-00002.xml.gz").write_bytes(batch(article("222", "Second"), article("333", "Third")))
    log = {"source": "pubmed", "database": "PubMed", "platform": "NCBI E-utilities", "query": query,
           "query_translation": "multiple sclerosis[tiab] AND ...", "mindate": "1990", "maxdate": None,
           "datetype": "pdat", "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:09Z",
           "count_reported": 3, "retrieved": 3, "warnings": [], "status": "complete"}
    (folder / "search_log.json").write_text(json.dumps(log), encoding="utf-8")
    return folder


def run(root: Path) -> int:
    return main(["import", "--root", str(root)])


def sources(root: Path) -> dict[str, dict]:
    data = json.loads((root / "outputs" / "records" / "sources.json").read_text(encoding="utf-8"))
    return {s["name"]: s for s in data["sources"]}


def records(root: Path) -> pl.DataFrame:
    return pl.read_parquet(root / "outputs" / "records" / "records.parquet")


def test_every_source_lands_in_one_records_table_sorted_by_source_and_id(project):
    add_snapshot(project)
    assert run(project) == 0
    table = records(project)
    assert table.schema == pl.Schema(RECORD_SCHEMA)
    assert table.select("source", "record_id").rows() == sorted(table.select("source", "record_id").rows())
    assert table.group_by("source").len().sort("source").rows() == [("embase", 2), ("pubmed", 3), ("web", 3)]
    assert table.filter(pl.col("source") == "pubmed")["source_file"].to_list() == [
        "outputs/search/pubmed/2026-01-01T000000Z/efetch-00001.xml.gz",
        "outputs/search/pubmed/2026-01-01T000000Z/efetch-00001.xml.gz",
        "outputs/search/pubmed/2026-01-01T000000Z/efetch-00002.xml.gz",
    ]


def test_pmids_repeated_across_batches_are_kept_once_with_a_warning(project):
    add_snapshot(project)
    run(project)
    assert records(project).filter(pl.col("source") == "pubmed")["record_id"].to_list() == ["pubmed:111", "pubmed:222", "pubmed:333"]
    assert any("repeated PMID" in w for w in sources(project)["pubmed"]["warnings"])


def test_sources_json_says_where_each_sources_records_came_from(project):
    add_snapshot(project)
    run(project)
    info = sources(project)
    assert list(info) == ["pubmed", "embase", "web"]  # protocol order
    pubmed = info["pubmed"]
    assert (pubmed["type"], pubmed["kind"], pubmed["status"], pubmed["records"]) == ("pubmed", "database", "ok", 3)
    assert pubmed["snapshot"] == "outputs/search/pubmed/2026-01-01T000000Z"
    assert (pubmed["date"], pubmed["count_reported"], pubmed["retrieved"], pubmed["mindate"]) == ("2026-01-01T00:00:09Z", 3, 3, "1990")
    embase = info["embase"]
    assert (embase["type"], embase["format"], embase["file"]) == ("import", "ris", "queries/imports/embase.ris")
    assert embase["sha256"] == sha256_file(project / "queries" / "imports" / "embase.ris")
    assert (embase["encoding"], embase["searched"], embase["rows_read"], embase["records"]) == ("utf-8", "2026-01-05", 2, 2)
    assert info["web"]["kind"] == "other"


def test_newest_snapshot_is_used(project):
    add_snapshot(project, "2025-06-01T000000Z")
    newer = add_snapshot(project, "2026-02-01T120000Z")
    (newer / "efetch-00002.xml.gz").unlink()
    run(project)
    assert sources(project)["pubmed"]["snapshot"] == "outputs/search/pubmed/2026-02-01T120000Z"
    assert records(project).filter(pl.col("source") == "pubmed").height == 2


def test_a_pubmed_search_never_run_is_not_searched_yet_and_not_an_error(project, capsys):
    assert run(project) == 0
    pubmed = sources(project)["pubmed"]
    assert (pubmed["status"], pubmed["records"], pubmed["snapshot"]) == ("not searched yet", 0, None)
    assert "make search" in pubmed["warnings"][0]
    assert records(project).height == 5
    assert "not searched yet" in capsys.readouterr().err


def test_a_changed_query_since_the_snapshot_is_a_warning(project):
    add_snapshot(project, query='"multiple sclerosis"[tiab]')
    run(project)
    assert any("query has changed" in w for w in sources(project)["pubmed"]["warnings"])


def test_rerun_with_unchanged_inputs_changes_no_file(project, capsys):
    add_snapshot(project)
    run(project)
    outputs = [project / "outputs" / "records" / name for name in ("records.parquet", "sources.json")]
    before = [(p.read_bytes(), p.stat().st_mtime_ns) for p in outputs]
    capsys.readouterr()
    assert run(project) == 0
    assert [(p.read_bytes(), p.stat().st_mtime_ns) for p in outputs] == before
    assert "(unchanged)" in capsys.readouterr().err


def test_summary_line_gives_records_per_source_and_where_they_went(project, capsys):
    add_snapshot(project)
    run(project)
    err = " ".join(capsys.readouterr().err.split())
    assert "import: 8 records from 3 sources (pubmed 3, embase 2, web 3) -> outputs/records/records.parquet" in err


def test_bad_files_are_all_reported_and_nothing_is_written(project, capsys):
    add_snapshot(project)
    run(project)
    outputs = [project / "outputs" / "records" / name for name in ("records.parquet", "sources.json")]
    before = [p.read_bytes() for p in outputs]
    (project / "queries" / "imports" / "embase.ris").write_text("TY  - JOUR\nTI  - ok\nER  - \nstray text\n")
    (project / "queries" / "imports" / "generic.csv").write_text('Sample ID,Study Title\n1,"open quote\n')
    capsys.readouterr()
    assert run(project) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "queries/imports/embase.ris, row 4" in err
    assert "queries/imports/generic.csv" in err and "malformed CSV" in err
    assert [p.read_bytes() for p in outputs] == before


def test_a_missing_import_file_is_an_error_naming_it(project, capsys):
    (project / "queries" / "imports" / "generic.csv").unlink()
    assert run(project) == 1
    assert "queries/imports/generic.csv: import file not found" in capsys.readouterr().err
    assert not (project / "outputs" / "records").exists()


def test_the_repos_own_protocol_builds_offline(tmp_path):
    """The demo protocol and import files the repo ships import without errors, before any search."""
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "queries", tmp_path / "queries")
    assert run(tmp_path) == 0
    info = sources(tmp_path)
    table = records(tmp_path)
    for name, source in info.items():
        assert source["records"] == table.filter(pl.col("source") == name).height
        if source["type"] == "import":
            assert (source["status"], source["records"]) == ("ok", source["rows_read"])
    assert table["record_id"].is_unique().all()


def test_the_protocols_encoding_is_used_and_recorded(project):
    toml = project / "queries" / "review.toml"
    toml.write_text(toml.read_text().replace('searched = "2026-01-05"', 'searched = "2026-01-05"\nencoding = "cp1252"'))
    ris = project / "queries" / "imports" / "embase.ris"
    ris.write_bytes(ris.read_text(encoding="utf-8").replace("Lotfi", "L\u00f6tfi").encode("cp1252"))
    assert run(project) == 0
    embase = sources(project)["embase"]
    assert (embase["encoding"], embase["warnings"]) == ("cp1252", [])
    authors = records(project).filter(pl.col("record_id") == "embase:2005123456")["authors"].to_list()[0]
    assert "L\u00f6tfi, J." in authors


def test_benchmark_layout_is_read_by_its_own_reader(project):
    toml = project / "queries" / "review.toml"
    (project / "queries" / "imports" / "bench.csv").write_text(
        "ID,ENTRYTYPE,author,year,title,journal,volume,number,pages,doi\n"
        "7,article,\"Smith, J. and Doe, A.\",2010,MSCs in MS,J Neurol,1,2,3-4,10.1001/XYZ\n")
    toml.write_text(toml.read_text() + '\n[[sources]]\nname = "bench"\ntype = "import"\nformat = "benchmark-csv"\n'
                    'database = "Benchmark"\npath = "queries/imports/bench.csv"\n')
    assert run(project) == 0
    row = records(project).filter(pl.col("source") == "bench").to_dicts()
    assert [(r["record_id"], r["doi"], r["source_file"]) for r in row] == [("bench:7", "10.1001/xyz", "queries/imports/bench.csv")]
    assert (sources(project)["bench"]["rows_read"], sources(project)["bench"]["records"]) == (1, 1)


def test_benchmark_layout_follows_the_shared_decoding_and_delimiter_rules(project):
    toml = project / "queries" / "review.toml"
    (project / "queries" / "imports" / "bench.csv").write_bytes(
        "ID;ENTRYTYPE;author;year;title;journal\r\n8;article;M\u00fcller, J.;2011;Caf\u00e9 MSCs;J Neurol\r\n".encode("cp1252"))
    toml.write_text(toml.read_text() + '\n[[sources]]\nname = "bench"\ntype = "import"\nformat = "benchmark-csv"\n'
                    'database = "Benchmark"\npath = "queries/imports/bench.csv"\n')
    assert run(project) == 0
    row = records(project).filter(pl.col("source") == "bench").to_dicts()
    assert [(r["record_id"], r["title"], r["authors"]) for r in row] == [("bench:8", "Caf\u00e9 MSCs", ["M\u00fcller, J."])]
    bench = sources(project)["bench"]
    assert bench["encoding"] == "cp1252" and len(bench["warnings"]) == 1 and "Windows-1252" in bench["warnings"][0]
