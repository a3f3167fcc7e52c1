"""The HTML report: self-contained, escaped, reproducible, honest about what is pending."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rispy

from pipeline.cli import main
from pipeline.layout import Layout
from pipeline.protocol import load
from pipeline.report.build import build
from tests.fixtures.report.stage_files import HOSTILE_TITLE, PROTOCOL, mid_review, write_stage_files


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1736510400")  # 2025-01-10 12:00 UTC
    layout = write_stage_files(tmp_path / "outputs")
    build(layout, load(PROTOCOL, root=tmp_path))
    return layout


def test_record_text_is_escaped_in_the_page_and_the_diagram(report: Layout) -> None:
    page = (report.report / "index.html").read_text()
    assert "<script" not in page and "<img" not in page
    assert "MSCs &lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x" in page
    assert HOSTILE_TITLE not in page


def test_page_is_self_contained(report: Layout) -> None:
    page = (report.report / "index.html").read_text()
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"<[^>]*\bsrc\s*=|@import|@font-face", page, re.I)
    assert re.findall(r"url\(([^)]*)\)", page) == ["#prisma-arrow"] * page.count("marker-end")
    assert "Content-Security-Policy" in page and "@media print" in page and 'name="viewport"' in page


def test_sections_carry_the_protocol_and_each_stage(report: Layout) -> None:
    page = (report.report / "index.html").read_text()
    for text in ["Test review: MSCs for MS", "Do MSCs slow disability progression", "Test fixture, not a live search.",
                 "Query as translated by PubMed", "&#34;multiple sclerosis&#34;[MeSH Terms]", "ab" * 32,
                 "not searched yet", "borderline pairs awaiting review", "0.72 (0.41 to 1.00)",
                 "example decisions", "https://pubmed.ncbi.nlm.nih.gov/1/", "https://doi.org/10.1000/msc.1",
                 "https://pmc.ncbi.nlm.nih.gov/articles/PMC111/", "Retracted", "Erratum", "class=\"year-chart\""]:
        assert text in page, text


def test_generation_time_appears_once_and_comes_from_source_date_epoch(report: Layout) -> None:
    page = (report.report / "index.html").read_text()
    assert page.count("2025-01-10 12:00 UTC") == 1
    assert not re.search(r"20\d\d-\d\d-\d\d", (report.report / "prisma.svg").read_text())


def test_rerun_on_unchanged_inputs_changes_no_file(report: Layout, tmp_path: Path) -> None:
    again = build(report, load(PROTOCOL, root=tmp_path))
    assert again.changed == ()


def test_mid_review_diagram_says_pending_not_zero(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs", mid_review())
    build(layout, load(PROTOCOL, root=tmp_path))
    svg = (layout.report / "prisma.svg").read_text()
    sought = " ".join(re.findall(r'<tspan data-count="dbr.sought">([^<]*)</tspan>', svg))
    assert " ".join(sought.split()) == "(n = pending: 2 awaiting title/abstract decisions; 5 so far)"
    assert "Review in progress" in (layout.report / "index.html").read_text()


def test_included_exports_are_readable_and_formula_safe(report: Layout) -> None:
    entries = rispy.loads((report.report / "included.ris").read_text())
    assert [e["id"] for e in entries] == ["pubmed:1", "pubmed:5", "websites:w1"]
    assert entries[0]["doi"] == "10.1000/msc.1"
    table = (report.report / "included.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in table and ",=HYPERLINK" not in table and '"=HYPERLINK' not in table


def test_cli_reports_an_inconsistency_as_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    layout.dedup_summary.write_text(layout.dedup_summary.read_text().replace('"studies": 11', '"studies": 12'))
    code = main(["report", "--root", str(tmp_path), "--protocol", str(PROTOCOL)])
    assert code == 1
    assert "dedup summary.json studies = 12, but studies in clusters.parquet = 11" in capsys.readouterr().err
    assert not (layout.report / "index.html").exists()


def test_other_methods_column_is_drawn_only_when_the_protocol_has_such_sources(tmp_path: Path) -> None:
    from fixtures.report.stage_files import COMPLETE, SOURCES

    studies = [s for s in COMPLETE if all(m[0] != "websites" for m in s["members"])]
    layout = write_stage_files(tmp_path / "outputs", studies, [s for s in SOURCES if s.kind != "other"])
    build(layout, load(PROTOCOL, root=tmp_path))
    svg = (layout.report / "prisma.svg").read_text()
    assert "databases and registers" in svg and "other methods" not in svg
    assert 'data-count="other.' not in svg and 'data-count="dbr.screened"' in svg
