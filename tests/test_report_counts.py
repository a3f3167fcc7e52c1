"""PRISMA 2020 counts: computed per column from the stage files, identities checked, pending shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import InputError, PipelineError
from pipeline.report import inputs
from pipeline.report.counts import Count, PrismaCounts, compute
from tests.fixtures.report.stage_files import COMPLETE, SOURCES, mid_review, write_stage_files


def counts_for(outputs: Path) -> PrismaCounts:
    from pipeline.layout import Layout

    files = inputs.load(Layout.at(outputs.parent, outputs))
    return compute(files.sources, files.records, files.clusters, files.final, files.dedup_summary,
                   files.screening_summary)


def test_databases_and_registers_column_counts_every_box(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs")
    dbr = counts_for(tmp_path / "outputs").dbr
    assert [(g.name, g.n) for g in dbr.groups] == [("Databases", 8), ("Registers", 2)]
    assert (dbr.identified, dbr.duplicates, dbr.automation, dbr.removed_other, dbr.screened) == (10, 2, 1, 0, 7)
    assert (dbr.records_excluded, dbr.sought, dbr.not_retrieved) == (Count(2), Count(5), Count(1))
    assert (dbr.assessed, dbr.reports_excluded, dbr.included) == (Count(4), Count(2), Count(2))
    assert sorted(dbr.reasons) == [("Wrong outcomes", 1), ("Wrong study design (review, editorial, protocol only)", 1)]


def test_a_study_found_only_via_other_methods_belongs_to_the_other_column(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs")
    other = counts_for(tmp_path / "outputs").other
    assert other is not None and [(g.name, g.n) for g in other.groups] == [("Websites", 4)]
    # websites:w3 merged into a PubMed study: a duplicate in the other column, screened in the other one
    assert (other.identified, other.duplicates, other.screened) == (4, 1, 3)
    assert (other.records_excluded, other.sought, other.assessed, other.included) == (Count(1), Count(2), Count(2), Count(1))


def test_studies_included_add_up_over_both_columns(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs")
    counts = counts_for(tmp_path / "outputs")
    assert counts.studies_included == Count(3) and counts.reports_included == Count(3) and counts.complete


def test_without_other_method_sources_there_is_no_other_column(tmp_path: Path) -> None:
    studies = [s for s in COMPLETE if all(m[0] != "websites" for m in s["members"])]
    write_stage_files(tmp_path / "outputs", studies, [s for s in SOURCES if s.kind != "other"])
    counts = counts_for(tmp_path / "outputs")
    assert counts.other is None and counts.columns == (counts.dbr,)


def test_a_source_not_searched_yet_is_shown_as_such_not_as_zero(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs")
    expected = counts_for(tmp_path / "outputs").expected()
    assert expected["dbr.database.embase"].text() == "not searched yet"
    assert expected["dbr.database.pubmed"].text() == "n = 6"


def test_mid_review_boxes_show_pending_with_what_they_wait_for(tmp_path: Path) -> None:
    write_stage_files(tmp_path / "outputs", mid_review())
    counts = counts_for(tmp_path / "outputs")
    assert counts.dbr.screened == 7  # known before any decision
    assert counts.dbr.sought.text() == "n = pending: 2 awaiting title/abstract decisions; 5 so far"
    assert counts.dbr.assessed == Count(3, awaiting_ta=2, awaiting_ft=1)
    assert counts.other.sought.text() == "n = pending: 1 awaiting title/abstract decision; 2 so far"
    assert counts.studies_included.pending and not counts.complete


def test_sources_json_disagreeing_with_the_records_raises_naming_the_numbers(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    data = json.loads(layout.records_sources.read_text())
    data["sources"][0]["records"] = 9  # pubmed really has 6 records
    layout.records_sources.write_text(json.dumps(data))
    with pytest.raises(PipelineError) as caught:
        counts_for(tmp_path / "outputs")
    message = str(caught.value)
    assert "records screened (databases and registers) = 7, but records identified (13) - duplicates (2)" in message
    assert "= 10" in message
    assert "source 'pubmed': sources.json says 9 records, records.parquet holds 6" in message


def test_a_study_reaching_full_text_without_title_abstract_include_breaks_the_sought_identity(tmp_path: Path) -> None:
    studies = [dict(s) for s in COMPLETE]
    studies[4].update(ft="include")  # pmc:a2 was excluded at title/abstract, yet has a full-text decision
    write_stage_files(tmp_path / "outputs", studies)
    with pytest.raises(PipelineError, match=r"reports sought for retrieval \(databases and registers\) = 6, "
                                            r"but records screened \(7\) - records excluded \(2\) = 5"):
        counts_for(tmp_path / "outputs")


def test_screening_summary_disagreeing_with_final_csv_raises(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    summary_path = layout.screening / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["stages"]["full_text"]["included"] = 4
    summary_path.write_text(json.dumps(summary))
    with pytest.raises(PipelineError, match=r"full_text.included = 4, but reports of included studies = 3"):
        counts_for(tmp_path / "outputs")


def test_dedup_summary_disagreeing_with_clusters_raises(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    summary = json.loads(layout.dedup_summary.read_text())
    summary["duplicates_removed"]["fuzzy"] += 1
    layout.dedup_summary.write_text(json.dumps(summary))
    with pytest.raises(PipelineError, match=r"duplicates_removed \(sum\) = 4, but duplicate records in the diagram = 3"):
        counts_for(tmp_path / "outputs")


def test_unknown_decision_in_final_csv_names_file_row_and_column(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    final = layout.screening / "final.csv"
    final.write_text(final.read_text(encoding="utf-8-sig").replace("not_retrieved", "lost"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        counts_for(tmp_path / "outputs")
    assert "final.csv, row 5, column 'full_text': unknown value 'lost'" in str(caught.value)


def test_missing_stage_files_name_the_command_to_run(tmp_path: Path) -> None:
    layout = write_stage_files(tmp_path / "outputs")
    (layout.screening / "final.csv").unlink()
    with pytest.raises(PipelineError, match=r"final.csv \(run `python -m pipeline screen` first\)"):
        counts_for(tmp_path / "outputs")
