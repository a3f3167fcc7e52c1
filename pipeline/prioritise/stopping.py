"""The Callaghan & Müller-Hansen (2020) stopping rule: a hypergeometric test that recall is below target.

Null hypothesis: recall is below `target`, i.e. the unscreened pool still holds at least
K = floor(found / target) + 1 - found_before includes. Treating the last n screened records as a
sample drawn from the pool as it was before them, the chance of seeing at most the k includes
actually seen in them is the hypergeometric CDF. If that chance is below 1 - confidence for some
window, the null is rejected and screening may stop with recall >= target at that confidence
(Systematic Reviews 9:273, doi 10.1186/s13643-020-01521-4; their `buscar` test).

The test is exact when the window is a random sample of the pool; when the window was ordered by
the model, which puts likely includes first, it is conservative. `more_to_screen` is how many more
records (a random sample of the rest is the safest) must be screened, none an include, to stop.
Only windows that start at the first record or just after an include need testing: stretching a
window back over excludes only lowers its p-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_TARGET = 0.95
DEFAULT_CONFIDENCE = 0.95
NAME = "Callaghan & Müller-Hansen (2020) hypergeometric stopping rule"


@dataclass(frozen=True)
class Rule:
    """Target recall and confidence of the stopping rule."""

    target: float = DEFAULT_TARGET
    confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        if not 0 < self.target < 1 or not 0 < self.confidence < 1:
            raise ValueError("target recall and confidence must be between 0 and 1 (e.g. 0.95)")

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence

    def stamp(self) -> dict[str, object]:
        return {"name": NAME, "target_recall": self.target, "confidence": self.confidence}


DEFAULT_RULE = Rule()


@dataclass(frozen=True)
class State:
    """The rule after the screened records: met or not, the p-value, how many more to screen."""

    met: bool
    p_value: float
    more_to_screen: int | None      # None: not reachable even by screening everything
    screened: int
    total: int
    found: int


def _window_starts(labels: np.ndarray) -> np.ndarray:
    """Start of every window worth testing: 0 and each position right after an include."""
    return np.unique(np.concatenate(([0], np.flatnonzero(labels) + 1)))


def _min_p(labels: np.ndarray, total: int, target: float, extra_excludes: int = 0,
           starts: np.ndarray | None = None, exact: bool = True) -> float:
    """The smallest p-value over the windows, after `extra_excludes` more excludes.

    `exact=False` skips the windows whose p-value is surely at least 1/2: those that saw at least
    the number of includes H0 expects (k >= ceil(n K / pool)), since a hypergeometric median is never
    above its mean rounded up. The result is then exact below 1/2 and 1/2 otherwise ("at least 1/2"),
    which is all a test against alpha <= 1/2 needs, at a fraction of the cost when many includes were seen.
    """
    from scipy.stats import hypergeom  # loaded on first use: `python -m pipeline` starts faster

    screened = labels.size + extra_excludes
    if screened == 0:
        return 1.0
    found = int(labels.sum())
    starts = _window_starts(labels) if starts is None else starts
    starts = starts[starts < screened]
    cum = np.concatenate(([0], np.cumsum(labels)))
    before = cum[np.minimum(starts, labels.size)]                     # includes before each window
    k = found - before
    n = screened - starts
    pool = total - starts
    red = np.floor(found / target).astype(np.int64) + 1 - before
    impossible = red > pool - (n - k)                                  # H0 needs more includes than records left
    if exact:
        return float(np.where(impossible, 0.0, hypergeom.cdf(k, pool, np.minimum(red, pool), n)).min())
    if impossible.any():
        return 0.0
    drawn = np.minimum(red, pool)
    low = k < -(-(n * drawn) // pool)                                  # fewer includes than H0 expects
    if not low.any():
        return 0.5
    return min(0.5, float(hypergeom.cdf(k[low], pool[low], drawn[low], n[low]).min()))


def state(labels: Sequence[int] | np.ndarray, total: int, rule: Rule = DEFAULT_RULE,
          hint: int | None = None, exact_p: bool = True) -> State:
    """The rule's state after screening `labels` (1 include, 0 exclude, in screening order) of `total`.

    `hint`: a guess of `more_to_screen` (see there); the state is the same with or without it.
    `exact_p=False` (the app, after every decision): a p-value of 1/2 or more is given as 0.5; all else
    is the same, and much faster once many includes are in.
    """
    arr = np.asarray(labels, dtype=np.int64)
    if arr.size > total:
        raise ValueError(f"{arr.size} records screened of only {total}")
    starts = _window_starts(arr)
    p = _min_p(arr, total, rule.target, 0, starts, exact_p or rule.alpha > 0.5)
    met = p < rule.alpha
    more = 0 if met else _more_after(arr, total, rule, starts, hint)
    return State(met, p, more, int(arr.size), total, int(arr.sum()))


def more_to_screen(labels: np.ndarray, total: int, rule: Rule = DEFAULT_RULE, hint: int | None = None) -> int | None:
    """Fewest further records, all excludes, after which the rule is met (p falls with each one).

    `hint`, a guess (the app passes its last answer less the excludes made since), only narrows the
    search: the answer is the same, found in about two tests instead of about fifteen when it is right.
    """
    starts = _window_starts(labels)
    if _min_p(labels, total, rule.target, 0, starts, exact=rule.alpha > 0.5) < rule.alpha:
        return 0
    return _more_after(labels, total, rule, starts, hint)


def _more_after(labels: np.ndarray, total: int, rule: Rule, starts: np.ndarray, hint: int | None) -> int | None:
    """`more_to_screen` once the rule is known not met yet: a gallop from `hint`, then a binary search."""
    left = total - labels.size

    def meets(extra: int) -> bool:
        return _min_p(labels, total, rule.target, extra, starts, exact=rule.alpha > 0.5) < rule.alpha

    lo, hi = 0, None                         # not met after lo extra excludes; met after hi (None: unknown)
    if hint is not None and 0 < hint < left:
        step = 1
        if meets(hint):
            hi = hint
            while hi - step > lo:
                if not meets(hi - step):
                    lo = hi - step
                    break
                hi, step = hi - step, step * 2
        else:
            lo = hint
            while lo + step < left:
                if meets(lo + step):
                    hi = lo + step
                    break
                lo, step = lo + step, step * 2
    if hi is None:
        if left == 0 or not meets(left):
            return None
        hi = left
    while hi - lo > 1:                       # not met after lo, met after hi
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def most_left(labels: np.ndarray, total: int, rule: Rule = DEFAULT_RULE) -> int:
    """Upper confidence bound on includes still unscreened: the most the screened windows do not rule out.

    The same windows and test as the rule: R includes left is ruled out when some window would have
    shown more than its k includes with chance above `confidence` (p = CDF(k; pool, k + R, n) < alpha).
    """
    from scipy.stats import hypergeom

    arr = np.asarray(labels, dtype=np.int64)
    left = total - arr.size
    if arr.size == 0 or left == 0:
        return left
    starts = _window_starts(arr)
    cum = np.concatenate(([0], np.cumsum(arr)))
    k = int(arr.sum()) - cum[starts]
    n = arr.size - starts
    pool = total - starts

    def ruled_out(r: int) -> bool:
        return bool((hypergeom.cdf(k, pool, k + r, n) < rule.alpha).any())

    lo, hi = 0, left                                   # answer in [lo, hi]
    if not ruled_out(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ruled_out(mid):
            hi = mid
        else:
            lo = mid
    return lo


def first_stop(labels_in_order: Sequence[int] | np.ndarray, rule: Rule = DEFAULT_RULE) -> int | None:
    """1-based rank at which the rule first says stop when records are screened in this order, or None.

    Jumps ahead by `more_to_screen` (no earlier rank can meet the rule: includes only delay it),
    checking every rank of an include-free stretch only where the jump lands.
    """
    arr = np.asarray(labels_in_order, dtype=np.int64)
    total = arr.size
    t = 1
    while t <= total:
        head = arr[:t]
        need = more_to_screen(head, total, rule)
        if need == 0:
            return t
        if need is None:
            return None
        # the rule cannot be met before t + need if the next `need` records are excludes; an include only delays it
        nxt = t + need
        incl = np.flatnonzero(arr[t:nxt])
        if incl.size == 0:
            return nxt if nxt <= total else None
        t = t + int(incl[0]) + 1                                       # re-evaluate right after that include
    return None


def rule_text(rule: Rule) -> str:
    return (f"{NAME}: target recall {rule.target:.0%}, confidence {rule.confidence:.0%} "
            f"(stop when p < {rule.alpha:.2g})")


__all__ = ["DEFAULT_RULE", "Rule", "State", "first_stop", "more_to_screen", "most_left", "rule_text", "state"]
