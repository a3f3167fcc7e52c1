"""Choosing the dedup thresholds from data: the cost, the tie-break, leave-one-dataset-out, and the
shipped file (which loads without ../shared)."""

from __future__ import annotations

import json
import re

from benchmarks import dedup_train
from benchmarks.dedup_metrics import Metrics
from pipeline.dedup import thresholds
from pipeline.dedup.engine import dedup
from pipeline.dedup.thresholds import Thresholds
from tests.dedup_helpers import frame, record, study_of

DEFAULT = Thresholds()
LOOSE = Thresholds(title_close=0.93)
STRICT = Thresholds(title_close=0.97)


def _m(fp: int, fn: int) -> Metrics:
    return Metrics(tp=100 - fn, fp=fp, fn=fn, tn=100 - fp)


def test_a_false_merge_costs_more_than_a_missed_duplicate():
    table = {LOOSE: {"a": _m(1, 0)}, STRICT: {"a": _m(0, 9)}}
    assert dedup_train.choose(table, ["a"]) == STRICT
    table[STRICT] = {"a": _m(0, 11)}
    assert dedup_train.choose(table, ["a"]) == LOOSE


def test_ties_go_to_the_reasoned_defaults():
    table = {LOOSE: {"a": _m(0, 3)}, DEFAULT: {"a": _m(0, 3)}, STRICT: {"a": _m(0, 3)}}
    assert dedup_train.choose(table, ["a"]) == DEFAULT


def test_leave_one_out_never_chooses_on_the_held_out_set():
    # "c" alone prefers LOOSE; the other two prefer STRICT: held out, "c" is scored with STRICT.
    table = {LOOSE: {"a": _m(1, 0), "b": _m(1, 0), "c": _m(0, 0)},
             STRICT: {"a": _m(0, 1), "b": _m(0, 1), "c": _m(0, 20)}}
    folds = {f.held_out: f for f in dedup_train.leave_one_out(table, ["a", "b", "c"])}
    assert folds["c"].chosen == STRICT and folds["c"].metrics == _m(0, 20)
    assert folds["a"].chosen == LOOSE  # b and c together: LOOSE costs 10 + 0, STRICT 1 + 20


def test_every_grid_value_is_a_combination_of_the_grid():
    combos = thresholds.grid()
    assert len(combos) == len(set(combos)) == __import__("math").prod(len(v) for v in thresholds.GRID.values())
    assert DEFAULT in combos


def test_the_shipped_file_loads_and_says_what_it_was_chosen_on():
    content = json.loads(thresholds.FILE.read_text())
    assert thresholds.shipped() == Thresholds(**content["thresholds"])
    assert content["trained_on"]["commit"]
    for name, files in content["trained_on"]["datasets"].items():
        assert re.fullmatch(r"[0-9a-f]{64}", files["records_pre_merged.csv"]), name
        assert re.fullmatch(r"[0-9a-f]{64}", files["merged_record_ids.csv"]), name
    assert set(content["leave_one_dataset_out"]) == set(content["trained_on"]["datasets"])


def test_the_shipped_file_was_chosen_on_the_shared_data_as_it_is(shared):
    content = json.loads(thresholds.FILE.read_text())
    for name, files in content["trained_on"]["datasets"].items():
        folder = shared / "benchmarks" / "dedup" / name
        assert dedup_train.sha256(folder / "records_pre_merged.csv") == files["records_pre_merged.csv"], name
        assert dedup_train.sha256(folder / "merged_record_ids.csv") == files["merged_record_ids.csv"], name


def test_the_engine_uses_the_thresholds_it_is_given():
    title = "Fast track surgery in older adults"  # 34 characters: short under short_title=40, not under 20
    a = record("wos:1", title=title, pages=None, issue=None, abstract=None)
    b = record("embase:1", title=title, pages=None, issue=None, abstract=None)
    merged = {t: len(set(study_of(dedup(frame(a, b), thresholds=Thresholds(short_title=t)).clusters).values())) == 1
              for t in (20, 40)}
    assert merged == {20: True, 40: False}
