"""Extraction sheets keep every value a person wrote, append new studies, and refuse bad values clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.contracts import ExtractionSummary
from pipeline.errors import InputError
from tests.fixtures.extract.project import extract, fill, project, report, rows, write_stage_files


@pytest.fixture
def two(tmp_path: Path):
    reports = [report("pubmed:1", title="Intrathecal bone marrow MSCs in progressive MS: an open-label study"),
               report("pubmed:2", full_text="exclude"), report("pubmed:3", title="Adipose MSCs in EAE mice")]
    layout, protocol = project(tmp_path, reports)
    extract(layout, protocol)
    return layout, protocol, tmp_path / "outputs" / "extraction" / "alice.csv", reports


def test_sheet_has_one_row_per_study_included_at_full_text(two) -> None:
    _, _, sheet, _ = two
    assert [r["study_id"] for r in rows(sheet)] == ["pubmed:1", "pubmed:3"]


def test_suggestions_go_to_their_own_columns_never_the_reviewers(two) -> None:
    _, _, sheet, _ = two
    first = rows(sheet)[0]
    assert first["suggested_route"] == "intrathecal" and first["suggested_cell_product"] == "BM-MSC"
    assert first["route"] == "" and first["cell_product"] == ""
    assert "suggested_safety_summary" not in first  # text fields get no suggestion


def test_a_persons_cells_survive_reruns_and_new_studies_are_appended(two, tmp_path: Path) -> None:
    layout, protocol, sheet, reports = two
    fill(sheet, {"pubmed:3": {"route": "Intraperitoneal", "notes": "checked table 1", "my column": "x"}})
    write_stage_files(layout, [*reports, report("pubmed:0")])
    extract(layout, protocol)
    got = rows(sheet)
    assert [r["study_id"] for r in got] == ["pubmed:1", "pubmed:3", "pubmed:0"]
    assert got[1]["route"] == "Intraperitoneal" and got[1]["notes"] == "checked table 1" and got[1]["my column"] == "x"


def test_a_value_outside_the_allowed_list_names_file_row_column_and_the_allowed_values(two) -> None:
    layout, protocol, sheet, _ = two
    fill(sheet, {"pubmed:3": {"route": "oral"}})
    before = sheet.read_bytes()
    with pytest.raises(InputError) as err:
        extract(layout, protocol)
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (str(sheet), 3, "route")
    assert "1 = intrathecal; 2 = intravenous; 3 = intraperitoneal" in problem.message
    assert sheet.read_bytes() == before  # nothing written


def test_every_bad_cell_is_reported_at_once(two) -> None:
    layout, protocol, sheet, _ = two
    fill(sheet, {"pubmed:1": {"n_treated": "ten", "follow_up_months": "a year"},
                 "pubmed:3": {"registration": "see paper", "outcomes": "EDSS; survival"}})
    with pytest.raises(InputError) as err:
        extract(layout, protocol)
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "n_treated"), (2, "follow_up_months"),
                                                               (3, "registration"), (3, "outcomes")}


def test_a_typed_unknown_study_id_is_an_error(two) -> None:
    layout, protocol, sheet, _ = two
    with open(sheet, "a", encoding="utf-8", newline="") as fh:
        fh.write("pubmed:99,,RCT\r\n")
    with pytest.raises(InputError, match="unknown study id 'pubmed:99'"):
        extract(layout, protocol)


def test_values_are_written_canonically_in_final_csv(two) -> None:
    layout, protocol, sheet, _ = two
    fill(sheet, {"pubmed:1": {"study_design": "2", "outcomes": "mri, edss", "n_treated": "1,200",
                              "follow_up_months": "1,5", "registration": "nct01234567; EudraCT 2008-004015-35"}})
    extract(layout, protocol)
    final = {r["study_id"]: r for r in rows(layout.outputs / "extraction" / "final.csv")}
    one = final["pubmed:1"]
    assert (one["study_design"], one["outcomes"], one["n_treated"], one["follow_up_months"]) == \
        ("single-arm trial", "EDSS; MRI", "1200", "1.5")
    assert one["status"] == "complete" and final["pubmed:3"]["status"] == "not started"


def test_a_study_excluded_later_keeps_its_row_flagged_and_uncounted(two) -> None:
    layout, protocol, sheet, reports = two
    fill(sheet, {"pubmed:3": {"route": "intravenous"}})
    reports[2]["full_text"] = "exclude"
    write_stage_files(layout, reports)
    result = extract(layout, protocol)
    row = next(r for r in rows(sheet) if r["study_id"] == "pubmed:3")
    assert row["route"] == "intravenous" and "not included at full text" in row["status"]
    assert result.final["study_id"].to_list() == ["pubmed:1"]


def test_rerun_on_unchanged_inputs_writes_nothing(two) -> None:
    layout, protocol, _, _ = two
    from pipeline.extract import engine
    assert engine.run(layout, protocol).changed == []


def test_status_names_the_next_extraction_step(two) -> None:
    from pipeline.extract.status import next_step
    layout, protocol, sheet, _ = two
    assert next_step(layout, protocol, 3).startswith("Run `make extract`")  # a report more than extracted
    assert next_step(layout, protocol, 2) == \
        "Extract: alice has 2 to extract in outputs/extraction/alice.csv. Then run `make extract`."
    fill(sheet, {"pubmed:1": {"route": "intrathecal"}, "pubmed:3": {"route": "intravenous"}})
    extract(layout, protocol)
    assert next_step(layout, protocol, 2) == "Extraction is complete: 2 studies from 2 reports. Run `make report`."


def test_summary_json_reads_back_as_the_typed_summary_it_was_written_from(two) -> None:
    layout, protocol, sheet, _ = two
    fill(sheet, {"pubmed:1": {"route": "intrathecal"}})
    result = extract(layout, protocol)
    text = json.loads(layout.extraction_summary.read_text(encoding="utf-8"))
    summary = ExtractionSummary.from_json(text)
    assert summary == result.stats and summary.to_json() == text and list(summary.to_json()) == list(text)
    assert (summary.studies, summary.reports, summary.reviewers["alice"].extracted, summary.pending) == (2, 2, 1, 1)


@pytest.mark.parametrize("damage", ["{not json", "{}", '{"studies": 2}'])
def test_status_asks_for_make_extract_when_summary_json_is_not_as_extract_writes_it(two, damage) -> None:
    from pipeline.extract.status import next_step
    layout, protocol, _, _ = two
    layout.extraction_summary.write_text(damage, encoding="utf-8")
    assert next_step(layout, protocol, 2).startswith("Run `make extract`")


def test_clean_keeps_the_extraction_sheets_and_people_files(two) -> None:
    from pipeline.housekeeping import regenerable
    layout, _, _, _ = two
    gone = {p.name for p in regenerable(layout) if p.parent.name == "extraction"}
    assert gone == {"final.csv", "discrepancies.csv", "studies.csv", "summary.json"}


def test_formula_like_cells_are_guarded_on_write_and_read_back_as_typed(two) -> None:
    layout, protocol, sheet, _ = two
    fill(sheet, {"pubmed:1": {"safety_summary": "=HYPERLINK(\"http://x\",\"y\")"}})
    extract(layout, protocol)
    assert "'=HYPERLINK" in sheet.read_bytes().decode("utf-8-sig")
    final = {r["study_id"]: r for r in rows(layout.outputs / "extraction" / "final.csv")}
    assert final["pubmed:1"]["safety_summary"] == "'=HYPERLINK(\"http://x\",\"y\")"  # guarded again in final.csv
    from pipeline.extract.outputs import read_final
    assert read_final(layout.outputs / "extraction" / "final.csv")["safety_summary"].to_list()[0].startswith("=HYPERLINK")


def test_a_semicolon_resave_is_read_and_keeps_its_delimiter(two) -> None:
    layout, protocol, sheet, _ = two
    sheet.write_bytes("study_id;route;notes\r\npubmed:1;intravenous;Excel (DE)\r\npubmed:3;;\r\n".encode("cp1252"))
    extract(layout, protocol)
    text = sheet.read_bytes().decode("utf-8-sig")
    assert text.startswith("study_id;route;notes;") and "pubmed:1;intravenous;Excel (DE);" in text
