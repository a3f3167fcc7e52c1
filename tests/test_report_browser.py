"""The report in real headless Chromium: loads clean, sends nothing out, shows the computed numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.protocol import load
from pipeline.report import browser
from pipeline.report.build import build
from pipeline.report.counts import Count, DatabaseCount, SourceCount
from tests.fixtures.report.stage_files import PROTOCOL, mid_review, write_stage_files


def built(tmp_path: Path, studies=None):
    layout = write_stage_files(tmp_path / "outputs", *([studies] if studies else []))
    return build(layout, load(PROTOCOL, root=tmp_path)), layout


def test_rendered_counts_are_parsed_back_into_numbers() -> None:
    assert browser.parse("(n = 1,234)") == browser.Reading(1234)
    assert browser.parse("(n = pending: 12 awaiting title/abstract decisions; 3 awaiting full-text "
                         "decisions; 30 so far)") == browser.Reading(30, 12, 3)
    assert browser.parse("(not searched yet)") == browser.Reading(not_searched=True)
    assert browser.parse("(n = 1,300; 2 sources not searched yet)") == browser.Reading(1300, not_searched=True)
    assert browser.parse("(n = )") is None


def test_compare_names_a_number_the_page_shows_wrongly() -> None:
    embase = DatabaseCount("embase", "Embase", "Databases", (SourceCount("embase", "Embase", "Databases", None),))
    expected = {"dbr.screened": Count(7), "dbr.database.embase": embase}
    assert browser.compare(expected, {"dbr.screened": "(n = 7)", "dbr.database.embase": "(not searched yet)"}) == []
    problems = browser.compare(expected, {"dbr.screened": "(n = 8)", "extra": "(n = 1)"})
    assert problems == ["dbr.screened: the page shows '(n = 8)', the counts say 'n = 7'",
                        "dbr.database.embase: not in the rendered diagram",
                        "extra: shown in the diagram but not computed"]


def test_compare_tells_a_partly_searched_database_from_a_complete_one() -> None:
    slices = (SourceCount("s1", "Scopus", "Databases", 300), SourceCount("s2", "Scopus", "Databases", None))
    expected = {"dbr.database.scopus": DatabaseCount("scopus", "Scopus", "Databases", slices)}
    assert browser.compare(expected, {"dbr.database.scopus": "(n = 300; 1 source not searched yet)"}) == []
    assert browser.compare(expected, {"dbr.database.scopus": "(n = 300)"}) != []


@pytest.mark.browser
def test_report_loads_clean_and_every_diagram_number_reads_back(tmp_path: Path, chromium: Path) -> None:
    report, layout = built(tmp_path)
    shot = layout.report / "screenshot.png"
    result = browser.check(report.index, report.counts.expected(), shot)
    assert result.problems == []
    assert result.numbers_checked == len(report.counts.expected()) > 25
    assert shot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.browser
def test_mid_review_pending_boxes_read_back(tmp_path: Path, chromium: Path) -> None:
    report, _ = built(tmp_path, mid_review())
    result = browser.check(report.index, report.counts.expected())
    assert result.problems == [] and report.counts.dbr.sought.pending


@pytest.mark.browser
def test_check_catches_a_wrong_number_and_a_refused_resource(tmp_path: Path, chromium: Path) -> None:
    report, _ = built(tmp_path)
    page = report.index.read_text()
    tampered = page.replace('<tspan data-count="dbr.screened">(n = 7)</tspan>',
                            '<tspan data-count="dbr.screened">(n = 70)</tspan>')
    tampered = tampered.replace("</main>", '<img src="https://example.org/pixel.png" alt=""></main>')
    assert tampered.count("(n = 70)") == 1
    report.index.write_text(tampered)
    result = browser.check(report.index, report.counts.expected())
    assert any("dbr.screened" in m and "(n = 70)" in m for m in result.mismatches)
    # the page's Content-Security-Policy refuses the image before any request, and says so
    assert any("Content Security Policy" in e for e in result.console_errors)
    assert not result.ok


@pytest.mark.browser
def test_check_blocks_and_lists_requests_leaving_the_file(tmp_path: Path, chromium: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><title>t</title><img src="https://example.org/pixel.png" alt="">')
    result = browser.check(page, {})
    assert result.outside_requests == ["https://example.org/pixel.png"] * 2  # desktop and phone width
