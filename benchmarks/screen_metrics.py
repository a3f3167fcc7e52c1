"""Screening-prioritisation metrics over a screening order (labels 1/0 in the order screened).

- WSS@95: work saved over sampling at 95% recall, (N - n95) / N - 0.05, where n95 is the number of
  records screened when ceil(0.95 * R) includes have been found (Cohen et al. 2006).
- recall@10%: share of includes found after screening the first ceil(0.10 * N) records.
- ATD: average time to discovery, the mean over includes (prior includes left out) of the share of
  records screened when it was found (lower is better; Ferdinands et al. 2023 use the same idea).
Priors count as screened records, for every tool alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Metrics:
    wss95: float
    recall10: float
    atd: float


def evaluate(order_labels: np.ndarray, n_priors: int = 0) -> Metrics:
    """Metrics of one run; `order_labels` covers every record (pad a tool's early stop with zeros)."""
    y = np.asarray(order_labels, dtype=np.int64)
    n, r = y.size, int(y.sum())
    if r == 0:
        raise ValueError("no included record: the metrics are undefined")
    found = np.cumsum(y)
    n95 = int(np.searchsorted(found, math.ceil(0.95 * r))) + 1
    at10 = max(1, math.ceil(0.10 * n))
    ranks = np.flatnonzero(y) + 1
    ranks = ranks[ranks > n_priors] if (ranks > n_priors).any() else ranks
    return Metrics((n - n95) / n - 0.05, float(found[at10 - 1]) / r, float(ranks.mean()) / n)


def stop_outcome(order_labels: np.ndarray, stop_rank: int | None, target: float) -> tuple[bool, float, float]:
    """(recall >= target when stopped, recall at the stop, share of records left unscreened)."""
    y = np.asarray(order_labels, dtype=np.int64)
    if stop_rank is None:
        return True, 1.0, 0.0
    recall = float(y[:stop_rank].sum()) / max(int(y.sum()), 1)
    return recall >= target, recall, (y.size - stop_rank) / y.size
