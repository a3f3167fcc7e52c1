"""The report and `make status` on retractions: flagged included studies block "complete" until acknowledged."""

from __future__ import annotations

from pathlib import Path

import pytest
from crossref_server import CrossrefServer
from fixtures.report.stage_files import PROTOCOL, write_stage_files
from fixtures.screen.project import decide, project, screen, study

from pipeline.check import retractions
from pipeline.cli import main
from pipeline.protocol import load
from pipeline.report.build import build
from pipeline.report.inputs import read_final
from pipeline.search.services import CROSSREF, ServiceSettings

ACK = '''
[[retractions]]
study = "websites:w1"
decision = "keep"
reason = "Retracted over a consent form; the outcome data were re-verified"
'''


def page(layout) -> str:
    return " ".join((layout.report / "index.html").read_text().split())


@pytest.fixture
def complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1736510400")
    return write_stage_files(tmp_path / "outputs"), tmp_path


def checked(layout) -> None:
    import polars as pl

    with CrossrefServer() as server:
        client = retractions.CrossrefClient(ServiceSettings(CROSSREF, server.url, mailto="me@example.org", interval=0.0))
        retractions.take(layout, pl.read_parquet(layout.studies), read_final(layout.screening / "final.csv"), client)


def test_screening_complete_with_an_unacknowledged_retraction_is_not_a_complete_review(complete):
    layout, root = complete
    report = build(layout, load(PROTOCOL, root=root))
    assert report.counts.complete and report.blocking
    text = page(layout)
    assert "Screening complete, but the review is not: websites:w1 is retracted and included" in text
    assert "1 included study has not been checked for retractions: run `make check`" in text
    assert "Not checked in Crossref yet" in text and "blocks completion" in text


def test_after_the_check_and_an_acknowledgment_the_review_is_complete_and_says_when_it_was_checked(complete):
    layout, root = complete
    checked(layout)
    protocol = root / "review.toml"
    protocol.write_text(PROTOCOL.read_text() + ACK)
    report = build(layout, load(protocol, root=root))
    assert report.blocking == ()
    text = page(layout)
    assert "Review complete: every number below is final; included studies checked for retractions on " in text
    assert "keep: Retracted over a consent form" in text


def test_an_acknowledged_exclusion_still_included_keeps_blocking(complete):
    layout, root = complete
    checked(layout)
    protocol = root / "review.toml"
    protocol.write_text(PROTOCOL.read_text() + ACK.replace('"keep"', '"exclude"'))
    report = build(layout, load(protocol, root=root))
    assert report.blocking == ("websites:w1 is acknowledged as excluded ([[retractions]]) but is still included: "
                               "exclude it in the full-text sheets",)


def test_status_names_the_flag_and_what_to_do_once_screening_is_complete(tmp_path: Path, capsys) -> None:
    layout, protocol = project(tmp_path, [study("pubmed:1", retracted=True)], ta=("alice",), ft=("alice",))
    screen(layout, protocol)
    decide(layout.sheet("title_abstract", "alice"), {"pubmed:1": "include"})
    screen(layout, protocol)
    decide(layout.sheet("full_text", "alice"), {"pubmed:1": "include"})
    screen(layout, protocol)
    assert main(["status", "--root", str(layout.root)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Retraction check: never checked; 1 flagged (1 included)." in out
    assert "pubmed:1: retracted [included]; not acknowledged" in out
    assert "Next: Screening is complete, but the review is not: pubmed:1 is retracted and included: acknowledge it" in out
