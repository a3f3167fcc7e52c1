"""One ranking of a stage's records from the decisions so far: the model, or the cold start before it.

`scores` picks the method by what is known: both includes and excludes -> the classifier; includes
only -> similarity to their centroid; no include yet -> similarity to the protocol (coldstart), or
`fallback` scores. `order` turns scores into a screening order, ties broken by row so it is stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

from pipeline.prioritise import model as model_mod

COLD_START = "cold start: similarity to the protocol's question, criteria and searches"
CENTROID = "similarity to the includes so far (no exclude yet)"


def scores(matrix: sp.csr_matrix, decided: Mapping[int, int], spec: model_mod.ModelSpec,
           fallback: np.ndarray) -> tuple[np.ndarray, str]:
    """Scores for every row (higher = screen sooner) and the method that gave them."""
    rows = np.fromiter(decided.keys(), dtype=np.int64, count=len(decided))
    labels = np.fromiter(decided.values(), dtype=np.int64, count=len(decided))
    n_inc = int(labels.sum())
    if n_inc == 0:
        return fallback, COLD_START
    if n_inc == labels.size:
        centroid = np.asarray(matrix[rows].mean(axis=0)).ravel()
        return np.asarray(matrix @ centroid).ravel(), CENTROID
    return model_mod.fit_scores(spec, matrix, rows, labels), spec.name


def order(score: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """Row numbers by descending score (ties: lower row first), leaving out `exclude`."""
    idx = np.lexsort((np.arange(score.size), -score))
    if exclude is not None and exclude.size:
        idx = idx[~np.isin(idx, exclude)]
    return idx
