"""Inter-rater agreement: percent agreement, Cohen's kappa with a 95% CI, Fleiss' kappa.

Cohen's kappa for two reviewers over the studies both have screened (categories: the decisions of
the stage, "maybe" included): kappa = (p_o - p_e) / (1 - p_e), p_e = sum_i p_i. * p_.i.

Its standard error is the large-sample formula of Fleiss, Cohen & Everitt (1969, Psychol Bull 72:323),
valid when kappa is not 0:

    var = ( sum_i p_ii [1 - (p_i. + p_.i)(1 - k)]^2
            + (1 - k)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
            - [k - p_e (1 - k)]^2 ) / ( n (1 - p_e)^2 )

and the 95% CI is k +/- 1.96 * sqrt(var), clipped to [-1, 1]. Fleiss' kappa (Fleiss 1971) is given
for three or more reviewers over the studies all of them screened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

Z95 = 1.959963984540054


def table(pairs: Sequence[tuple[str, str]], categories: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts table: rows = first reviewer's call, columns = second reviewer's call."""
    counts = {a: {b: 0 for b in categories} for a in categories}
    for a, b in pairs:
        counts[a][b] += 1
    return counts


def cohen(counts: dict[str, dict[str, int]]) -> dict[str, float | int | None]:
    """n, percent agreement, Cohen's kappa and its Fleiss-Cohen-Everitt 95% CI from a counts table."""
    cats = list(counts)
    n = sum(sum(row.values()) for row in counts.values())
    if n == 0:
        return {"n": 0, "percent": None, "kappa": None, "ci_low": None, "ci_high": None}
    p = {a: {b: counts[a][b] / n for b in cats} for a in cats}
    row = {a: sum(p[a].values()) for a in cats}
    col = {b: sum(p[a][b] for a in cats) for b in cats}
    p_o = sum(p[a][a] for a in cats)
    p_e = sum(row[c] * col[c] for c in cats)
    out: dict[str, float | int | None] = {"n": n, "percent": round(100 * p_o, 2), "kappa": None,
                                          "ci_low": None, "ci_high": None}
    if p_e >= 1:  # both reviewers used one and the same category for everything: kappa is undefined
        return out
    k = (p_o - p_e) / (1 - p_e)
    diag = sum(p[i][i] * (1 - (row[i] + col[i]) * (1 - k)) ** 2 for i in cats)
    off = (1 - k) ** 2 * sum(p[i][j] * (col[i] + row[j]) ** 2 for i in cats for j in cats if i != j)
    var = max(diag + off - (k - p_e * (1 - k)) ** 2, 0.0) / (n * (1 - p_e) ** 2)
    se = math.sqrt(var)
    out.update(kappa=round(k, 4), ci_low=round(max(-1.0, k - Z95 * se), 4), ci_high=round(min(1.0, k + Z95 * se), 4))
    return out


def fleiss(ratings: Sequence[Sequence[str]], categories: Sequence[str]) -> float | None:
    """Fleiss' kappa: each item is the list of every rater's category (same number of raters)."""
    if not ratings:
        return None
    m = len(ratings[0])
    if m < 2:
        return None
    n_items = len(ratings)
    totals = {c: 0 for c in categories}
    p_items = []
    for item in ratings:
        counts = {c: 0 for c in categories}
        for c in item:
            counts[c] += 1
            totals[c] += 1
        p_items.append((sum(v * v for v in counts.values()) - m) / (m * (m - 1)))
    p_bar = sum(p_items) / n_items
    p_e = sum((t / (n_items * m)) ** 2 for t in totals.values())
    if p_e >= 1:
        return None
    return round((p_bar - p_e) / (1 - p_e), 4)


def stage_agreement(calls: dict[str, dict[str, str]], reviewers: Sequence[str], categories: Sequence[str]) -> dict:
    """`agreement` of summary.json: every reviewer pair, and Fleiss' kappa for three or more.

    `calls`: study -> reviewer -> decision, only definite single calls (no disagreeing copies).
    """
    pairs = []
    for a, b in combinations(reviewers, 2):
        both = [(c[a], c[b]) for c in calls.values() if a in c and b in c]
        counts = table(both, categories)
        pairs.append({"a": a, "b": b, **cohen(counts), "table": counts})
    result: dict = {"pairs": pairs, "fleiss": None}
    if len(reviewers) >= 3:
        everyone = [[c[r] for r in reviewers] for c in calls.values() if all(r in c for r in reviewers)]
        result["fleiss"] = {"kappa": fleiss(everyone, categories), "n": len(everyone), "raters": len(reviewers)}
    return result
