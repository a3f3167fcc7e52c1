"""`python -m pipeline search` end to end against the stand-in server, and when it must refuse."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO
from eutils_server import EutilsServer
from fake_clock import FakeClock

from pipeline.cli import main
from pipeline.layout import Layout
from pipeline.search.snapshot import efetch_files, latest, read_log

PROTOCOL = '''
[review]
title = "Test review"

[[sources]]
name = "pubmed"
type = "pubmed"
mindate = "2000"
query = """
("stem cell*"[tiab] OR MSC[tiab])
AND "multiple sclerosis"[mh]
"""

[[sources]]
name = "trials"
type = "pubmed"
query = "cells[tiab]"
'''


@pytest.fixture
def project(tmp_path):
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL)
    return tmp_path


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("NCBI_EMAIL", "tester@example.org")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    monkeypatch.setattr("pipeline.search.clock.SYSTEM_CLOCK", FakeClock())   # rate limit and backoff: never slept
    return monkeypatch


def test_search_writes_a_snapshot_per_source_and_ends_with_a_summary(project, env, capsys):
    with EutilsServer(count=600) as server:
        env.setenv("NCBI_EUTILS_URL", server.url)
        assert main(["search", "--root", str(project), "--batch-size", "400"]) == 0
        since_2000 = [a for a in server.data.articles if a.published.year >= 2000]
    err = capsys.readouterr().err
    layout = Layout.at(project)
    for source in ("pubmed", "trials"):
        folder = latest(layout, source)
        assert folder is not None and efetch_files(folder)
        log = read_log(folder)
        assert f"search: {source}: {log['retrieved']:,} of {log['count_reported']:,} records" in err
        assert f"outputs/search/{source}/{folder.name}" in err
    assert "records fetched" in err                           # the progress bar
    assert read_log(latest(layout, "pubmed"))["retrieved"] == len(since_2000) > 400
    assert len(efetch_files(latest(layout, "pubmed"))) == 2


def test_one_source_can_be_chosen(project, env):
    with EutilsServer(count=5) as server:
        env.setenv("NCBI_EUTILS_URL", server.url)
        assert main(["search", "--root", str(project), "--source", "trials"]) == 0
    assert latest(Layout.at(project), "trials") is not None
    assert latest(Layout.at(project), "pubmed") is None


def test_an_unknown_source_is_named(project, env, capsys):
    assert main(["search", "--root", str(project), "--source", "embase"]) == 1
    assert "no PubMed source named 'embase'; PubMed sources: pubmed, trials" in capsys.readouterr().err


def test_offline_it_fails_with_one_line_and_changes_nothing(project, env, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))              # bound, not listening: like a refused connection to NCBI
        env.setenv("NCBI_EUTILS_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/")
        code = main(["search", "--root", str(project), "--tries", "2", "--backoff", "0.01"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("error: pubmed: einfo at http://127.0.0.1:") and "nothing was changed" in err
    assert len(err.splitlines()) == 1
    assert sorted(p.name for p in project.iterdir()) == ["queries"]


def test_a_refused_request_is_one_line_naming_the_utility(project, env, capsys):
    with EutilsServer(count=5) as server:
        env.setenv("NCBI_EUTILS_URL", server.url)
        server.inject("400", "einfo")
        assert main(["search", "--root", str(project)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: einfo at http://127.0.0.1:") and "refused the request: HTTP 400" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_without_ncbi_email_nothing_is_sent(project, env, capsys):
    env.delenv("NCBI_EMAIL")
    with EutilsServer(count=5) as server:
        env.setenv("NCBI_EUTILS_URL", server.url)
        assert main(["search", "--root", str(project)]) == 1
        assert server.hits() == []
    assert "NCBI_EMAIL is not set" in capsys.readouterr().err


def test_a_bad_query_stops_every_source_before_any_request(project, env, capsys):
    (project / "queries" / "review.toml").write_text(PROTOCOL.replace('OR MSC[tiab])', 'OR MSC[tiab]').replace(
        'query = "cells[tiab]"', 'query = "cells[tittle]"\nmindate = "2020/13"'))
    with EutilsServer(count=5) as server:
        env.setenv("NCBI_EUTILS_URL", server.url)
        assert main(["search", "--root", str(project)]) == 1
        assert server.hits() == []
    err = capsys.readouterr().err
    assert "query of source 'pubmed': line 1, column 1: '(' is never closed" in err
    assert "query of source 'trials': line 1, column 6: unknown PubMed field tag [tittle]" in err
    assert "source 'trials': mindate '2020/13' is not a date" in err


def test_check_only_checks_and_sends_nothing(project, env, capsys):
    env.setenv("NCBI_EUTILS_URL", "http://127.0.0.1:9/")
    assert main(["search", "--root", str(project), "--check"]) == 0
    assert "2 PubMed queries checked; nothing sent" in capsys.readouterr().err
    assert not (project / "outputs").exists()


def test_help_names_the_environment_variables(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = capsys.readouterr().out
    for word in ("NCBI_EMAIL", "NCBI_API_KEY", "NCBI_EUTILS_URL", "--source", "--check", "9,999"):
        assert word in out


def test_the_stand_in_server_runs_from_the_command_line(tmp_path):
    script = REPO / "tests" / "eutils_server.py"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--count", "3"],
                            stdout=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline()
        assert f"7 records at http://127.0.0.1:{port}/" in banner
        code = subprocess.run(
            [sys.executable, "-m", "pipeline", "search", "--root", str(tmp_path), "--protocol",
             str(_protocol(tmp_path))], cwd=REPO, capture_output=True, text=True,
            env={"NCBI_EMAIL": "a@b.c", "NCBI_EUTILS_URL": f"http://127.0.0.1:{port}/", "PATH": "/usr/bin:/bin"})
        assert code.returncode == 0, code.stderr
        assert "search: pubmed: 7 of 7 records" in code.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def _protocol(tmp_path):
    path = tmp_path / "review.toml"
    path.write_text(textwrap.dedent('''
        [[sources]]
        name = "pubmed"
        type = "pubmed"
        query = "cells[tiab]"
    '''))
    return path
