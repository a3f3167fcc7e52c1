"""The dedup stage as pure functions: records (+ people's decisions) in, clusters and studies out.

prepare keys -> candidate pairs (blocking) -> features (rapidfuzz) -> vetoes -> rules ->
union-find (people first, then identifiers, then fuzzy matches best first) -> canonical studies.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field

import polars as pl

from pipeline.contracts import CLUSTER_SCHEMA, LINKED_REPORTS_SCHEMA, DedupSummary
from pipeline.contracts import PAIRS_TO_REVIEW_COLUMNS as REVIEW_COLUMNS
from pipeline.dedup import blocking, canonical, normalise, score, vetoes
from pipeline.dedup import links as report_links
from pipeline.dedup.cluster import UnionFind
from pipeline.dedup.thresholds import Thresholds
from pipeline.errors import InputError, Problem

METHOD_ORDER = {"person": 0, "identifier": 1, "fuzzy": 2}


@dataclass(frozen=True)
class DedupResult:
    """Everything the stage writes (`pipeline.contracts`: CLUSTER_SCHEMA, PAIRS_TO_REVIEW_COLUMNS, DedupSummary)."""

    clusters: pl.DataFrame
    studies: pl.DataFrame
    pairs_to_review: pl.DataFrame
    stats: DedupSummary
    groups: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LINKED_REPORTS_SCHEMA))

    @property
    def summary(self) -> dict:
        """summary.json's content."""
        return self.stats.to_json()


def pair_features(records: pl.DataFrame, workers: int = -1) -> pl.DataFrame:
    """Every candidate pair (row indices i < j of `records`) with its similarity features."""
    prepared = normalise.prepare(records)
    pairs = blocking.candidate_pairs(prepared)
    return score.pair_features(prepared, pairs, workers=workers)


def decide(features: pl.DataFrame, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Pair features with veto, decision and score, under `thresholds` (default: the shipped ones)."""
    return score.classify(vetoes.veto_reason(features, thresholds), thresholds)


def scored_pairs(records: pl.DataFrame, workers: int = -1, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Every candidate pair (row indices i < j) with features, veto, decision and score."""
    return decide(pair_features(records, workers=workers), thresholds)


def machine_matches(pairs: pl.DataFrame) -> tuple[list[tuple[int, int]], list[tuple[int, int, str, float]]]:
    """From decided pairs: the pairs to keep apart (vetoed) and the matches in the order they are
    applied (identifiers first, then fuzzy matches best score first)."""
    vetoed = pairs.filter(pl.col("veto").is_not_null())
    matches = (
        pairs.filter(pl.col("decision").is_in(["identifier", "fuzzy"]))
        .with_columns(pl.col("decision").replace_strict(METHOD_ORDER, return_dtype=pl.Int8).alias("order"))
        .sort(["order", "score", "i", "j"], descending=[False, True, False, False])
    )
    return (list(zip(vetoed["i"].to_list(), vetoed["j"].to_list())),
            list(matches.select("i", "j", "decision", "score").iter_rows()))


def machine_labels(n: int, pairs: pl.DataFrame) -> list[int]:
    """Cluster labels of n records from decided pairs alone (no people's decisions): what the
    benchmarks score."""
    uf = UnionFind(n)
    apart, matches = machine_matches(pairs)
    for a, b in apart:
        uf.keep_apart(a, b)
    for a, b, _method, _value in matches:
        uf.union(a, b)
    return uf.labels()


def dedup(records: pl.DataFrame, decisions: pl.DataFrame | None = None, *, decisions_file: str = "decisions.csv",
          workers: int = -1, links: pl.DataFrame | None = None,
          thresholds: Thresholds | None = None) -> DedupResult:
    """Group `records` (RECORD_SCHEMA) into studies, applying people's `decisions` first.

    `links` (LINK_SCHEMA) join each preprint to its published version right after people's
    decisions (so no machine veto keeps them apart), and link registrations to their publications
    as reports of one study (`DedupResult.groups`) without merging them."""
    links = links if links is not None else report_links.empty_links()
    records = records.sort("record_id")
    ids = records["record_id"].to_list()
    position = {record_id: k for k, record_id in enumerate(ids)}
    pairs = scored_pairs(records, workers=workers, thresholds=thresholds)
    decisions = decisions if decisions is not None else pl.DataFrame(
        schema={"record_id_a": pl.Utf8, "record_id_b": pl.Utf8, "decision": pl.Utf8, "row": pl.Int64})

    uf = UnionFind(len(ids))
    tree: dict[int, list[tuple[int, str, float | None]]] = {}

    def link(a: int, b: int, method: str, value: float | None) -> bool:
        together = uf.find(a) == uf.find(b)
        if uf.union(a, b) and not together:
            tree.setdefault(a, []).append((b, method, value))
            tree.setdefault(b, []).append((a, method, value))
            return True
        return False

    person_pairs = set()
    for row in decisions.filter(pl.col("decision") == "not_duplicate").iter_rows(named=True):
        a, b = position[row["record_id_a"]], position[row["record_id_b"]]
        person_pairs.add((min(a, b), max(a, b)))
        uf.keep_apart(a, b)
    problems = []
    for row in decisions.filter(pl.col("decision") == "duplicate").sort("row").iter_rows(named=True):
        a, b = position[row["record_id_a"]], position[row["record_id_b"]]
        person_pairs.add((min(a, b), max(a, b)))
        if uf.find(a) != uf.find(b) and not link(a, b, "person", None):
            problems.append(Problem(decisions_file, "this duplicate would join records another row marks not_duplicate",
                                    row["row"], "decision"))
    if problems:
        raise InputError(problems)
    preprints = 0
    for a_id, b_id in report_links.preprint_edges(records, links):
        a, b = position[a_id], position[b_id]
        if (min(a, b), max(a, b)) not in person_pairs and link(a, b, "identifier", None):
            preprints += 1

    apart, matches = machine_matches(pairs)
    for a, b in apart:
        if (a, b) not in person_pairs:
            uf.keep_apart(a, b)
    for a, b, method, value in matches:
        if (a, b) not in person_pairs:
            link(a, b, method, value)

    labels = uf.labels()
    study_of = pl.DataFrame({"record_id": ids, "study_key": labels}, schema={"record_id": pl.Utf8, "study_key": pl.Int64})
    leaders = canonical.leaders(records, study_of)
    clusters = _cluster_rows(ids, position, labels, leaders, tree)
    studies = canonical.studies(records, study_of)
    review = _review_rows(records, pairs, labels, person_pairs)
    groups = report_links.study_groups(records, clusters, links)
    stats = dataclasses.replace(_summary(records.height, clusters, studies, review, decisions), preprints_joined=preprints,
                                linked_reports={"studies": groups["group_id"].n_unique(), "reports": groups.height})
    return DedupResult(clusters, studies, review, stats, groups)


def _cluster_rows(ids: list[str], position: dict[str, int], labels: list[int], leaders: pl.DataFrame,
                  tree: dict[int, list[tuple[int, str, float | None]]]) -> pl.DataFrame:
    """One row per record: its study, and the match (method, score, other record) that put it there.

    Walking the tree of accepted matches outwards from the leading member, every other member is
    credited to the match that reached it; the leader shows its first match ("unique" when alone).
    """
    rows: dict[int, tuple[str, str, float | None, str | None]] = {}
    for _key, study_id in leaders.iter_rows():
        root = position[study_id]
        neighbours = tree.get(root, [])
        if not neighbours:
            rows[root] = (study_id, "unique", None, None)
            continue
        first, method, value = neighbours[0]
        rows[root] = (study_id, method, value, ids[first])
        queue = deque([root])
        while queue:
            node = queue.popleft()
            for other, method, value in tree.get(node, []):
                if other not in rows:
                    rows[other] = (study_id, method, value, ids[node])
                    queue.append(other)
    data = [(ids[k], *rows[k]) for k in range(len(ids))]
    return pl.DataFrame(data, schema=CLUSTER_SCHEMA, orient="row").sort("record_id")


def _review_rows(records: pl.DataFrame, pairs: pl.DataFrame, labels: list[int], decided: set[tuple[int, int]]) -> pl.DataFrame:
    """Borderline pairs not already in one study and not decided by a person, best score first."""
    together = pl.Series([labels[a] == labels[b] for a, b in zip(pairs["i"].to_list(), pairs["j"].to_list())],
                         dtype=pl.Boolean)
    undecided = pl.Series([(a, b) not in decided for a, b in zip(pairs["i"].to_list(), pairs["j"].to_list())],
                          dtype=pl.Boolean)
    waiting = pairs.filter((pl.col("decision") == "review") & ~together & undecided)
    reason = pl.concat_str(
        pl.format("title {}", pl.col("t_sim").round(2)),
        pl.when(pl.col("a_sim").is_not_null()).then(pl.format("authors {}", pl.col("a_sim").round(2))),
        pl.col("veto"),
        separator="; ", ignore_nulls=True,
    )
    side = records.select("title", "year", "journal", "doi").with_row_index("k")
    out = (
        waiting.select("i", "j", "score", reason.alias("reason"))
        .join(records.select("record_id").with_row_index("i"), on="i")
        .join(records.select(pl.col("record_id").alias("record_id_b")).with_row_index("j"), on="j")
        .join(side.rename({c: f"{c}_a" for c in ("title", "year", "journal", "doi")}), left_on="i", right_on="k")
        .join(side.rename({c: f"{c}_b" for c in ("title", "year", "journal", "doi")}), left_on="j", right_on="k")
        .rename({"record_id": "record_id_a"})
        .with_columns(pl.lit("").alias("decision"))
    )
    return out.select(REVIEW_COLUMNS).sort(["score", "record_id_a", "record_id_b"], descending=[True, False, False])


def _summary(records_in: int, clusters: pl.DataFrame, studies: pl.DataFrame, review: pl.DataFrame,
             decisions: pl.DataFrame) -> DedupSummary:
    removed = clusters.filter(pl.col("record_id") != pl.col("study_id"))
    counts = dict(removed.group_by("method").len().iter_rows())
    person = dict(decisions.group_by("decision").len().iter_rows())
    return DedupSummary(
        records_in=records_in,
        studies=studies.height,
        duplicates_removed={m: int(counts.get(m, 0)) for m in ("identifier", "fuzzy", "person")},
        pairs_waiting=review.height,
        person_decisions={d: int(person.get(d, 0)) for d in ("duplicate", "not_duplicate")},
    )
