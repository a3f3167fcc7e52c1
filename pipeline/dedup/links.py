"""Reports of one study across sources: preprints joined to their journal version, registrations to
their publications (pure functions over the records, links and studies tables).

Two kinds of evidence, two outcomes:

* A preprint and its published version are the same report (`preprint_of` links, from Europe
  PMC's "Preprint of" relation): `preprint_edges` gives dedup the record pairs to merge, as it
  merges records that share a PMID.
* A trial's registration and the papers that report it are different reports of one study: they
  stay apart (their own studies in dedup, screened on their own), and `study_groups` links them by
  a shared trial registration number (the register's NCT id, PubMed's DataBank list, a number
  quoted in an abstract) or by the register listing the paper as its results
  (`registration_lists` links). The report counts included studies by these groups and reports
  by dedup's studies, as PRISMA 2020 asks.
"""

from __future__ import annotations

import polars as pl

from pipeline.contracts import LINKED_REPORTS_SCHEMA
from pipeline.dedup.cluster import UnionFind
from pipeline.records import LINK_SCHEMA

# A record naming more trial numbers than this (a review, a trial list) does not link by number.
MAX_REGISTRY_IDS = 3
ID_TYPES = ("pmid", "pmcid", "doi")


def empty_links() -> pl.DataFrame:
    return pl.DataFrame(schema=LINK_SCHEMA)


def _targets(records: pl.DataFrame, links: pl.DataFrame, relation: str) -> pl.DataFrame:
    """(record_id, target_record_id) for each link of `relation` whose identifier a record carries."""
    chosen = links.filter(pl.col("relation") == relation)
    frames = []
    for id_type in ID_TYPES:
        keyed = records.select(pl.col("record_id").alias("target_record_id"), pl.col(id_type).alias("id")).drop_nulls()
        frames.append(chosen.filter(pl.col("id_type") == id_type).join(keyed, on="id").select("record_id", "target_record_id"))
    pairs = pl.concat(frames) if frames else pl.DataFrame(schema={"record_id": pl.Utf8, "target_record_id": pl.Utf8})
    return pairs.filter(pl.col("record_id") != pl.col("target_record_id")).unique(maintain_order=True)


def preprint_edges(records: pl.DataFrame, links: pl.DataFrame) -> list[tuple[str, str]]:
    """(preprint record_id, published record_id) for every preprint whose journal version is among the records."""
    pairs = _targets(records, links, "preprint_of").sort("record_id", "target_record_id")
    return list(pairs.iter_rows())


def study_groups(records: pl.DataFrame, clusters: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """group_id, study_id, linked_by for every dedup study linked to at least one other.

    group_id is the trial registration number that links the group (the smallest when several do),
    else the first study id; linked_by says why each study is in it."""
    study_of = dict(clusters.select("record_id", "study_id").iter_rows())
    studies = sorted(set(study_of.values()))
    index = {s: k for k, s in enumerate(studies)}
    uf = UnionFind(len(studies))
    why: dict[str, list[str]] = {}
    numbers = (records.select("record_id", "registry_ids")
               .filter(pl.col("registry_ids").list.len().is_between(1, MAX_REGISTRY_IDS))
               .explode("registry_ids").rename({"registry_ids": "number"}))
    by_number: dict[str, set[str]] = {}
    for record_id, number in numbers.iter_rows():
        if record_id in study_of:
            by_number.setdefault(number, set()).add(study_of[record_id])
    for number, group in sorted(by_number.items()):
        if len(group) < 2:
            continue
        first, *rest = sorted(group)
        for other in rest:
            uf.union(index[first], index[other])
        for member in group:
            why.setdefault(member, []).append(number)
    for record_id, target in _targets(records, links, "registration_lists").iter_rows():
        a, b = study_of.get(record_id), study_of.get(target)
        if a and b and a != b:
            uf.union(index[a], index[b])
            why.setdefault(b, []).append(f"listed by {record_id}")
            why.setdefault(a, []).append(f"lists {target}")
    components: dict[int, list[str]] = {}
    for study in studies:
        components.setdefault(uf.find(index[study]), []).append(study)
    rows = []
    for members in components.values():
        if len(members) < 2:
            continue
        shared = sorted({n for m in members for n in why.get(m, []) if not n.startswith(("listed by ", "lists "))})
        group_id = shared[0] if shared else members[0]
        rows += [(group_id, m, "; ".join(dict.fromkeys(why.get(m, [])))) for m in sorted(members)]
    return pl.DataFrame(rows, schema=LINKED_REPORTS_SCHEMA, orient="row").sort("group_id", "study_id")


def group_of(groups: pl.DataFrame, study_ids: list[str]) -> dict[str, str]:
    """study_id -> the study it is a report of (its group, or itself when unlinked)."""
    known = dict(groups.select("study_id", "group_id").iter_rows())
    return {s: known.get(s, s) for s in study_ids}
