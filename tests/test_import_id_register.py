"""A record keeps its id across re-imports: changed mapping, changed content, reordered, added and removed rows."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.errors import InputError
from pipeline.imports import id_register
from pipeline.records import conform

HEADER = ["Study Title", "Author list", "Pub year", "Journal", "DOI link", "Summary"]
ROWS = [
    ["Mesenchymal stem cells in EAE", "Smith J; Doe A", "2019", "J Neuroinflammation", "10.1/eae", "Mice."],
    ["Intrathecal MSCs in progressive MS", "Petrou P; Kassis I", "2020", "Mult Scler J", "", "Twenty people."],
    ["Umbilical cord MSCs for RRMS", "Li X; Wang Y", "2021", "Stem Cell Res Ther", "", "A pilot."],
]
PROTOCOL = '''[review]
title = "Test review"

[[sources]]
name = "web"
type = "import"
kind = "other"
format = "csv"
database = "Other websites"
path = "queries/imports/web.csv"
[sources.columns]
title = "Study Title"
authors = "Author list"
year = "Pub year"
doi = "DOI link"
abstract = "Summary"
journal = "Journal"
'''


def write_export(root: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    (root / "queries" / "imports" / "web.csv").write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "queries" / "imports").mkdir(parents=True)
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL, encoding="utf-8")
    write_export(tmp_path, ROWS)
    return tmp_path


def ids(root: Path) -> dict[str, str]:
    """title -> record_id after `python -m pipeline import`."""
    assert main(["import", "--root", str(root)]) == 0
    frame = pl.read_parquet(root / "outputs" / "records" / "records.parquet")
    return dict(frame.select("title", "record_id").iter_rows())


def test_ids_survive_a_removed_mapping_line(project):
    before = ids(project)
    toml = project / "queries" / "review.toml"
    toml.write_text(toml.read_text().replace('abstract = "Summary"\n', ""), encoding="utf-8")
    assert ids(project) == before  # the content hash changed (no abstract), the ids did not


def test_ids_survive_changed_content_reordered_added_and_removed_rows(project):
    before = ids(project)
    edited = [ROWS[2], ["A new record", "New A", "2022", "J", "", ""], [*ROWS[0][:5], "Mice, re-exported abstract."]]
    write_export(project, edited)
    after = ids(project)
    assert after[ROWS[0][0]] == before[ROWS[0][0]]   # by DOI, though its abstract changed
    assert after[ROWS[2][0]] == before[ROWS[2][0]]   # by title, year and first author
    assert after["A new record"] not in before.values()
    register = (project / "outputs" / "records" / "id_register.csv").read_text(encoding="utf-8")
    assert before[ROWS[1][0]] in register             # the removed record's id is kept for when it returns


def test_a_record_that_comes_back_gets_its_old_id(project):
    before = ids(project)
    write_export(project, ROWS[:1])
    ids(project)
    write_export(project, [ROWS[0], [*ROWS[1][:5], "Twenty people, cleaned."], ROWS[2]])
    assert ids(project) == before


def test_the_register_only_grows_and_is_kept_by_clean(project):
    ids(project)
    register = project / "outputs" / "records" / "id_register.csv"
    first = register.read_bytes()
    write_export(project, [*ROWS, ["Another", "Roe B", "2023", "J", "", ""]])
    ids(project)
    assert register.read_bytes().startswith(first)
    assert main(["clean", "--root", str(project)]) == 0
    assert register.exists()


@pytest.mark.parametrize("untitled", [
    [["", "", "", "", "", "A row with only an abstract."]],
    [["", "", "2020", "", "", "Notes."], ["", "", "2020", "", "", "Notes."]],   # two identical untitled rows
    [["", "", "2020", "", "", ""], ["", "Doe A", "", "", "", "Notes."]],
])
def test_rows_with_no_export_id_doi_pmid_or_title_keep_their_ids_on_every_import(project, untitled):
    write_export(project, ROWS + untitled)
    register = project / "outputs" / "records" / "id_register.csv"

    def all_ids() -> list[str]:
        assert main(["import", "--root", str(project)]) == 0
        return sorted(pl.read_parquet(project / "outputs" / "records" / "records.parquet")["record_id"].to_list())

    first = all_ids()
    rows_after_first = register.read_bytes()
    assert all_ids() == first and all_ids() == first
    assert register.read_bytes() == rows_after_first         # nothing new registered: no ~r2, ~r3 ...
    assert len(set(first)) == len(ROWS) + len(untitled)


def test_an_untitled_record_is_found_by_the_id_its_content_gives():
    register = [id_register.Entry("s:h9", "s"), id_register.Entry("s:h9~r2", "s")]
    records = conform(pl.DataFrame({"record_id": ["s:h9", "s:h9", "s:h9"], "source": ["s", "s", "s"]}))
    out, new = id_register.assign(records, register)
    assert out["record_id"].to_list() == ["s:h9", "s:h9~r2", "s:h9~r3"]
    assert [e.record_id for e in new] == ["s:h9~r3"]


def test_two_records_with_different_export_ids_never_share_a_registered_id():
    register = [id_register.Entry("s:A", "s", export_id="A", doi="10.1/x")]
    records = conform(pl.DataFrame({"record_id": ["s:B", "s:A"], "source": ["s", "s"], "source_record_id": ["B", "A"],
                                    "doi": ["10.1/x", "10.1/x"], "title": ["T", "T"]}))
    out, new = id_register.assign(records, register)
    assert out["record_id"].to_list() == ["s:B", "s:A"]
    assert [e.record_id for e in new] == ["s:B"]


def test_one_register_row_is_claimed_by_one_record_only():
    register = [id_register.Entry("s:h1", "s", doi="10.1/x")]
    records = conform(pl.DataFrame({"record_id": ["s:h2", "s:h3"], "source": ["s", "s"], "doi": ["10.1/x", "10.1/x"],
                                    "title": ["T", "T"]}))
    out, _ = id_register.assign(records, register)
    assert out["record_id"].to_list() == ["s:h1", "s:h3"]


def test_an_id_written_twice_in_the_register_is_an_error_naming_the_row(tmp_path):
    path = tmp_path / "id_register.csv"
    path.write_text("record_id,source,export_id\ns:1,s,1\ns:1,s,2\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        id_register.read(path, "id_register.csv")
    assert (err.value.problems[0].row, err.value.problems[0].column) == (3, "record_id")


def test_screening_decisions_stay_attached_after_reimport_with_a_changed_mapping_and_row_order(project):
    toml = project / "queries" / "review.toml"
    toml.write_text(toml.read_text() + '\n[screening.title_abstract]\nreviewers = ["alice"]\n', encoding="utf-8")
    for stage in ("import", "dedup", "screen"):
        assert main([stage, "--root", str(project)]) == 0
    sheet = project / "outputs" / "screening" / "title_abstract" / "alice.csv"
    rows = list(csv.DictReader(io.StringIO(sheet.read_bytes().decode("utf-8-sig"), newline="")))
    for row, word in zip(rows, ("include", "exclude", "maybe")):
        row["decision"] = word
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    sheet.write_bytes(buf.getvalue().encode("utf-8"))
    decided = {r["title"]: r["decision"] for r in rows}

    toml.write_text(toml.read_text().replace('abstract = "Summary"\n', ""), encoding="utf-8")
    write_export(project, [ROWS[2], ROWS[0], ROWS[1]])
    for stage in ("import", "dedup", "screen"):
        assert main([stage, "--root", str(project)]) == 0  # no orphaned decision, no error
    summary = json.loads((project / "outputs" / "screening" / "summary.json").read_text(encoding="utf-8"))
    ta = summary["stages"]["title_abstract"]
    assert (ta["included"], ta["excluded"], ta["reviewers"]["alice"]["screened"]) == (1, 1, 3)
    after = list(csv.DictReader(io.StringIO(sheet.read_bytes().decode("utf-8-sig"), newline="")))
    assert {r["title"]: r["decision"] for r in after} == decided
    assert not any(r["status"].startswith("orphaned") for r in after)
