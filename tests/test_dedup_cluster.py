"""Union-find: matches are transitive, but a pair that must stay apart blocks the chain."""

from __future__ import annotations

from pipeline.dedup.cluster import UnionFind


def test_matches_are_transitive():
    uf = UnionFind(4)
    uf.union(0, 1)
    uf.union(1, 2)
    labels = uf.labels()
    assert labels[0] == labels[1] == labels[2] != labels[3]


def test_a_pair_kept_apart_blocks_a_chain_through_a_third_record():
    uf = UnionFind(3)
    uf.keep_apart(0, 2)
    assert uf.union(0, 1)
    assert not uf.union(1, 2)
    labels = uf.labels()
    assert labels[0] == labels[1] != labels[2]


def test_keep_apart_survives_later_unions_of_either_side():
    uf = UnionFind(4)
    uf.keep_apart(0, 3)
    assert uf.union(0, 1) and uf.union(2, 3)
    assert not uf.union(1, 2)
    assert uf.find(1) != uf.find(2)
