"""The scale generator: deterministic, exact size, and a ground truth in the benchmark layout."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from benchmarks.dedup_metrics import read_record_ids, read_truth
from benchmarks.generate import (
    COLUMNS,
    abbreviate_journal,
    export_quirk,
    lookalikes,
    reformat_pages,
    split_authors,
    write_dataset,
)

REAL = [
    ("r1", "Cardioprotection by ACE inhibitors in acute myocardial ischemia", "Przyklenk K.Kloner R. A.",
     "Basic Res Cardiol", "1993", "88", "139-54", "10.1007/bf001"),
    ("r2", "Cardioprotection by ACE-inhibitors in acute myocardial ischemia", "Przyklenk, K and Kloner, R A",
     "Basic Research in Cardiology", "1993", "88", "139-154", ""),
    ("r3", "Stem cell therapy for progressive multiple sclerosis: a pilot trial", "Smith J.Doe A. B.",
     "Mult Scler", "2015", "21", "12-19", "10.1177/135"),
    ("r4", "Remote ischaemic preconditioning in cardiac surgery patients", "Lee, H and Park, S",
     "Journal of Thoracic and Cardiovascular Surgery", "2012", "143", "700-708", ""),
    ("r5", "Liquid based cytology versus conventional smears in cervical screening", "Jones P.",
     "Cytopathology", "2009", "20", "5-11", "10.1111/cyt.1"),
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A one-dataset benchmark folder: five real-looking records, r1 and r2 the same work."""
    folder = tmp_path / "source" / "tiny"
    folder.mkdir(parents=True)
    with open(folder / "records_pre_merged.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "title", "author", "journal", "year", "volume", "pages", "doi", "abstract"])
        for row in REAL:
            writer.writerow([*row, "Background. We studied it. Results were clear. It works."])
    (folder / "merged_record_ids.csv").write_text('merged_ids\n"r1;r2"\n')
    return folder.parent


def test_same_seed_gives_identical_files(tmp_path: Path, source: Path) -> None:
    write_dataset(tmp_path / "a", 300, 7, source, ["tiny"])
    write_dataset(tmp_path / "b", 300, 7, source, ["tiny"])
    for name in ("records_pre_merged.csv", "merged_record_ids.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_another_seed_gives_another_set(tmp_path: Path, source: Path) -> None:
    write_dataset(tmp_path / "a", 300, 7, source, ["tiny"])
    write_dataset(tmp_path / "b", 300, 8, source, ["tiny"])
    name = "records_pre_merged.csv"
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_output_has_exactly_n_records_in_the_benchmark_layout(tmp_path: Path, source: Path) -> None:
    n_records, _ = write_dataset(tmp_path / "out", 300, 1, source, ["tiny"])
    with open(tmp_path / "out" / "records_pre_merged.csv", newline="") as fh:
        header = next(csv.reader(fh))
    ids = read_record_ids(tmp_path / "out" / "records_pre_merged.csv")
    assert (n_records, len(ids), tuple(header)) == (300, 300, COLUMNS)


def test_truth_groups_are_disjoint_known_ids_of_two_or_more(tmp_path: Path, source: Path) -> None:
    _, n_groups = write_dataset(tmp_path / "out", 300, 1, source, ["tiny"])
    ids = read_record_ids(tmp_path / "out" / "records_pre_merged.csv")
    # read_truth rejects unknown IDs and IDs in two groups.
    groups = read_truth(tmp_path / "out" / "merged_record_ids.csv", ids)
    assert len(groups) == n_groups > 0
    assert min(len(g) for g in groups) >= 2


def test_real_duplicate_pair_is_kept_as_a_true_group(tmp_path: Path, source: Path) -> None:
    write_dataset(tmp_path / "out", 300, 1, source, ["tiny"])
    with open(tmp_path / "out" / "records_pre_merged.csv", newline="") as fh:
        titles = {row["ID"]: row["title"] for row in csv.DictReader(fh)}
    groups = read_truth(tmp_path / "out" / "merged_record_ids.csv")
    real_pair = {i for i, t in titles.items() if t in (REAL[0][1], REAL[1][1])}
    assert sorted(real_pair) in groups


def test_new_works_do_not_reuse_a_real_title(tmp_path: Path, source: Path) -> None:
    write_dataset(tmp_path / "out", 300, 1, source, ["tiny"])
    with open(tmp_path / "out" / "records_pre_merged.csv", newline="") as fh:
        titles = [row["title"] for row in csv.DictReader(fh)]
    real_titles = {row[1] for row in REAL}
    assert sum(t in real_titles for t in titles) == len(REAL)


def test_authors_split_from_both_dataset_styles() -> None:
    assert split_authors("Kloner R. A.Przyklenk K.") == [("Kloner", "RA"), ("Przyklenk", "K")]
    assert split_authors("Kloner, Robert A. and Przyklenk, K") == [("Kloner", "RA"), ("Przyklenk", "K")]


def test_pages_reformat_between_full_and_short_ranges() -> None:
    seen = {reformat_pages("1148-1157", random.Random(s)) for s in range(30)}
    assert seen == {"1148-57", "1148--1157", "1148-1157"}


def test_journal_abbreviation_drops_stopwords_and_shortens_journal() -> None:
    assert abbreviate_journal("Journal of Head Trauma") == "J Head Trauma"


def _base() -> dict[str, str]:
    row = dict(zip(("ID", "title", "author", "journal", "year", "volume", "pages", "doi"), REAL[0]))
    return {c: "" for c in COLUMNS} | row | {"number": "5-6", "pages": "1-13"}


def test_export_quirks_are_the_ones_real_exports_show() -> None:
    seen = [export_quirk(_base(), random.Random(s)) for s in range(60)]
    assert any(r["journal"] == "Basic Res Cardiol.88 (5-6) ()(pp 1-13)" and not r["volume"] for r in seen)
    assert any(r["number"] == "05-Jun" and r["pages"] == "Jan-13" for r in seen)
    assert any(r["number"].isdigit() and int(r["number"]) >= 1000 for r in seen)
    assert any(r["doi"].endswith("[pii];10.1007/bf001 [doi]") for r in seen)
    assert any(r["author"] == "PrzyklenkK.KlonerR.A." for r in seen)
    assert any(r["title"].startswith("[") or r["title"].endswith("LA: Chi") for r in seen)


def test_lookalikes_are_different_works_that_share_a_title_or_differ_by_one_number() -> None:
    series = [lookalikes(_base(), random.Random(s), s, "Remote conditioning in pigs") for s in range(40)]
    recurring = [s for s in series if len({r["title"] for r in s}) == 1]
    numbered = [s for s in series if len({r["title"] for r in s}) == 2]
    assert recurring and numbered and len(recurring) + len(numbered) == len(series)
    for items in recurring:
        assert len({(r["year"], r["number"], r["pages"], r["doi"]) for r in items}) == len(items) >= 2
    for first, second in numbered:
        assert first["pages"] != second["pages"]


def test_lookalikes_are_not_in_any_true_group(tmp_path: Path, source: Path) -> None:
    write_dataset(tmp_path / "out", 3000, 3, source, ["tiny"])
    with open(tmp_path / "out" / "records_pre_merged.csv", newline="") as fh:
        recurring = {row["ID"] for row in csv.DictReader(fh) if row["title"] in ("Editorial", "Issue Information", "Preface")}
    grouped = {i for g in read_truth(tmp_path / "out" / "merged_record_ids.csv") for i in g}
    assert recurring and not recurring & grouped
