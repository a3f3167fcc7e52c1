"""Links out of the pipeline: identifier addresses spelled once, and only http(s)/doi links."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from pipeline import links
from pipeline.report import exports


def test_identifier_links_are_built_for_the_identifiers_a_study_has() -> None:
    assert links.identifier_links("123", "10.1/a b", None) == {
        "PubMed": "https://pubmed.ncbi.nlm.nih.gov/123/", "DOI": "https://doi.org/10.1/a%20b"}
    assert links.identifier_links(None, None, "PMC9") == {"PMC": "https://pmc.ncbi.nlm.nih.gov/articles/PMC9/"}
    assert links.doi_url("10.1002/(SICI)1097-4636(199602)30:2<173::AID-JBM5>3.0.CO;2-P").endswith(
        "10.1002/(SICI)1097-4636(199602)30:2<173::AID-JBM5>3.0.CO;2-P")


@pytest.mark.parametrize("url", ["https://example.org/a?b=1#c", "http://x.org", "HTTPS://X.ORG/"])
def test_http_and_https_links_pass(url: str) -> None:
    assert links.outbound(url) == url


def test_a_doi_reference_becomes_its_doi_org_address() -> None:
    assert links.outbound("doi:10.1/abc") == "https://doi.org/10.1/abc"


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "file:///etc/passwd",
                                 "vbscript:x", "//evil.org/x", "https://", "http://a b.org", "https://x.org/\nSet-Cookie",
                                 "doi:", "", None, 3, "http://[::1"])
def test_every_other_link_is_refused(url: object) -> None:
    assert links.outbound(url) is None


def test_the_included_exports_carry_only_allowed_links(tmp_path: Path) -> None:
    frame = pl.DataFrame({"study_id": ["s1", "s2"], "authors": [["A"], ["B"]], "year": [2020, 2021], "title": ["T", "U"],
                          "url": ["javascript:alert(1)", "https://x.org/a"], "pmid": ["1", None],
                          "doi": [None, None], "pmcid": [None, None]})
    exports.write(tmp_path, frame)
    ris = (tmp_path / "included.ris").read_text(encoding="utf-8")
    assert "javascript" not in ris and "UR  - https://pubmed.ncbi.nlm.nih.gov/1/" in ris and "UR  - https://x.org/a" in ris
    with open(tmp_path / "included.csv", encoding="utf-8-sig", newline="") as fh:
        assert [row["url"] for row in csv.DictReader(fh)] == ["", "https://x.org/a"]
