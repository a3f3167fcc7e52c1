"""Union-find with cannot-link constraints: records joined by a chain of matches form one study.

Edges are applied in priority order (people first, then identifiers, then fuzzy matches best
first). A pair that must stay apart (a person's not_duplicate, or a machine veto) blocks any edge
whose union would put the two in one cluster, so a chain A~B~C never merges A and C when A and C
are known to differ.
"""

from __future__ import annotations


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving, union by size and cannot-link sets per root."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.apart: dict[int, set[int]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def keep_apart(self, a: int, b: int) -> bool:
        """Record that a and b must never share a cluster; False if they already do."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.apart.setdefault(ra, set()).add(rb)
        self.apart.setdefault(rb, set()).add(ra)
        return True

    def blocked(self, a: int, b: int) -> bool:
        """Would joining a and b merge two clusters that must stay apart?"""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        small, other = (ra, rb) if len(self.apart.get(ra, ())) <= len(self.apart.get(rb, ())) else (rb, ra)
        return any(self.find(x) == other for x in self.apart.get(small, ()))

    def union(self, a: int, b: int) -> bool:
        """Join the clusters of a and b unless that is blocked; True if they are (now) together."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.blocked(ra, rb):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        moved = self.apart.pop(rb, None)
        if moved:
            self.apart.setdefault(ra, set()).update(moved)
        return True

    def labels(self) -> list[int]:
        """The root of every element, i.e. its cluster label."""
        return [self.find(x) for x in range(len(self.parent))]

