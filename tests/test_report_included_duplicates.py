"""The report's "Possible duplicates among included studies" section: only when there are any, escaped, narrow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.protocol import load
from pipeline.report import browser
from pipeline.report.build import build
from tests.fixtures.report.stage_files import COMPLETE, HOSTILE_TITLE, PROTOCOL, write_stage_files

SECTION = re.compile(r'<section id="included-duplicates".*?</section>', re.S)


def sharing(doi: str, title: str) -> list[dict]:
    """The complete fixture review with included study websites:w1 given pubmed:1's DOI (another spelling)."""
    studies = [dict(s) for s in COMPLETE]
    w1 = next(i for i, s in enumerate(studies) if s["members"][0][:2] == ("websites", "w1"))
    p1 = next(i for i, s in enumerate(studies) if s["members"][0][:2] == ("pubmed", "1"))
    assert studies[w1]["ft"] == studies[p1]["ft"] == "include"
    studies[p1] = {**studies[p1], "meta": {**studies[p1]["meta"], "doi": doi.lower()}}
    studies[w1] = {**studies[w1], "meta": {**studies[w1]["meta"], "doi": f"https://doi.org/{doi.upper()}", "title": title}}
    return studies


def page(tmp_path: Path, studies: list[dict]) -> tuple[str, Path]:
    layout = write_stage_files(tmp_path / "outputs", studies)
    built = build(layout, load(PROTOCOL, root=tmp_path))
    return built.index.read_text(encoding="utf-8"), built.index


def test_the_section_lists_the_pair_escaped_with_its_settlement_rows(tmp_path: Path) -> None:
    text, _ = page(tmp_path, sharing("10.1000/msc.1", HOSTILE_TITLE))
    section = SECTION.search(text)
    assert section is not None
    body = section.group(0)
    assert "Possible duplicates among included studies" in body and "(1 pair)" in body
    assert "same DOI 10.1000/msc.1" in body and "pubmed:1" in body and "websites:w1" in body
    assert "<script" not in body and "<img" not in body and "MSCs &lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x" in body
    assert "<code>pubmed:1,websites:w1,duplicate,,possible duplicate among included studies</code>" in body
    assert "<code>pubmed:1,websites:w1,not_duplicate,,possible duplicate among included studies</code>" in body
    assert "outputs/dedup/decisions.csv" in body


def test_no_section_when_no_included_studies_share_anything(tmp_path: Path) -> None:
    text, _ = page(tmp_path, COMPLETE)
    assert "included-duplicates" not in text and "Possible duplicates" not in text


@pytest.mark.browser
def test_long_dois_and_titles_wrap_at_phone_width(tmp_path: Path, chromium: Path) -> None:
    doi = "10.1000/" + "UnbrokenSuffix" * 30
    _, index = page(tmp_path, sharing(doi, "Mesenchymal" * 40))
    result = browser.check(index, {})
    assert result.layout_problems == [] and result.console_errors == []
