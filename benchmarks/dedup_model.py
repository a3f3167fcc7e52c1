"""The learned alternative to the fuzzy rules, measured leave-one-dataset-out beside them.

A pair classifier (scikit-learn: gradient boosting or logistic regression) over the same rapidfuzz
features the rules read replaces the fuzzy rules; identifiers and vetoes stay as they are. For
each held-out dataset the model is fitted on the other five, and the probability above which a
pair counts as a duplicate is chosen on those five from out-of-fold probabilities (each of the five
predicted by a model fitted on the other four), with the same cost as the rules (10 x FP + FN).
`make bench-dedup` prints these rows beside the rules' own leave-one-out rows; the shipped engine
uses whichever the numbers favour (so far: the rules, see docs/dedup.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks.dedup_metrics import Metrics, kept_ids, score
from benchmarks.dedup_train import Dataset, cost
from pipeline.dedup import canonical, engine

FEATURES = ["t_sim", "t_set", "a_sim", "a_part", "j_sim", "ab_sim", "doi_eq", "pmid_eq", "pmcid_eq", "vol_eq", "iss_eq",
            "pg_eq", "pgl_eq", "pgk_eq", "ji_eq", "kind_eq", "part_eq", "reg_eq", "a1_eq", "jc_eq", "year_diff", "t_len",
            "a_n", "recurring", "one_marker", "numbered_a", "numbered_b"]
CUTS = (0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


@dataclass
class Pairs:
    """One dataset's decided pairs (rules' identifiers and vetoes), feature matrix and true labels."""

    data: Dataset
    decided: pl.DataFrame
    x: np.ndarray
    y: np.ndarray
    open: np.ndarray  # not vetoed: the pairs a model may merge


def pairs_of(data: Dataset) -> Pairs:
    decided = engine.decide(data.features)
    group = {r: k for k, members in enumerate(data.truth) for r in members}
    label = np.array([group.get(x, -1 - k) for k, x in enumerate(data.ids)])
    y = label[decided["i"].to_numpy()] == label[decided["j"].to_numpy()]
    x = decided.select([pl.col(c).cast(pl.Float64) for c in FEATURES]).to_numpy()
    return Pairs(data, decided, x, y, decided["veto"].is_null().to_numpy())


def _gbm() -> object:
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_leaf_nodes=15, random_state=0)


def _logistic() -> object:
    return make_pipeline(SimpleImputer(strategy="constant", fill_value=-1.0, keep_empty_features=True), StandardScaler(),
                         LogisticRegression(max_iter=2000))


MODELS: dict[str, Callable[[], object]] = {"gradient boosting": _gbm, "logistic regression": _logistic}


def fit(make: Callable[[], object], train: Sequence[Pairs]) -> object:
    x = np.vstack([p.x[p.open] for p in train])
    y = np.concatenate([p.y[p.open] for p in train])
    model = make()
    model.fit(x, y)  # type: ignore[attr-defined]
    return model


def probabilities(model: object, pairs: Pairs) -> np.ndarray:
    return model.predict_proba(pairs.x)[:, 1]  # type: ignore[attr-defined]


def evaluate(pairs: Pairs, p: np.ndarray, cut: float) -> Metrics:
    """The benchmark metric when pairs with probability >= `cut` (and no veto) are fuzzy matches."""
    fuzzy = (p >= cut) & pairs.open
    identifier = (pairs.decided["decision"] == "identifier").fill_null(False).to_numpy().astype(bool)
    decided = pairs.decided.with_columns(
        pl.when(pl.Series(identifier)).then(pl.lit("identifier")).when(pl.Series(fuzzy.astype(bool))).then(pl.lit("fuzzy"))
        .otherwise(None).alias("decision"),
        pl.Series(np.round(p, 4)).alias("score"))
    data = pairs.data
    labels = engine.machine_labels(data.records.height, decided)
    study_of = pl.DataFrame({"record_id": data.records["record_id"], "study_key": labels},
                            schema={"record_id": pl.Utf8, "study_key": pl.Int64})
    leader = dict(canonical.leaders(data.records, study_of).iter_rows())
    prediction = {rid: leader[key].removeprefix("csv:") for rid, key in zip(data.ids, labels)}
    return score(data.ids, data.truth, kept_ids(prediction))


@dataclass
class ModelFold:
    model: str
    held_out: str
    cut: float
    metrics: Metrics


def leave_one_out(datasets: Sequence[Dataset], model: str) -> list[ModelFold]:
    """Fit on five, choose the cut on the five's out-of-fold probabilities, score the sixth."""
    make = MODELS[model]
    pairs = {d.name: pairs_of(d) for d in datasets}
    folds = []
    for held_out in pairs:
        train = [n for n in pairs if n != held_out]
        out_of_fold = {inner: probabilities(fit(make, [pairs[n] for n in train if n != inner]), pairs[inner]) for inner in train}
        cut = min(CUTS, key=lambda c: (sum(cost(evaluate(pairs[n], out_of_fold[n], c)) for n in train), -c))
        p = probabilities(fit(make, [pairs[n] for n in train]), pairs[held_out])
        folds.append(ModelFold(model, held_out, cut, evaluate(pairs[held_out], p, cut)))
    return folds
