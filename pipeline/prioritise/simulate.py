"""Replay a labelled review as the app would screen it: priors, then the model's order, retrained as it goes.

Priors are drawn as ASReview's `simulate` draws them: `numpy.random.RandomState(seed).choice` over
the included rows, then a fresh `RandomState(seed).choice` over the excluded rows. After the priors
the model ranks the rest and the top record is screened next, retrained on `SCHEDULE` (the app uses
the same one). Once the last include is found nothing is retrained: the labels left are all 0, so
the rest follows the last ranking without changing any metric or the stopping rule's verdict,
which is evaluated on the order as screened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.prioritise import model as model_mod
from pipeline.prioritise import ranking, stopping
from pipeline.prioritise.features import Features


@dataclass(frozen=True)
class Schedule:
    """When to retrain: after every include, after every decision while fewer than `every_until`
    decisions are in, and otherwise once `fraction` more decisions have come in since the last fit."""

    every_until: int = 0
    fraction: float = 0.05

    def due(self, decisions: int, fitted_on: int, new_include: bool) -> bool:
        """Retrain now, with `decisions` in, the last fit made on `fitted_on` of them?"""
        return (new_include or decisions < self.every_until or decisions < fitted_on
                or decisions - fitted_on >= max(1, int(fitted_on * self.fraction)))

    def text(self) -> str:
        every = f"after every decision until {self.every_until} are in, then " if self.every_until else ""
        return f"retrain after each include; {every}once {self.fraction:.0%} more decisions have come in"


SCHEDULE = Schedule()


@dataclass(frozen=True)
class Simulation:
    """Rows in the order screened (priors first), the priors' count and the stopping rule's first stop."""

    order: np.ndarray
    n_priors: int
    stop_rank: int | None
    retrains: int


def draw_priors(labels: np.ndarray, seed: int, n_included: int, n_excluded: int) -> list[int]:
    """Prior rows exactly as ASReview LAB's simulate draws them (--prior-seed = seed)."""
    priors: list[int] = []
    for wanted, value in ((n_included, 1), (n_excluded, 0)):
        if wanted <= 0:
            continue
        pool = np.where(labels == value)[0]
        if pool.size < wanted:
            kind = "included" if value else "excluded"
            raise ValueError(f"{wanted} prior {kind} record(s) asked for, but the file has only {pool.size}")
        priors += [int(i) for i in np.random.RandomState(seed).choice(pool, wanted, replace=False)]
    return priors


def run(features: Features, labels: np.ndarray, seed: int = 0, prior_included: int = 1, prior_excluded: int = 1,
        spec: model_mod.ModelSpec = model_mod.DEFAULT, rule: stopping.Rule = stopping.DEFAULT_RULE,
        cold: np.ndarray | None = None, schedule: Schedule = SCHEDULE) -> Simulation:
    """Screen every record in the app's order; `cold` scores rank before the first include (else seeded random)."""
    n, total = labels.size, int(labels.sum())
    priors = draw_priors(labels, seed, prior_included, prior_excluded)
    fallback = cold if cold is not None else np.random.RandomState(seed).random_sample(n)
    decided: dict[int, int] = {i: int(labels[i]) for i in priors}
    screened = list(priors)
    is_done = np.zeros(n, dtype=bool)
    is_done[priors] = True
    queue: list[int] = []
    retrains = fitted_on = 0
    found = int(labels[priors].sum())
    new_include = True
    while len(screened) < n:
        if not queue or (found < total and schedule.due(len(screened), fitted_on, new_include)):
            score, _ = ranking.scores(features.matrix, decided, spec, fallback)
            queue = [int(i) for i in ranking.order(score) if not is_done[i]][::-1]
            retrains += 1
            fitted_on = len(screened)
        row = queue.pop()
        while is_done[row]:
            row = queue.pop()
        screened.append(row)
        is_done[row] = True
        decided[row] = int(labels[row])
        new_include = bool(labels[row])
        found += new_include
    order = np.asarray(screened, dtype=np.int64)
    return Simulation(order, len(priors), stopping.first_stop(labels[order], rule), retrains)
