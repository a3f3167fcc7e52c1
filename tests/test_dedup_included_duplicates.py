"""Possible duplicates among included studies: found, not re-flagged once settled, and settled by the printed row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.contracts import DedupDecision
from pipeline.dedup import decisions as person
from pipeline.dedup import leftovers
from pipeline.dedup import stage as dedup_stage
from pipeline.layout import Layout
from pipeline.screen import engine
from tests.dedup_helpers import frame, record
from tests.fixtures.screen.project import decide, rows, write_people_file, write_protocol

MSC_TITLE = "Mesenchymal stem cells in relapsing multiple sclerosis: a randomised phase 2 trial"


def included(*studies: tuple[str, list[str]]) -> pl.DataFrame:
    """Included studies as `report.exports.included` gives them: study_id, member_ids, title."""
    return pl.DataFrame({"study_id": [s for s, _ in studies], "member_ids": [m for _, m in studies],
                         "title": [f"Title of {s}" for s, _ in studies]},
                        schema={"study_id": pl.Utf8, "member_ids": pl.List(pl.Utf8), "title": pl.Utf8})


def decided(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame([{"record_id_a": a, "record_id_b": b, "decision": d, "reviewer": "", "notes": "", "row": n}
                         for n, (a, b, d) in enumerate(rows, start=2)], schema=person.SCHEMA)


def pairs_of(found: pl.DataFrame) -> list[tuple[str, str, str]]:
    return list(found.select("study_id_a", "study_id_b", "reason").iter_rows())


def test_a_doi_written_with_another_case_and_a_url_prefix_is_shared() -> None:
    records = frame(record("pubmed:1", doi="10.1000/MS.2020.7"), record("ris:a", title="Another title",
                                                                        doi="https://doi.org/10.1000/ms.2020.7"))
    found = leftovers.find(included(("pubmed:1", ["pubmed:1"]), ("ris:a", ["ris:a"])), records)
    assert pairs_of(found) == [("pubmed:1", "ris:a", "same DOI 10.1000/ms.2020.7")]


def test_a_shared_pmid_on_a_member_record_flags_the_two_studies() -> None:
    records = frame(record("ris:a", title="First work", pmid=None), record("ris:b", title="Second work", pmid=None),
                    record("medline:9", title="First work, again", pmid="31234567"),
                    record("pubmed:31234567", title="Second work", pmid="31234567"))
    found = leftovers.find(included(("ris:a", ["ris:a", "medline:9"]), ("ris:b", ["ris:b", "pubmed:31234567"])),
                           records)
    assert pairs_of(found) == [("ris:a", "ris:b", "same PMID 31234567")]
    assert found.select("record_id_a", "record_id_b").row(0) == ("medline:9", "pubmed:31234567")


def test_same_normalised_title_year_and_journal_is_flagged() -> None:
    records = frame(record("ris:a", title="MSCs in MS: a trial.", journal="Mult. Scler. J.", year=2020, doi=None),
                    record("csv:b", title="<i>MSCs</i> in MS - A TRIAL", journal="mult scler j", year=2020, doi=None))
    found = leftovers.find(included(("csv:b", ["csv:b"]), ("ris:a", ["ris:a"])), records)
    assert pairs_of(found) == [("csv:b", "ris:a", "same title, year and journal")]


@pytest.mark.parametrize("other", [
    {"title": MSC_TITLE.replace("phase 2", "phase 3")},          # near but not equal title
    {"title": MSC_TITLE + ": two-year follow-up"},               # one title extends the other
    {"year": 2021},                                              # same title, another year
    {"journal": "Journal of Neuroimmunology"},                   # same title, another journal
    {"journal": None, "journal_abbrev": None},                   # journal missing on one side
])
def test_near_citations_without_a_shared_identifier_are_not_flagged(other: dict) -> None:
    records = frame(record("ris:a", title=MSC_TITLE, journal="Mult Scler", year=2020, doi=None),
                    record("ris:b", **{"title": MSC_TITLE, "journal": "Mult Scler", "year": 2020, "doi": None, **other}))
    assert leftovers.find(included(("ris:a", ["ris:a"]), ("ris:b", ["ris:b"])), records).height == 0


def test_a_pair_a_person_marked_not_duplicate_is_not_flagged_again() -> None:
    records = frame(record("ris:a", doi="10.1000/x"), record("ris:a2", title="Copy", doi=None),
                    record("ris:b", title="Other", doi="10.1000/x"), record("ris:c", title="Third", doi="10.1000/x"))
    studies = included(("ris:a", ["ris:a", "ris:a2"]), ("ris:b", ["ris:b"]), ("ris:c", ["ris:c"]))
    settled = decided(("ris:b", "ris:a2", "not_duplicate"), ("ris:c", "ris:zz", "duplicate"))
    assert [p[:2] for p in pairs_of(leftovers.find(studies, records, settled))] == [("ris:a", "ris:c"), ("ris:b", "ris:c")]


def test_only_included_studies_are_compared_and_reasons_are_listed_together() -> None:
    records = frame(record("pubmed:1", doi="10.1000/x", pmid="1"), record("ris:b", title="Other", doi="10.1000/X", pmid="1"),
                    record("ris:excluded", title="Third", doi="10.1000/x"))
    found = leftovers.find(included(("pubmed:1", ["pubmed:1"]), ("ris:b", ["ris:b"])), records)
    assert pairs_of(found) == [("pubmed:1", "ris:b", "same DOI 10.1000/x; same PMID 1")]


def test_the_settlement_row_follows_the_files_header_order_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_text("Notes;Decision;my column;Record ID B;Record ID A\r\n", encoding="utf-8")
    header = ["notes", "decision", "", "record_id_b", "record_id_a"]
    line = leftovers.settlement("ris:=a;1", "pubmed:2", DedupDecision.NOT_DUPLICATE, header, ";")
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(line + "\r\n")
    back = person.read(path, {"ris:=a;1", "pubmed:2"})
    assert back.select("record_id_a", "record_id_b", "decision").row(0) == ("ris:=a;1", "pubmed:2", "not_duplicate")


# End to end: dedup leaves two included records apart (same DOI, titles clearly differ), status flags
# them, the printed row settles them.

def _project(root: Path) -> Layout:
    layout = Layout.at(root)
    layout.records.parent.mkdir(parents=True)
    frame(record("pubmed:1", title=MSC_TITLE, doi="10.1000/ms.2020.1"),
          record("ris:a", title="Abstracts of the 2020 congress \x1b[31mred\x1b[0m \x1b]0;pwned\x07",
                 doi="https://doi.org/10.1000/MS.2020.1", authors=["Other P"], pages="S1-S400"),
          record("ris:b", title="Umbilical cord cells in progressive disease", doi="10.1000/ms.2020.2",
                 authors=["Lee K"], pages="10-19")).write_parquet(layout.records)
    write_people_file(layout.dedup_decisions, list(person.COLUMNS), [["pubmed:1", "ris:b", "not_duplicate", "carol", "kept"]])
    protocol = write_protocol(root, ta=("alice",), ft=("alice",))
    dedup_stage.run(layout)
    for stage in ("title_abstract", "full_text"):
        engine.run(layout, protocol)
        decide(layout.sheet(stage, "alice"), {r["record_id"]: "include" for r in rows(layout.sheet(stage, "alice"))})
    engine.run(layout, protocol)
    return layout


def _status(layout: Layout, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["status", "--root", str(layout.root)]) == 0
    return capsys.readouterr().out


def _settlement(out: str, label: str) -> str:
    return next(line.strip().removeprefix(label).strip() for line in out.splitlines() if line.strip().startswith(label))


def test_status_shows_the_pair_escaped_with_both_settlement_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _status(_project(tmp_path), capsys)
    assert "Possible duplicates among included studies: 1 pair." in out
    assert "pubmed:1 (Mesenchymal stem cells" in out and "ris:a (Abstracts of the 2020 congress" in out
    assert "same DOI 10.1000/ms.2020.1" in out and "\x1b" not in out and "\x07" not in out
    assert _settlement(out, "merge:").startswith("pubmed:1,ris:a,duplicate,")
    assert _settlement(out, "keep apart:").startswith("pubmed:1,ris:a,not_duplicate,")


def test_status_does_not_call_the_review_done_while_a_pair_is_unsettled(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = _status(_project(tmp_path), capsys)
    assert "Next: Screening is complete, but possible duplicates among the included studies are not settled" in out
    assert out.rstrip().endswith("then run `make review`.")


@pytest.mark.parametrize(("label", "together"), [("merge:", True), ("keep apart:", False)])
def test_the_printed_row_settles_the_pair_and_keeps_every_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   label: str, together: bool) -> None:
    layout = _project(tmp_path)
    line = _settlement(_status(layout, capsys), label)
    before = layout.dedup_decisions.read_bytes()
    with open(layout.dedup_decisions, "ab") as fh:
        fh.write(line.encode("utf-8") + b"\r\n")
    assert main(["dedup", "--root", str(tmp_path)]) == 0 and main(["screen", "--root", str(tmp_path)]) == 0
    out = _status(layout, capsys)
    assert "Possible duplicates among included studies" not in out
    studies = dict(pl.read_parquet(layout.clusters).select("record_id", "study_id").iter_rows())
    assert (studies["pubmed:1"] == studies["ris:a"]) is together and studies["pubmed:1"] != studies["ris:b"]
    assert layout.dedup_decisions.read_bytes().startswith(before)
    kept = list(csv.DictReader(io.StringIO(layout.dedup_decisions.read_text(encoding="utf-8-sig"))))
    assert [(r["record_id_a"], r["record_id_b"], r["reviewer"]) for r in kept] == [("pubmed:1", "ris:b", "carol"),
                                                                                 ("pubmed:1", "ris:a", "")]
    for stage in ("title_abstract", "full_text"):
        assert {r["record_id"]: r["decision"] for r in rows(layout.sheet(stage, "alice"))} == dict.fromkeys(
            ["pubmed:1", "ris:a", "ris:b"], "include")
    final = {r["study_id"]: r["full_text"] for r in rows(layout.final)}
    assert set(final.values()) == {"include"} and len(final) == (2 if together else 3)
