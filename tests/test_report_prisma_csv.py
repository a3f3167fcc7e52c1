"""prisma.csv follows the PRISMA2020 R package / Shiny app template and carries our numbers."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.protocol import load
from pipeline.report.build import build
from tests.fixtures.report.stage_files import PROTOCOL, mid_review, write_stage_files

# Node names of the template (prisma-flowdiagram/PRISMA2020, inst/extdata/PRISMA.csv), in its order.
TEMPLATE_DATA = [
    "NA", "previous_studies", "previous_reports", "NA", "database_results", "database_specific_results",
    "register_results", "register_specific_results", "NA", "website_results", "organisation_results",
    "citations_results", "duplicates", "excluded_automatic", "excluded_other", "records_screened",
    "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports", "other_sought_reports",
    "other_notretrieved_reports", "dbr_assessed", "dbr_excluded", "other_assessed", "other_excluded",
    "new_studies", "new_reports", "total_studies", "total_reports", "identification", "screening", "included",
]


def prisma_rows(tmp_path: Path, studies=None) -> dict[str, dict[str, str]]:
    layout = write_stage_files(tmp_path / "outputs", *([studies] if studies else []))
    build(layout, load(PROTOCOL, root=tmp_path))
    raw = (layout.report / "prisma.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "a BOM would break R's read.csv column names"
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    assert [r["data"] for r in rows] == TEMPLATE_DATA
    return {r["data"]: r for r in rows if r["data"] != "NA"}


def test_header_is_the_template_header(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs")
    build(write_stage_files(tmp_path / "outputs"), load(PROTOCOL, root=tmp_path))
    header = (tmp_path / "outputs" / "report" / "prisma.csv").read_text().splitlines()[0]
    assert header == "data,node,box,description,boxtext,tooltips,url,n"


def test_numbers_fill_the_template_nodes(tmp_path: Path) -> None:
    rows = prisma_rows(tmp_path)
    n = {k: v["n"] for k, v in rows.items()}
    assert (n["database_results"], n["register_results"], n["website_results"]) == ("8", "2", "4")
    assert (n["duplicates"], n["excluded_automatic"], n["excluded_other"]) == ("2", "1", "0")
    assert (n["records_screened"], n["records_excluded"], n["dbr_sought_reports"]) == ("7", "2", "5")
    assert (n["dbr_notretrieved_reports"], n["dbr_assessed"]) == ("1", "4")
    assert (n["other_sought_reports"], n["other_notretrieved_reports"], n["other_assessed"]) == ("2", "0", "2")
    assert (n["new_studies"], n["new_reports"], n["total_studies"]) == ("3", "3", "3")
    assert rows["records_screened"]["node"] == "node9" and rows["dbr_excluded"]["box"] == "box9"


def test_source_and_reason_lists_use_the_template_form_without_stray_commas(tmp_path: Path) -> None:
    rows = prisma_rows(tmp_path)
    assert rows["database_specific_results"]["n"] == "PubMed, 6; PubMed Central, 2"
    assert "not searched yet: Embase" in rows["database_specific_results"]["tooltips"]
    reasons = rows["dbr_excluded"]["n"].split("; ")
    assert sorted(reasons) == ["Wrong outcomes, 1", "Wrong study design (review / editorial / protocol only), 1"]
    assert all(r.count(",") == 1 for r in reasons)


def test_pending_numbers_are_left_empty_and_explained(tmp_path: Path) -> None:
    rows = prisma_rows(tmp_path, mid_review())
    assert rows["records_screened"]["n"] == "7"
    assert rows["dbr_sought_reports"]["n"] == ""
    assert "pending: 2 awaiting title/abstract decisions" in rows["dbr_sought_reports"]["tooltips"]
    assert rows["new_studies"]["n"] == ""
