"""`make train-dedup`: choose the dedup thresholds on the labelled benchmark sets, and measure that
choice out of sample (leave one dataset out).

The rules' fixed parts are reasoning about databases; the numbers in `pipeline.dedup.thresholds`
(how similar a title must be for how much other agreement, how short a title is too short to tell
works apart) trade missed duplicates against false merges and are chosen here. Every combination of
`thresholds.GRID` is scored on every dataset once (pair features are computed once per dataset and
cached under the system temp folder); then
- training picks the combination with the lowest cost over the given datasets, cost =
  FP_COST x false merges + missed duplicates (a false merge loses a study from the review; a missed
  duplicate costs a reviewer one extra look), ties going to the combination nearest the defaults;
- leave-one-dataset-out picks on five datasets and scores the sixth, for each of the six.

`python -m benchmarks.dedup_train` writes `pipeline/dedup/thresholds.json` (the choice on all
datasets, with the commit and SHA-256 of every data file it was chosen on, and both tables);
`--check` only reports whether the shipped file is what training now picks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl

from benchmarks import git_head
from benchmarks.dedup_metrics import Metrics, kept_ids, read_truth, score
from pipeline.console import console, summary
from pipeline.dedup import canonical, engine, thresholds
from pipeline.dedup.thresholds import Thresholds
from pipeline.files import write_text_atomic
from pipeline.imports import benchmark_csv

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "benchmarks" / "dedup"
FP_COST = 10
CACHE = Path(tempfile.gettempdir()) / "dedup-pair-features"
# The code whose output the cached features are: a change to any of these invalidates the cache.
FEATURE_CODE = ["normalise.py", "blocking.py", "score.py"]


@dataclass
class Dataset:
    """One labelled benchmark set, read once: its records, ground truth and candidate pair features."""

    name: str
    records: pl.DataFrame
    ids: list[str]
    truth: list[list[str]]
    features: pl.DataFrame
    checksums: dict[str, str]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def available(source: Path) -> list[str]:
    return sorted(p.name for p in source.iterdir()
                  if (p / "records_pre_merged.csv").is_file() and (p / "merged_record_ids.csv").is_file())


def load(source: Path, name: str, cache: Path | None = CACHE) -> Dataset:
    """Read one dataset; its pair features come from the cache when data and feature code are unchanged."""
    folder = source / name
    records_csv, truth_csv = folder / "records_pre_merged.csv", folder / "merged_record_ids.csv"
    checksums = {"records_pre_merged.csv": sha256(records_csv), "merged_record_ids.csv": sha256(truth_csv)}
    records = benchmark_csv.read(records_csv, source="csv").sort("record_id")
    ids = [r.removeprefix("csv:") for r in records["record_id"].to_list()]
    truth = read_truth(truth_csv, ids)
    code = hashlib.sha256(b"".join((ROOT / "pipeline" / "dedup" / f).read_bytes() for f in FEATURE_CODE)).hexdigest()
    key = hashlib.sha256((checksums["records_pre_merged.csv"] + code).encode()).hexdigest()[:20]
    cached = cache / f"{name}-{key}.parquet" if cache else None
    if cached and cached.is_file():
        features = pl.read_parquet(cached)
    else:
        features = engine.pair_features(records)
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            features.write_parquet(tmp)
            tmp.replace(cached)
    return Dataset(name, records, ids, truth, features, checksums)


def evaluate(data: Dataset, t: Thresholds) -> Metrics:
    """The benchmark metric of the machine's clusters under thresholds `t` (as `dedup-csv` keeps them)."""
    labels = engine.machine_labels(data.records.height, engine.decide(data.features, t))
    study_of = pl.DataFrame({"record_id": data.records["record_id"], "study_key": labels},
                            schema={"record_id": pl.Utf8, "study_key": pl.Int64})
    leader = dict(canonical.leaders(data.records, study_of).iter_rows())
    prediction = {rid: leader[key].removeprefix("csv:") for rid, key in zip(data.ids, labels)}
    return score(data.ids, data.truth, kept_ids(prediction))


def cost(m: Metrics) -> int:
    return FP_COST * m.fp + m.fn


def _distance_to_default(t: Thresholds) -> int:
    """How many grid steps `t` is from the defaults: the tie-break, so ties keep the reasoned values."""
    default = Thresholds()
    return sum(abs(thresholds.GRID[f.name].index(getattr(t, f.name)) - thresholds.GRID[f.name].index(getattr(default, f.name)))
               for f in fields(Thresholds) if getattr(default, f.name) in thresholds.GRID[f.name])


def score_grid(datasets: list[Dataset]) -> dict[Thresholds, dict[str, Metrics]]:
    """Every grid combination on every dataset."""
    table: dict[Thresholds, dict[str, Metrics]] = {}
    combos = thresholds.grid()
    for n, t in enumerate(combos, start=1):
        table[t] = {d.name: evaluate(d, t) for d in datasets}
        if n % 20 == 0 or n == len(combos):
            console.print(f"  thresholds: {n}/{len(combos)} combinations scored", highlight=False)
    return table


def choose(table: dict[Thresholds, dict[str, Metrics]], on: Sequence[str]) -> Thresholds:
    """The combination with the lowest total cost over datasets `on` (ties: nearest the defaults)."""
    return min(table, key=lambda t: (sum(cost(table[t][d]) for d in on), _distance_to_default(t)))


@dataclass
class Fold:
    """Leave one dataset out: thresholds chosen on the others, scored on `held_out`."""

    held_out: str
    chosen: Thresholds
    metrics: Metrics


def leave_one_out(table: dict[Thresholds, dict[str, Metrics]], names: Sequence[str]) -> list[Fold]:
    folds = []
    for held_out in names:
        chosen = choose(table, [d for d in names if d != held_out])
        folds.append(Fold(held_out, chosen, table[chosen][held_out]))
    return folds


def describe(t: Thresholds) -> str:
    """Thresholds in a short form for tables: only what differs from the defaults."""
    default = Thresholds()
    changed = [f"{f.name}={getattr(t, f.name)}" for f in fields(Thresholds) if getattr(t, f.name) != getattr(default, f.name)]
    return ", ".join(changed) or "defaults"


def run(source: Path, names: Sequence[str] | None = None) -> tuple[list[Dataset], dict[Thresholds, dict[str, Metrics]]]:
    """Load the datasets and score the whole grid on them."""
    names = list(names or available(source))
    datasets = []
    for name in names:
        console.print(f"  {name}: pair features ...", highlight=False)
        datasets.append(load(source, name))
    return datasets, score_grid(datasets)


def model_file(datasets: list[Dataset], table: dict[Thresholds, dict[str, Metrics]], folds: list[Fold]) -> dict:
    """What thresholds.json holds: the choice on all datasets, how it was made, and on what."""
    names = [d.name for d in datasets]
    chosen = choose(table, names)
    return {
        "thresholds": chosen.as_dict(),
        "chosen_by": f"python -m benchmarks.dedup_train (make train-dedup): the grid combination with the lowest "
                     f"{FP_COST} x FP + FN summed over the datasets below, ties to the nearest the defaults",
        "grid": {k: list(v) for k, v in thresholds.GRID.items()},
        "trained_on": {"commit": git_head("pipeline"),
                       "datasets": {d.name: {"records": d.records.height, **d.checksums} for d in datasets}},
        "in_sample": {n: table[chosen][n].as_dict() for n in names},
        "leave_one_dataset_out": {f.held_out: {"chosen": f.chosen.as_dict(), **f.metrics.as_dict()} for f in folds},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup_train", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder of the benchmark datasets")
    parser.add_argument("--check", action="store_true", help="only say whether the shipped thresholds are what training picks")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        console.print(f"train-dedup: skipped, {args.source} is absent (the shared benchmark data sits beside the checkout).")
        return 0
    datasets, table = run(args.source)
    folds = leave_one_out(table, [d.name for d in datasets])
    content = model_file(datasets, table, folds)
    chosen = Thresholds(**content["thresholds"])
    if args.check:
        same = chosen == thresholds.shipped()
        summary("train-dedup", f"training picks {describe(chosen)}; shipped: {describe(thresholds.shipped())} -> "
                               f"{'up to date' if same else 'STALE: run make train-dedup'}")
        return 0 if same else 1
    write_text_atomic(thresholds.FILE, json.dumps(content, indent=2) + "\n")
    total = sum((f.metrics for f in folds[1:]), folds[0].metrics)
    summary("train-dedup", f"chose {describe(chosen)} on {len(datasets)} datasets; leave-one-out FP {total.fp}, "
                           f"sensitivity {total.sensitivity:.4f}; wrote {thresholds.FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
