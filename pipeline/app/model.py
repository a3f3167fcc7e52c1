"""The prioritisation model behind the app's "prioritised order" and its stopping-rule state.

`pipeline.prioritise` supplies the method (TF-IDF features, cold start from the protocol, a linear
classifier, the Callaghan & Müller-Hansen stopping rule); this module keeps its state between the
decisions of one reviewer at one stage, so a decision costs a re-ranking, not a rebuild:

- features are built once per pool of studies (again only when the sheet gains or loses studies);
- the classifier is retrained on the reviewer's own calls (blinding: never on another reviewer's)
  on `simulate.SCHEDULE` (after every include, after every decision early on, then once a share more
  decisions are in): the schedule the screening benchmark chose (docs/prioritisation.md); between
  retrains the last scores rank what is left;
- the stopping rule runs on the reviewer's calls in the order they made them (a maybe counts as an
  include, the cautious side); its search for "how many more" starts from the last answer, its
  p-value is shown exactly below 1/2 ("p ≥ 0.5" above), and a page asking again with no new call
  gets the last state: so it costs a few tests per decision, not a few dozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pipeline.app.order import Orderings, Pool, Stopping
from pipeline.protocol import Protocol

if TYPE_CHECKING:
    import numpy as np

    from pipeline.prioritise.features import Features

NEGATIVE = ("exclude", "not_retrieved")
POSITIVE = ("include", "maybe")


class ModelOrder:
    """One reviewer's model at one stage: `ranking` and `stopping` for `Orderings`."""

    def __init__(self, protocol: Protocol, stage: str):
        from pipeline.prioritise import coldstart, model, stopping

        self.query = coldstart.query_text(protocol)
        rule = protocol.stopping.get(stage)
        self.rule = stopping.Rule(rule.target_recall, rule.confidence) if rule is not None else stopping.DEFAULT_RULE
        self.spec = model.DEFAULT
        self.keys: tuple[str, ...] = ()
        self.row: dict[str, int] = {}
        self.features: Features | None = None
        self.cold: np.ndarray | None = None
        self.scores: np.ndarray | None = None
        self.ordered: np.ndarray | None = None   # every row by the scores, best first (sorted once per retrain)
        self.method = ""
        self.fitted_on = (0, 0)          # (decisions, includes) the scores were computed from
        self.stopped: tuple[tuple[tuple[int, ...], int, str], Stopping] | None = None   # last (labels, total, model), state
        self.more: tuple[int, int] | None = None     # (calls, more to screen) of the last state not met

    def _prepare(self, pool: Pool) -> None:
        keys = tuple(pool.keys)
        if keys == self.keys and self.features is not None:
            return
        from pipeline.prioritise import coldstart, features

        self.keys, self.row = keys, {k: i for i, k in enumerate(keys)}
        self.features = features.build([pool.text(k) for k in keys])
        self.cold = coldstart.scores(self.features, self.query)
        self.scores = None

    def ranking(self, pool: Pool, decided: Mapping[str, str]) -> list[str]:
        """Unscreened keys, likeliest include first; retrained on the schedule above."""
        import numpy as np

        from pipeline.prioritise import ranking
        from pipeline.prioritise.simulate import SCHEDULE

        self._prepare(pool)
        assert self.features is not None and self.cold is not None
        labels = {self.row[k]: 1 if d == "include" else 0 for k, d in decided.items()
                  if k in self.row and d in ("include", *NEGATIVE)}
        n, includes = len(labels), sum(labels.values())
        done, done_includes = self.fitted_on
        if self.scores is None or SCHEDULE.due(n, done, includes != done_includes):
            self.scores, self.method = ranking.scores(self.features.matrix, labels, self.spec, self.cold)
            self.ordered = ranking.order(self.scores)
            self.fitted_on = (n, includes)
        assert self.ordered is not None
        left = np.ones(len(self.keys), dtype=bool)
        left[[self.row[k] for k in decided if k in self.row]] = False
        return [self.keys[i] for i in self.ordered[left[self.ordered]].tolist()]

    def stopping(self, pool: Pool, decided: Mapping[str, str]) -> Stopping:
        """The rule's state on the reviewer's calls in the order made (`decided` keeps that order)."""
        from pipeline.prioritise import stopping

        labels = tuple(1 if d in POSITIVE else 0 for k, d in decided.items() if k in self.row or not self.row)
        total = max(len(pool.keys), len(labels))
        asked = (labels, total, self.method)
        if self.stopped is not None and self.stopped[0] == asked:
            return self.stopped[1]       # the page asked again with no new call (a move, a reload)
        hint = None
        if self.more is not None and len(labels) > self.more[0]:
            hint = self.more[1] - (len(labels) - self.more[0])   # right when every call since was an exclude
        state = stopping.state(labels, total, self.rule, hint, exact_p=False)
        self.more = (len(labels), state.more_to_screen) if state.more_to_screen else None
        target = f"{self.rule.target:.0%} recall at {self.rule.confidence:.0%} confidence"
        p = f"p = {state.p_value:.3f}" if state.p_value < 0.5 else "p ≥ 0.5"
        detail = f"{target}; {p}; model: {self.method or 'cold start'}"
        if state.met:
            shown = Stopping("met: the rest may be left unscreened", detail, True)
        elif state.more_to_screen is None:
            shown = Stopping("not met", detail)
        else:
            shown = Stopping(f"not met ({state.more_to_screen} more excludes in a row would meet it)", detail)
        self.stopped = (asked, shown)
        return shown


def orderings(protocol: Protocol, stage: str) -> Orderings:
    """The app's prioritised order for one reviewer at one stage."""
    order = ModelOrder(protocol, stage)
    return Orderings("prioritisation model", order.ranking, order.stopping)
