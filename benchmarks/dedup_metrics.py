"""Score a duplicate prediction against the benchmark's ground truth, record by record.

The metric is the bib-dedupe evaluation's (see ../shared/README.md): a "positive" is a record that
should be removed. For a true singleton: kept -> TN, removed -> FP. For a true group of size k of
which m members are kept: m = 0 -> FP += 1 and TP += k-1; m >= 1 -> TN += 1, FN += m-1, TP += k-m.

A prediction is `ID,cluster_id` for every record. Exactly one record of each predicted cluster is
kept: the one whose ID equals the cluster_id, else the smallest ID. So a predicted cluster that
merges two true groups keeps a member of only one of them, and the other shows up as an FP.

Usage: python -m benchmarks.dedup_metrics PRED.csv TRUTH.csv RECORDS.csv [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import InputError, PipelineError
from pipeline.imports.benchmark_csv import read_text_columns


@dataclass(frozen=True)
class Metrics:
    """Per-record confusion counts and the rates derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def sensitivity(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.sensitivity
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rates, in the order the benchmark tables print them."""
        return {**asdict(self), "sensitivity": self.sensitivity, "specificity": self.specificity,
                "precision": self.precision, "f1": self.f1}


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def kept_ids(prediction: Mapping[str, str]) -> set[str]:
    """The one record each predicted cluster keeps: the member named by cluster_id, else the smallest ID."""
    members: dict[str, list[str]] = {}
    for record_id, cluster_id in prediction.items():
        members.setdefault(cluster_id, []).append(record_id)
    return {cid if cid in ids else min(ids) for cid, ids in members.items()}


def score(all_ids: Iterable[str], true_groups: Sequence[Sequence[str]], kept: set[str]) -> Metrics:
    """Confusion counts for the `kept` records, given every record ID and the true duplicate groups."""
    tp = fp = fn = tn = 0
    grouped: set[str] = set()
    for group in true_groups:
        grouped.update(group)
        k = len(group)
        m = sum(1 for record_id in group if record_id in kept)
        if m == 0:
            fp += 1
            tp += k - 1
        else:
            tn += 1
            fn += m - 1
            tp += k - m
    for record_id in all_ids:
        if record_id not in grouped:
            if record_id in kept:
                tn += 1
            else:
                fp += 1
    return Metrics(tp, fp, fn, tn)


def read_record_ids(path: Path) -> list[str]:
    """The ID column of a benchmark records file (records_pre_merged.csv); IDs must be unique."""
    frame = _read_csv(path, ["ID"])
    ids = frame["ID"].to_list()
    _check_unique(path, ids, "ID")
    return ids


def read_truth(path: Path, all_ids: Iterable[str] | None = None) -> list[list[str]]:
    """The true duplicate groups (merged_record_ids.csv: one row per group, IDs joined by ';')."""
    frame = _read_csv(path, ["merged_ids"])
    known = set(all_ids) if all_ids is not None else None
    groups: list[list[str]] = []
    seen: dict[str, int] = {}
    for row, cell in enumerate(frame["merged_ids"].to_list(), start=2):
        group = [part.strip() for part in (cell or "").split(";") if part.strip()]
        for record_id in group:
            if record_id in seen:
                raise InputError.one(path, f"ID {record_id!r} is already in the group on row {seen[record_id]}",
                                     row, "merged_ids")
            if known is not None and record_id not in known:
                raise InputError.one(path, f"ID {record_id!r} is not in the records file", row, "merged_ids")
            seen[record_id] = row
        if group:
            groups.append(group)
    return groups


def read_prediction(path: Path, all_ids: Iterable[str] | None = None) -> dict[str, str]:
    """A prediction file (ID,cluster_id) as {ID: cluster_id}; with `all_ids`, it must cover exactly those."""
    frame = _read_csv(path, ["ID", "cluster_id"])
    ids = frame["ID"].to_list()
    clusters = frame["cluster_id"].to_list()
    _check_unique(path, ids, "ID")
    for row, (record_id, cluster_id) in enumerate(zip(ids, clusters), start=2):
        if not record_id:
            raise InputError.one(path, "empty ID", row, "ID")
        if not cluster_id:
            raise InputError.one(path, f"record {record_id!r} has no cluster", row, "cluster_id")
    prediction = dict(zip(ids, clusters))
    if all_ids is not None:
        expected = set(all_ids)
        missing = sorted(expected - prediction.keys())
        if missing:
            raise InputError.one(path, f"{len(missing)} record(s) missing from the prediction, e.g. {missing[:3]}")
        unknown = [(row, i) for row, i in enumerate(ids, start=2) if i not in expected]
        if unknown:
            row, record_id = unknown[0]
            raise InputError.one(path, f"ID {record_id!r} is not in the records file", row, "ID")
    return prediction


def evaluate(pred_csv: Path, truth_csv: Path, records_csv: Path) -> Metrics:
    """Read the three files, check they agree, and score the prediction."""
    all_ids = read_record_ids(Path(records_csv))
    truth = read_truth(Path(truth_csv), all_ids)
    prediction = read_prediction(Path(pred_csv), all_ids)
    return score(all_ids, truth, kept_ids(prediction))


def _read_csv(path: Path, columns: list[str]) -> pl.DataFrame:
    """Selected columns of a CSV as text; a missing file or column is an InputError naming it."""
    return read_text_columns(Path(path), columns).select(columns)


def _check_unique(path: Path, ids: list[str], column: str) -> None:
    seen: set[str] = set()
    for row, record_id in enumerate(ids, start=2):
        if record_id in seen:
            raise InputError.one(path, f"ID {record_id!r} appears twice", row, column)
        seen.add(record_id)


def format_line(metrics: Metrics) -> str:
    """One human-readable line: counts, then rates to four decimals."""
    d = metrics.as_dict()
    return " ".join(f"{k.upper() if len(k) == 2 else k}={v}" if isinstance(v, int) else f"{k}={v:.4f}"
                    for k, v in d.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup_metrics", description=__doc__.split("\n")[0])
    parser.add_argument("pred", type=Path, help="prediction CSV: ID,cluster_id for every record")
    parser.add_argument("truth", type=Path, help="merged_record_ids.csv")
    parser.add_argument("records", type=Path, help="records_pre_merged.csv")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    try:
        metrics = evaluate(args.pred, args.truth, args.records)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(metrics.as_dict()) if args.json else format_line(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
