"""`python -m pipeline dedup-csv` and the benchmark-layout reader."""

from __future__ import annotations

import polars as pl

from pipeline.cli import main
from pipeline.imports import benchmark_csv


def test_reader_splits_glued_and_bibtex_author_lists(fixtures):
    records = benchmark_csv.read(fixtures / "dedup" / "records.csv", source="bench")
    authors = dict(records.select("source_record_id", "authors").iter_rows())
    assert authors["p1"] == ["Smith J.", "Kloner R. A."]
    assert authors["e1"] == ["Smith, John", "Kloner, Robert A."]
    assert records.filter(pl.col("source_record_id") == "e1")["doi"][0] == "10.1006/jmcc.2001.1234"
    assert records["record_id"][0] == "bench:p1"


def test_dedup_csv_writes_every_id_with_its_cluster(fixtures, tmp_path):
    out = tmp_path / "pred.csv"
    assert main(["dedup-csv", str(fixtures / "dedup" / "records.csv"), str(out)]) == 0
    pred = pl.read_csv(out)
    assert pred.columns == ["ID", "cluster_id"]
    assert pred["ID"].to_list() == ["p1", "e1", "w1", "p2", "p3", "u1"]
    cluster = dict(pred.iter_rows())
    assert cluster["p1"] == cluster["e1"] == cluster["w1"]
    assert len({cluster["p2"], cluster["p3"], cluster["u1"], cluster["p1"]}) == 4
    assert set(cluster.values()) <= set(cluster)


def test_special_cases_ground_truth(shared, tmp_path):
    folder = shared / "benchmarks" / "dedup" / "special_cases"
    out = tmp_path / "pred.csv"
    assert main(["dedup-csv", str(folder / "records_pre_merged.csv"), str(out)]) == 0
    cluster = dict(pl.read_csv(out).iter_rows())
    truth = [row.split(";") for row in pl.read_csv(folder / "merged_record_ids.csv")["merged_ids"]]
    groups_found: dict[str, set[str]] = {}
    for record_id, cluster_id in cluster.items():
        groups_found.setdefault(cluster_id, set()).add(record_id)
    predicted = {frozenset(g) for g in groups_found.values() if len(g) > 1}
    assert predicted == {frozenset(g) for g in truth}
