"""Live searches under faults: concurrent runs, stale locks, tampered snapshots, hostile server text, bad options."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pipeline.layout import Layout
from pipeline.search import snapshot
from tests.eutils_server import EutilsServer
from tests.faults.helpers import REPO, assert_clear_error, digest, people, run, run_process

PROTOCOL = '''
[review]
title = "Search faults"

[[sources]]
name = "pubmed"
type = "pubmed"
query = "cells[tiab]"
'''


@pytest.fixture
def searchable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL, encoding="utf-8")
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    return tmp_path


def snapshots(root: Path) -> list[Path]:
    folder = root / "outputs" / "search" / "pubmed"
    return sorted(p for p in folder.iterdir() if snapshot.STAMP_RE.match(p.name)) if folder.is_dir() else []


def test_a_second_search_of_a_source_while_one_runs_is_refused(searchable, monkeypatch):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pipeline.layout import Layout
            from pipeline.search.snapshot import source_lock
            with source_lock(Layout.at({str(searchable)!r}), "pubmed"):
                print("locked", flush=True)
                time.sleep(60)
        """)], cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        with EutilsServer(count=50) as server:
            monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
            code, err = run(searchable, "search")
            assert not server.hits(), "nothing may be sent while another search of the source runs"
        assert_clear_error(code, err, "another search", "'pubmed'", f"pid {holder.pid}")
        assert snapshots(searchable) == []
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_search_is_taken_over(searchable, monkeypatch):
    folder = searchable / "outputs" / "search" / "pubmed"
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / snapshot.LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": "x", "since": "then"}))
    with EutilsServer(count=50) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search")
    assert code == 0, err
    assert len(snapshots(searchable)) == 1
    assert not (folder / snapshot.LOCK_NAME).exists()


def test_a_search_killed_mid_run_and_rerun_gives_one_complete_snapshot(searchable):
    with EutilsServer(count=1500) as server:
        env = {"NCBI_EUTILS_URL": server.url, "NCBI_EMAIL": "t@example.org"}
        proc = subprocess.Popen([sys.executable, "-m", "pipeline", "search", "--batch-size", "100", "--root",
                                 str(searchable)], cwd=searchable, env={**os.environ, "PYTHONPATH": str(REPO), **env},
                                stderr=subprocess.DEVNULL)
        partial_dir = searchable / "outputs" / "search" / "pubmed"
        for _ in range(400):
            if any(partial_dir.glob(".partial-*/efetch-00003.xml.gz")):
                break
            assert proc.poll() is None, "the search ended before it could be killed"
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        assert snapshots(searchable) == []
        code, err = run_process(searchable, "search", "--batch-size", "100", env=env)
    assert code == 0, err
    [done] = snapshots(searchable)
    log = snapshot.read_log(done)
    assert log["retrieved"] == log["count_reported"] == len(server.data.articles)


def test_import_refuses_a_snapshot_missing_a_batch_file(searchable, monkeypatch):
    done = _searched(searchable, monkeypatch)
    (done / "efetch-00002.xml.gz").unlink()
    before = people(searchable)
    code, err = run(searchable, "import")
    assert_clear_error(code, err, "efetch-00002.xml.gz", "missing")
    assert people(searchable) == before
    assert not (searchable / "outputs" / "records").exists()


def test_import_refuses_a_snapshot_with_a_changed_batch_file(searchable, monkeypatch):
    done = _searched(searchable, monkeypatch)
    path = done / "efetch-00001.xml.gz"
    xml = gzip.decompress(path.read_bytes())
    end = xml.index(b"</PubmedArticle>") + len(b"</PubmedArticle>")
    path.write_bytes(gzip.compress(xml[:xml.index(b"<PubmedArticle>")] + xml[end:]))
    code, err = run(searchable, "import")
    assert_clear_error(code, err, "efetch-00001.xml.gz", "SHA-256")


def test_import_refuses_a_snapshot_with_an_extra_batch_file(searchable, monkeypatch):
    done = _searched(searchable, monkeypatch)
    (done / "efetch-00099.xml.gz").write_bytes((done / "efetch-00001.xml.gz").read_bytes())
    code, err = run(searchable, "import")
    assert_clear_error(code, err, "efetch-00099.xml.gz", "not listed")


def test_a_batch_changed_before_the_snapshot_is_finished_leaves_it_unfinished(searchable, monkeypatch):
    real = snapshot.Partial.finish

    def tamper(self, log):
        first = self.folder / self.batches[0]["file"]
        first.write_bytes(gzip.compress(b"<PubmedArticleSet></PubmedArticleSet>"))
        return real(self, log)

    monkeypatch.setattr(snapshot.Partial, "finish", tamper)
    with EutilsServer(count=300) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search", "--batch-size", "100")
    assert code == 1 and "Traceback" not in err, err
    assert "efetch-00001.xml.gz" in err and snapshots(searchable) == []


def test_markup_and_emoji_in_an_eutilities_warning_are_printed_literally_once(searchable, monkeypatch):
    with EutilsServer(count=20) as server:
        original = server.esearch

        def esearch(params):
            body = original(params)
            return body.replace(b"</eSearchResult>", b"<WarningList><OutputMessage>No items found [/tiab] [bold]:smile:"
                                b"</OutputMessage></WarningList></eSearchResult>")

        server.esearch = esearch  # type: ignore[method-assign]
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search")
    assert code == 0, err
    assert "No items found [/tiab] [bold]:smile:" in err and "😄" not in err
    assert len(snapshots(searchable)) == 1


@pytest.mark.parametrize("option", [["--timeout", "-1"], ["--timeout", "0"], ["--timeout", "nan"],
                                    ["--backoff", "-1"], ["--backoff", "inf"], ["--tries", "0"],
                                    ["--batch-size", "0"], ["--batch-size", "20000"]])
def test_a_bad_search_option_is_a_usage_error_before_anything_is_sent(searchable, monkeypatch, option):
    with EutilsServer(count=20) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search", *option)
        assert not server.hits()
    assert_clear_error(code, err, option[0], exit_code=2)
    assert not (searchable / "outputs").exists()


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/", "ftp://127.0.0.1/", "http:///nohost"])
def test_a_malformed_eutils_url_is_one_clear_line(searchable, url):
    code, err = run_process(searchable, "search", env={"NCBI_EUTILS_URL": url, "NCBI_EMAIL": "t@example.org"})
    assert_clear_error(code, err, "NCBI_EUTILS_URL")
    assert len(err.strip().splitlines()) == 1
    assert not (searchable / "outputs").exists()


def test_a_source_name_cannot_put_a_snapshot_outside_the_project(searchable, monkeypatch):
    path = searchable / "queries" / "review.toml"
    path.write_text(PROTOCOL.replace('name = "pubmed"', 'name = "../../../../ESCAPED"'), encoding="utf-8")
    with EutilsServer(count=20) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search")
        assert not server.hits()
    assert_clear_error(code, err, "sources[1].name")
    assert digest(searchable) == {"queries/review.toml": digest(searchable)["queries/review.toml"]}


def _searched(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    with EutilsServer(count=250) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(root, "search", "--batch-size", "100")
    assert code == 0, err
    [done] = snapshots(root)
    assert len(snapshot.efetch_files(done)) >= 3
    assert Layout.at(root).search.is_dir()
    return done


def test_a_lock_file_that_is_a_link_is_never_followed(searchable, monkeypatch):
    folder = searchable / "outputs" / "search" / "pubmed"
    folder.mkdir(parents=True)
    protocol = searchable / "queries" / "review.toml"
    before = protocol.read_bytes()
    (folder / snapshot.LOCK_NAME).symlink_to(protocol)
    with EutilsServer(count=20) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search")
        assert not server.hits()
    assert_clear_error(code, err, ".lock")
    assert protocol.read_bytes() == before


def test_a_partial_snapshot_whose_state_points_outside_is_not_resumed(searchable, monkeypatch):
    partial = searchable / "outputs" / "search" / "pubmed" / ".partial-2026-01-01T000000Z"
    partial.mkdir(parents=True)
    (partial / "state.json").write_text(json.dumps({"identity": {}, "runs": [], "counters": {},
                                                    "batches": [{"file": "../../../../queries/review.toml"}]}))
    with EutilsServer(count=20) as server:
        monkeypatch.setenv("NCBI_EUTILS_URL", server.url)
        code, err = run(searchable, "search")
    assert code == 0, err
    assert (searchable / "queries" / "review.toml").read_text(encoding="utf-8") == PROTOCOL
    assert len(snapshots(searchable)) == 1
