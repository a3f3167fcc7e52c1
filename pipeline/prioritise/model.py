"""The relevance model: a linear classifier with class balancing, trained on the decisions so far.

`CANDIDATES` are the designs the screening benchmark compares (docs/prioritisation.md); `DEFAULT`
is the one it chose. Training is deterministic (liblinear's shuffle is seeded; naive Bayes has none),
so the same decisions always give the same ranking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp


@dataclass(frozen=True)
class ModelSpec:
    """A classifier and its settings; `include_weight` is the includes' share of the total weight."""

    name: str
    classifier: str                       # "svm" | "nb"
    params: dict[str, float] = field(default_factory=dict)
    include_weight: float = 0.5           # 0.5 = classes weigh the same in total ("balanced")

    def stamp(self) -> dict[str, object]:
        return {"name": self.name, "classifier": self.classifier, "params": dict(self.params),
                "balancing": f"sample weights: includes {self.include_weight:.0%} of the total weight"}


CANDIDATES = {
    "svm-balanced": ModelSpec("svm-balanced", "svm", {"C": 0.1}, include_weight=0.5),
    "svm-include-90": ModelSpec("svm-include-90", "svm", {"C": 0.1}, include_weight=0.9),
    "svm-include-97": ModelSpec("svm-include-97", "svm", {"C": 0.1}, include_weight=0.97),
    "nb": ModelSpec("nb", "nb", {"alpha": 1.0}, include_weight=0.5),
}
# Logistic regression (liblinear) ranked like the SVM but retrained ~10x slower; it is kept out.
# Include weights 0.93-0.99, C 0.05 and 0.2 were compared too (docs/prioritisation.md).
DEFAULT = CANDIDATES["svm-include-97"]


def sample_weights(labels: np.ndarray, include_weight: float) -> np.ndarray:
    """Weights so that includes carry `include_weight` of the total, mean weight 1."""
    n = labels.size
    n_inc = int(labels.sum())
    n_exc = n - n_inc
    w = np.where(labels == 1, include_weight / max(n_inc, 1), (1 - include_weight) / max(n_exc, 1))
    out: np.ndarray = (w * n / w.sum()).astype(np.float64)
    return out


def fit_scores(spec: ModelSpec, matrix: sp.csr_matrix, train: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Train on rows `train` (labels 0/1, both classes present) and score every row (higher = likelier include)."""
    from sklearn.naive_bayes import ComplementNB  # loaded on first use
    from sklearn.svm import LinearSVC

    X = matrix[train]
    weights = sample_weights(labels, spec.include_weight)
    if spec.classifier == "svm":
        clf = LinearSVC(C=spec.params.get("C", 0.1), loss="squared_hinge", dual="auto", max_iter=2000,
                        random_state=0)             # liblinear shuffles: unseeded it draws from numpy's global state
        clf.fit(X, labels, sample_weight=weights)
        return np.asarray(matrix @ clf.coef_.ravel() + clf.intercept_[0], dtype=np.float64).ravel()
    if spec.classifier == "nb":
        clf_n = ComplementNB(alpha=spec.params.get("alpha", 1.0))
        clf_n.fit(X, labels, sample_weight=weights)
        log = clf_n.feature_log_prob_
        return np.asarray(matrix @ (log[1] - log[0])).ravel() if log.shape[0] == 2 else np.zeros(matrix.shape[0])
    raise ValueError(f"unknown classifier {spec.classifier!r}")
