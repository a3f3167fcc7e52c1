"""The dedup benchmark's per-record metric (../shared/README.md), on small hand-computed cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.dedup_metrics import Metrics, evaluate, kept_ids, read_truth, score
from pipeline.errors import InputError


def test_perfect_prediction_has_no_errors() -> None:
    prediction = {"a": "a", "b": "a", "c": "c", "d": "d"}
    assert score(["a", "b", "c", "d"], [["a", "b"]], kept_ids(prediction)) == Metrics(tp=1, fp=0, fn=0, tn=3)


def test_predicted_group_merging_two_true_groups_counts_one_false_positive() -> None:
    prediction = {"a": "a", "b": "a", "c": "a", "d": "a"}
    # ab keeps a: TN 1, TP 1; cd keeps nothing: FP 1, TP 1.
    assert score(["a", "b", "c", "d"], [["a", "b"], ["c", "d"]], kept_ids(prediction)) == Metrics(tp=2, fp=1, fn=0, tn=1)


def test_true_group_with_no_member_kept_is_one_false_positive() -> None:
    prediction = {"a": "c", "b": "c", "c": "c"}
    # ab: m = 0 -> FP 1, TP k-1 = 1; singleton c kept -> TN 1.
    assert score(["a", "b", "c"], [["a", "b"]], kept_ids(prediction)) == Metrics(tp=1, fp=1, fn=0, tn=1)


def test_missed_duplicates_are_false_negatives() -> None:
    prediction = {"a": "a", "b": "b", "c": "c"}
    # k = 3, m = 3 -> TN 1, FN 2, TP 0.
    assert score(["a", "b", "c"], [["a", "b", "c"]], kept_ids(prediction)) == Metrics(tp=0, fp=0, fn=2, tn=1)


def test_removed_true_singleton_is_a_false_positive() -> None:
    prediction = {"a": "b", "b": "b"}
    assert score(["a", "b"], [], kept_ids(prediction)) == Metrics(tp=0, fp=1, fn=0, tn=1)


def test_cluster_keeps_the_member_named_by_cluster_id_else_the_smallest_id() -> None:
    assert kept_ids({"x": "y", "y": "y", "a": "g1", "b": "g1"}) == {"y", "a"}


def test_rates_follow_the_readme_formulas() -> None:
    m = Metrics(tp=3, fp=1, fn=1, tn=5)
    assert (m.sensitivity, m.specificity, m.precision) == (0.75, 5 / 6, 0.75)
    assert m.f1 == pytest.approx(0.75)


def test_rates_are_zero_when_undefined() -> None:
    assert Metrics(0, 0, 0, 0).as_dict()["f1"] == 0.0


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_reads_the_three_benchmark_files(tmp_path: Path) -> None:
    records = write(tmp_path / "records.csv", 'ID,title\nr1,"A, multi\nline title"\nr2,t\nr3,u\n')
    truth = write(tmp_path / "truth.csv", 'merged_ids\n"r1;r2"\n')
    pred = write(tmp_path / "pred.csv", "ID,cluster_id\nr1,r1\nr2,r1\nr3,r3\n")
    assert evaluate(pred, truth, records) == Metrics(tp=1, fp=0, fn=0, tn=2)


def test_prediction_missing_a_record_is_an_error_naming_the_file(tmp_path: Path) -> None:
    records = write(tmp_path / "records.csv", "ID\nr1\nr2\n")
    truth = write(tmp_path / "truth.csv", "merged_ids\n")
    pred = write(tmp_path / "pred.csv", "ID,cluster_id\nr1,r1\n")
    with pytest.raises(InputError, match=r"pred\.csv.*missing.*r2"):
        evaluate(pred, truth, records)


def test_record_in_two_true_groups_is_an_error_naming_the_row(tmp_path: Path) -> None:
    truth = write(tmp_path / "truth.csv", 'merged_ids\n"a;b"\n"b;c"\n')
    with pytest.raises(InputError, match=r"truth\.csv, row 3, column 'merged_ids'.*'b'"):
        read_truth(truth)
