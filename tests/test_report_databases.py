"""PRISMA identification by database: sources sharing a database (date slices, a search rerun) make one
line of the flow diagram with their sum; the search log and sources.json keep every source's number."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.contracts import SourceEntry, SourceState, SourceType
from pipeline.errors import PipelineError
from pipeline.layout import Layout
from pipeline.protocol import load
from pipeline.report import browser, inputs
from pipeline.report.build import build
from pipeline.report.counts import DatabaseCount, PrismaCounts, compute, database_lines, slug
from tests.fixtures.report.stage_files import PROTOCOL, write_stage_files

SVG = "{http://www.w3.org/2000/svg}"
PUBMED, IMPORT, NOT_SEARCHED = SourceType.PUBMED, SourceType.IMPORT, SourceState.NOT_SEARCHED


def _import(name: str, kind: str, database: str, searched: str = "2025-02-01", **extra) -> SourceEntry:
    return SourceEntry(name, IMPORT, kind, database, file=f"queries/imports/{name}.ris", format="ris",
                       sha256="ab" * 32, encoding="utf-8", searched=searched, **extra)


# Three Scopus date slices, a 2021 and a 2023 PubMed search, Web of Science half searched, Embase not at all;
# two ClinicalTrials.gov exports and WHO ICTRP; two website searches and citation searching.
SHARED = [
    _import("scopus_2019", "database", "Scopus", "2025-02-01"),
    _import("scopus_2021", "database", "Scopus", "2025-02-02"),
    _import("scopus_2023", "database", "scopus ", "2025-02-03"),      # spelt differently: still Scopus
    SourceEntry("pubmed_2021", PUBMED, "database", "PubMed", date="2021-03-01T10:00:00Z", count_reported=3, retrieved=3),
    SourceEntry("pubmed_2023", PUBMED, "database", "PubMed", date="2023-05-02T10:00:00Z", count_reported=2, retrieved=2),
    _import("wos_a", "database", "Web of Science"),
    _import("wos_b", "database", "Web of Science", "", status=NOT_SEARCHED),
    _import("embase", "database", "Embase", "", status=NOT_SEARCHED),
    _import("ctgov_2021", "register", "ClinicalTrials.gov", "2021-03-01"),
    _import("ctgov_2023", "register", "ClinicalTrials.gov", "2023-05-02"),
    _import("ictrp", "register", "WHO ICTRP"),
    _import("web_publishers", "other", "Publisher websites"),
    _import("web_publishers_update", "other", "Publisher websites"),
    _import("citations", "other", "Citation searching of included studies"),
]
RECORDS = {"scopus_2019": 4, "scopus_2021": 3, "scopus_2023": 2, "pubmed_2021": 3, "pubmed_2023": 2, "wos_a": 2,
           "ctgov_2021": 2, "ctgov_2023": 1, "ictrp": 1, "web_publishers": 2, "web_publishers_update": 1,
           "citations": 1}


def studies() -> list[dict]:
    """One study per record, except overlapping slices and reruns: their shared records are duplicates."""
    out = []
    for source, n in RECORDS.items():
        for i in range(n):
            out.append({"members": [(source, str(i), None)], "ta": "include", "ft": "include" if i == 0 else "exclude",
                        "reason": None if i == 0 else "Wrong outcomes"})
    for dup, of in (("scopus_2021", "scopus_2019"), ("pubmed_2023", "pubmed_2021"), ("ctgov_2023", "ctgov_2021")):
        first = next(s for s in out if s["members"][0][0] == of)
        first["members"].append((dup, "dup", "identifier"))
    return out


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return write_stage_files(tmp_path / "outputs", studies(), SHARED)


def counts_of(layout: Layout) -> PrismaCounts:
    files = inputs.load(layout)
    return compute(files.sources, files.records, files.clusters, files.final, files.dedup_summary,
                   files.screening_summary)


def listed(layout: Layout) -> list[dict]:
    """sources.json as the import stage wrote it."""
    return json.loads(layout.records_sources.read_text())["sources"]


def sums_by_database(layout: Layout, kind: str) -> dict[str, int | None]:
    """What each database line must show, from sources.json: its searched sources' records summed."""
    out: dict[str, int | None] = {}
    for s in listed(layout):
        if s["kind"] == kind:
            key = s["database"].strip().casefold()
            searched = s["status"] != NOT_SEARCHED
            out[key] = (out.get(key) or 0) + s["records"] if searched else out.get(key)
    return out


def lines_of(counts: PrismaCounts, column: str) -> list[DatabaseCount]:
    col = counts.dbr if column == "dbr" else counts.other
    assert col is not None
    return [db for group in col.groups for db in group.databases]


def test_sources_sharing_a_database_make_one_line_with_their_sum(layout: Layout) -> None:
    databases = next(g for g in counts_of(layout).dbr.groups if g.name == "Databases").databases
    assert {db.label.casefold(): db.n for db in databases} == sums_by_database(layout, "database")
    scopus = next(db for db in databases if db.label == "Scopus")
    assert [s.name for s in scopus.sources] == ["scopus_2019", "scopus_2021", "scopus_2023"]


def test_different_databases_stay_separate_lines(layout: Layout) -> None:
    databases = next(g for g in counts_of(layout).dbr.groups if g.name == "Databases").databases
    assert [db.label for db in databases] == ["Scopus", "PubMed", "Web of Science", "Embase"]
    assert len({db.key for db in databases}) == len(databases)


def test_registers_sharing_a_database_sum_into_one_line(layout: Layout) -> None:
    registers = next(g for g in counts_of(layout).dbr.groups if g.name == "Registers")
    assert {db.label.casefold(): db.n for db in registers.databases} == sums_by_database(layout, "register")
    assert registers.n == sum(n or 0 for n in sums_by_database(layout, "register").values())


def test_other_methods_sharing_a_database_sum_into_one_line(layout: Layout) -> None:
    other = lines_of(counts_of(layout), "other")
    assert {db.label.casefold(): db.n for db in other} == sums_by_database(layout, "other")
    assert [(db.label, db.group) for db in other] == [("Publisher websites", "Websites"),
                                                     ("Citation searching of included studies", "Citation searching")]


def test_a_database_not_searched_yet_is_shown_as_such_and_a_half_searched_one_says_so(layout: Layout) -> None:
    expected = counts_of(layout).expected()
    assert expected["dbr.database.embase"].text() == "not searched yet"
    wos = expected["dbr.database.web-of-science"]
    assert isinstance(wos, DatabaseCount) and wos.waiting == ("wos_b",)
    assert wos.text() == f"n = {wos.n}; 1 source not searched yet"


def test_identity_checks_hold_and_every_source_is_checked_against_sources_json(layout: Layout) -> None:
    counts = counts_of(layout)
    for col in counts.columns:
        assert col.identified == sum(db.n or 0 for db in lines_of(counts, col.key))
        assert col.screened == col.identified - col.removed
    assert {name: listed_n for name, listed_n, _ in counts.per_source_check} == {s["name"]: s["records"] for s in listed(layout)}


def test_one_slice_disagreeing_with_sources_json_still_names_that_source(layout: Layout) -> None:
    data = json.loads(layout.records_sources.read_text())
    entry = next(s for s in data["sources"] if s["name"] == "scopus_2021")
    entry["records"] += 5
    layout.records_sources.write_text(json.dumps(data))
    with pytest.raises(PipelineError, match=r"source 'scopus_2021': sources.json says \d+ records"):
        counts_of(layout)


def test_keys_are_per_database_unique_and_do_not_depend_on_source_names() -> None:
    sources = [_import("a", "database", "Web of Science"), _import("b", "database", "Web-of-Science"),
               _import("c", "register", "Web of Science"), _import("d", "other", "Web of Science")]
    keys = [(column, db.key) for column, db in database_lines(sources)]
    assert keys == [("dbr", "web-of-science"), ("dbr", "web-of-science-2"), ("dbr", "web-of-science-3"),
                    ("other", "web-of-science")]
    renamed = [replace(s, name=s.name + "_renamed") for s in sources]
    assert [(c, db.key) for c, db in database_lines(renamed)] == keys
    assert slug("ClinicalTrials.gov") == "clinicaltrials-gov" and slug("Ålands Web, 2") == "alands-web-2"


def _box(svg: Path, node: str) -> tuple[str, list[str]]:
    """One diagram box: its text as a reader sees it (wrapped lines joined), and its numbers' keys."""
    root = ET.parse(svg).getroot()
    box = next(g for g in root.iter(f"{SVG}g") if g.get("data-node") == node)
    text = " ".join("".join(t.itertext()) for t in box.iter(f"{SVG}text"))
    return text, [t.get("data-count") or "" for t in box.iter(f"{SVG}tspan") if t.get("data-count")]


def test_the_svg_shows_one_line_per_database(layout: Layout, tmp_path: Path) -> None:
    build(layout, load(PROTOCOL, root=tmp_path))
    counts = counts_of(layout)
    for column in ("dbr", "other"):
        text, keys = _box(layout.prisma_svg, f"{column}_identified")
        for db in lines_of(counts, column):
            assert text.count(f"{db.label} (") == 1 and f"{db.label} ({db.text()})" in text, text
        shown = [k for k in dict.fromkeys(keys) if ".database." in k]
        assert shown == [f"{column}.database.{db.key}" for db in lines_of(counts, column)]
    svg = layout.prisma_svg.read_text()
    assert not [s.name for s in SHARED if "_" in s.name and s.name in svg]   # sources are not lines


def test_the_svg_numbers_are_exactly_the_computed_ones_without_an_other_removed_box(layout: Layout,
                                                                                    tmp_path: Path) -> None:
    report = build(layout, load(PROTOCOL, root=tmp_path))
    assert report.counts.other is not None and not report.counts.other.removed
    root = ET.parse(layout.prisma_svg).getroot()
    shown = {t.get("data-count") for t in root.iter(f"{SVG}tspan") if t.get("data-count")}
    assert shown == set(report.counts.expected())
    assert "other_removed" not in {g.get("data-node") for g in root.iter(f"{SVG}g")}


class _Table(HTMLParser):
    """Rows of the page's search-log table as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.inside = self.cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "search-log") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.rows[-1].append("")
            self.cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag in ("td", "th"):
            self.cell = False

    def handle_data(self, data: str) -> None:
        if self.inside and self.cell:
            self.rows[-1][-1] += data


def test_the_search_log_lists_every_source_with_its_date_and_count(layout: Layout, tmp_path: Path) -> None:
    build(layout, load(PROTOCOL, root=tmp_path))
    table = _Table()
    table.feed(layout.report_index.read_text())
    by_name = {row[0]: row[1:] for row in table.rows[1:] if len(row) == 3}
    for s in listed(layout):
        searched = s.get("searched") or (s.get("date") or "")[:10]
        records = "not searched yet" if s["status"] == NOT_SEARCHED else str(s["records"])
        assert by_name[s["name"]] == ["not yet" if s["status"] == NOT_SEARCHED else searched, records], s["name"]
    totals = [row for row in table.rows[1:] if len(row) == 2]
    scopus = next(row for row in totals if row[0].startswith("Scopus"))
    assert scopus[1] == str(sums_by_database(layout, "database")["scopus"])


def test_prisma_csv_lists_databases_with_their_sums_and_sources_in_the_tooltip(layout: Layout, tmp_path: Path) -> None:
    build(layout, load(PROTOCOL, root=tmp_path))
    rows = {r["data"]: r for r in csv.DictReader(layout.prisma_csv.read_text().splitlines())}
    counts = counts_of(layout)
    for data, group in (("database_specific_results", "Databases"), ("register_specific_results", "Registers")):
        databases = next(g for g in counts.dbr.groups if g.name == group).databases
        assert rows[data]["n"] == "; ".join(f"{db.label}, {db.n}" for db in databases if db.n is not None)
    tooltip = rows["database_specific_results"]["tooltips"]
    assert "not searched yet: Web of Science (wos_b); Embase" in tooltip
    assert "Scopus: scopus_2019 " in tooltip and " + scopus_2023 " in tooltip


@pytest.mark.browser
def test_shared_databases_read_back_in_the_browser_and_fit_a_phone(layout: Layout, tmp_path: Path,
                                                                   chromium: Path) -> None:
    report = build(layout, load(PROTOCOL, root=tmp_path))
    result = browser.check(report.index, report.counts.expected())
    assert result.problems == []
    databases = {(s.kind, s.database.strip().casefold()) for s in SHARED}
    assert sum(1 for k in report.counts.expected() if ".database." in k) == len(databases)
