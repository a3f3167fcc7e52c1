"""The report with extraction: studies vs reports, characteristics tables, the evidence map, the exports."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.extract.outputs import FINAL_FIXED, STUDIES_HEADER
from pipeline.protocol import load
from pipeline.report import browser, evidence_map
from pipeline.report.build import build
from pipeline.textio import write_csv_atomic
from tests.fixtures.report.stage_files import COMPLETE, PROTOCOL, write_stage_files

REPO = Path(__file__).resolve().parents[1]
SHIPPED = (REPO / "queries" / "review.toml").read_text(encoding="utf-8")
FORM_TEXT = SHIPPED[SHIPPED.index("[extraction]"):]
# The fixture includes three reports: pubmed:1, pubmed:5 and websites:w1; pubmed:5 is linked to pubmed:1.
STUDIES = COMPLETE
FIELDS = ["study_design", "phase", "population", "cell_product", "origin", "route", "n_treated", "n_control",
          "comparator", "follow_up_months", "outcomes", "registration", "safety_summary", "efficacy_summary"]
HOSTILE = '<img src=x onerror="alert(1)">'


def project(tmp_path: Path, *, linked: bool = True, extracted: bool = True):
    layout = write_stage_files(tmp_path / "outputs", STUDIES)
    protocol_path = tmp_path / "queries" / "review.toml"
    protocol_path.parent.mkdir(parents=True, exist_ok=True)
    protocol_path.write_text(PROTOCOL.read_text(encoding="utf-8") + "\n" + FORM_TEXT, encoding="utf-8")
    out = layout.outputs / "extraction"
    if linked:
        write_csv_atomic(out / "studies.csv", STUDIES_HEADER, [["pubmed:1", "pubmed:1", ""],
                                                               ["pubmed:5", "pubmed:1", "person (with pubmed:1)"],
                                                               ["websites:w1", "websites:w1", ""]])
        human = {"study_design": "RCT", "phase": "II", "population": "SPMS", "cell_product": "BM-MSC",
                 "route": "intravenous", "n_treated": "69", "outcomes": "EDSS; MRI", "safety_summary": HOSTILE}
        animal = {"study_design": "animal EAE", "population": "EAE model", "cell_product": "UC-MSC",
                  "route": "intraperitoneal"}
        rows = [["pubmed:1", "pubmed:1; pubmed:5", 2, "complete", "alice", "false", *(human.get(f, "") for f in FIELDS)],
                ["websites:w1", "websites:w1", 1, "complete" if extracted else "not started", "alice" if extracted else "",
                 "false", *((animal if extracted else {}).get(f, "") for f in FIELDS)]]
        write_csv_atomic(out / "final.csv", FINAL_FIXED + FIELDS, rows)
    return layout, load(protocol_path, root=tmp_path)


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_linked_reports_make_fewer_studies_than_reports(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path)
    report = build(layout, protocol)
    assert (report.counts.studies_included.n, report.counts.reports_included.n) == (2, 3)
    prisma = {r["data"]: r["n"] for r in _csv(layout.report / "prisma.csv")}
    assert (prisma["total_studies"], prisma["total_reports"]) == ("2", "3")
    html = (layout.report / "index.html").read_text(encoding="utf-8")
    assert "a study is one report" not in html.lower() and "3 included reports make 2 studies" in html


def test_without_the_link_table_each_report_is_a_study_and_the_report_says_so(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, linked=False)
    report = build(layout, protocol)
    assert report.counts.studies_included.n == report.counts.reports_included.n == 3
    assert "not linked yet" in (layout.report / "index.html").read_text(encoding="utf-8")


def test_a_stale_link_table_is_an_error_naming_the_command(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path)
    write_csv_atomic(layout.outputs / "extraction" / "studies.csv", STUDIES_HEADER, [["pubmed:1", "pubmed:1", ""]])
    with pytest.raises(PipelineError, match="python -m pipeline extract"):
        build(layout, protocol)


def test_characteristics_put_human_and_eae_studies_in_separate_tables_with_escaped_text(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path)
    build(layout, protocol)
    html = (layout.report / "index.html").read_text(encoding="utf-8")
    human = html[html.index('class="characteristics human"'):html.index('class="characteristics animal"')]
    animal = html[html.index('class="characteristics animal"'):]
    assert "2 reports: pubmed:1, pubmed:5" in human and "BM-MSC" in human and "UC-MSC" not in human
    assert "UC-MSC" in animal[:animal.index("</table>")]
    assert "<img src=x" not in html


def test_a_study_not_extracted_yet_is_listed_apart_not_guessed(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path, extracted=False)
    build(layout, protocol)
    html = (layout.report / "index.html").read_text(encoding="utf-8")
    assert 'class="characteristics animal"' not in html and "Not extracted yet (1)" in html


def test_included_csv_gains_the_extraction_and_extraction_csv_is_one_row_per_study(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path)
    build(layout, protocol)
    included = {r["study_id"]: r for r in _csv(layout.report / "included.csv")}
    assert included["pubmed:5"]["linked_study_id"] == "pubmed:1" and included["pubmed:5"]["n_treated"] == "69"
    tidy = _csv(layout.report / "extraction.csv")
    assert sorted((r["study_id"], r["group"], r["n_reports"]) for r in tidy) == [("pubmed:1", "human", "2"),
                                                                         ("websites:w1", "animal", "1")]
    assert {r["study_id"]: r["safety_summary"] for r in tidy}["pubmed:1"] == HOSTILE  # CSV keeps the text as written


def test_evidence_map_panels_count_studies_and_participants_with_titles_and_a_table(tmp_path: Path) -> None:
    layout, protocol = project(tmp_path)
    report = build(layout, protocol)
    assert report.map_counts == {"human-studies|BM-MSC|SPMS|RCT": 1, "human-participants|BM-MSC|SPMS|RCT": 69,
                                 "eae-studies|UC-MSC|intraperitoneal|animal EAE": 1}
    html = (layout.report / "index.html").read_text(encoding="utf-8")
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox') >= 3
    assert '<title id="map-human-studies-title">Human studies: number of studies</title>' in html
    assert "<td>1 (RCT)</td>" in html and "<td>69 (RCT)</td>" in html


def test_a_form_without_the_map_fields_gets_no_map(tmp_path: Path) -> None:
    from pipeline.protocol import ExtractionField, ExtractionForm
    form = ExtractionForm(("alice",), (ExtractionField("dose", "number"),))
    assert evidence_map.panels([], form) == [] and not evidence_map.available(form)


def test_the_map_check_notices_a_wrong_or_missing_bubble() -> None:
    problems = browser.compare_map({"a|x|y|RCT": 2, "a|x|z|RCT": 1}, {"a|x|y|RCT": "3", "b|q|r|RCT": "1",
                                                                      "__untitled__:map-a": ""})
    assert any("shows '3'" in p for p in problems) and any("no bubble" in p for p in problems)
    assert any("does not give" in p for p in problems) and any("no title" in p for p in problems)


@pytest.fixture
def chromium() -> Path:
    found = browser.chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing: run `make browser`")
        pytest.skip("Debian's chromium is not installed (make browser)")
    return found


def test_the_evidence_map_reads_back_in_chromium(tmp_path: Path, chromium: Path) -> None:
    layout, protocol = project(tmp_path)
    report = build(layout, protocol)
    result = browser.check(report.index, report.counts.expected(), None, report.map_counts)
    assert result.ok, result.problems
    assert result.map_numbers_checked == 3
