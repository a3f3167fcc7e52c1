"""Which study a reviewer sees next: the ranking interface and the orderings that need no model.

A `Ranking` takes the reviewer's pool (every screenable row in sheet order, with its text and any
`priority` cell) and their decisions so far, and returns the unscreened keys, first to screen first.
The session calls it again after every decision, so a model-backed ranking re-ranks as the reviewer
goes. `plain` is the sheet's own order (the switch on the page); `by_priority` follows the numeric
`priority` column the prioritisation stage writes into sheets (1 = screen next), when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Pool:
    """What a ranking may look at: keys in sheet order, their text, the sheet's priority cells."""

    keys: Sequence[str]
    text: Callable[[str], str]
    priority: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Stopping:
    """A stopping rule's state as the page shows it: a short label and a sentence."""

    label: str
    detail: str
    reached: bool = False


Ranking = Callable[[Pool, Mapping[str, str]], list[str]]
StoppingRule = Callable[[Pool, Mapping[str, str]], Stopping | None]


def plain(pool: Pool, decided: Mapping[str, str]) -> list[str]:
    """Unscreened keys in the order of the sheet."""
    return [k for k in pool.keys if k not in decided]


def by_priority(pool: Pool, decided: Mapping[str, str]) -> list[str]:
    """Unscreened keys by the sheet's `priority` column, 1 (screen next) first; rows without one last, in sheet order."""
    rest = plain(pool, decided)
    if not pool.priority:
        return rest
    position = {k: i for i, k in enumerate(rest)}
    return sorted(rest, key=lambda k: (k not in pool.priority, pool.priority.get(k, 0.0), position[k]))


def no_stopping(pool: Pool, decided: Mapping[str, str]) -> Stopping | None:
    """No stopping rule without a prioritisation model."""
    return None


@dataclass(frozen=True)
class Orderings:
    """The model's ordering (shown as "prioritised") and the stopping rule that goes with it."""

    name: str
    ranking: Ranking
    stopping: StoppingRule = no_stopping


def default(protocol: object = None, stage: str = "") -> Orderings:
    """The ordering used when the pipeline has no model: the sheet's priority column, else sheet order."""
    return Orderings("priority column", by_priority, no_stopping)
