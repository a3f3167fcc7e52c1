"""The study record takes PubMed's values first and lists every member."""

from __future__ import annotations

from pipeline.dedup.engine import dedup
from tests.dedup_helpers import frame, record


def test_canonical_record_prefers_pubmed_values_and_fills_gaps_from_members():
    pubmed = record("pubmed:555", pmid="555", journal="J Mol Cell Cardiol", abstract=None, doi=None)
    embase = record("embase:7", journal="Journal of Molecular and Cellular Cardiology", doi="10.1006/jmcc.2001.1234",
                    keywords=["rabbit"])
    studies = dedup(frame(embase, pubmed)).studies
    assert studies.height == 1
    row = studies.row(0, named=True)
    assert row["study_id"] == "pubmed:555"
    assert row["journal"] == "J Mol Cell Cardiol"
    assert row["doi"] == "10.1006/jmcc.2001.1234"
    assert row["abstract"] == embase["abstract"]
    assert row["keywords"] == ["rabbit"]
    assert row["member_ids"] == ["embase:7", "pubmed:555"]
    assert row["sources"] == ["embase", "pubmed"]
    assert row["n_members"] == 2


def test_every_record_has_one_cluster_row_and_counts_add_up():
    result = dedup(frame(record("embase:1"), record("wos:1"), record("wos:2", title="A different study of sheep", pages="1-2")))
    assert sorted(result.clusters["record_id"]) == ["embase:1", "wos:1", "wos:2"]
    s = result.summary
    assert s["records_in"] - s["studies"] == sum(s["duplicates_removed"].values()) == 1
    unique = result.clusters.filter(result.clusters["record_id"] == "wos:2").row(0, named=True)
    assert unique["method"] == "unique" and unique["score"] is None and unique["matched_to"] is None
