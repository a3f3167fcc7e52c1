"""Exports of included studies carry only safe links and plain text, whatever the records held."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl
import rispy

from tests.faults.helpers import run

FT_SHEET = Path("outputs/screening/full_text/example_reviewer.csv")
HOSTILE_ABSTRACT = ("<p>Results: <b>EDSS</b> improved&nbsp;<script>alert('x')</script>"
                    "<img src=x onerror=alert(1)> &lt;iframe src=javascript:alert(2)&gt;&lt;/iframe&gt;</p>")


def _single_publisher_study(root: Path) -> tuple[str, str]:
    studies = pl.read_parquet(root / "outputs/dedup/studies.parquet")
    one = studies.filter(pl.col("n_members") == 1)
    sheet = list(csv.DictReader(io.StringIO((root / FT_SHEET).read_bytes().decode("utf-8-sig"))))
    keys = {r["record_id"] for r in sheet}
    for row in one.iter_rows(named=True):
        if row["record_id"].startswith("publisher_pages:") and row["record_id"] in keys:
            return row["record_id"], row["source_record_id"]
    raise AssertionError("no single-record publisher study in the full-text sheet")


def _include_at_full_text(root: Path, record_id: str) -> None:
    path = root / FT_SHEET
    table = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    header = table[0]
    for row in table[1:]:
        if row[header.index("record_id")] == record_id:
            row[header.index("decision")] = "include"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))


def test_included_exports_hold_only_http_links_and_plain_text(project):
    record_id, ris_id = _single_publisher_study(project)
    ris = project / "queries/imports/publisher_pages.ris"
    text = ris.read_text(encoding="utf-8")
    start = text.index(f"ID  - {ris_id}\n")
    end = text.index("ER  -", start)
    block = text[start:end]
    hostile = re.sub(r"UR  - .*\n", "", block) + ("UR  - javascript:alert(document.cookie)\n"
                                                  "UR  - file:///etc/passwd\n"
                                                  f"AB  - {HOSTILE_ABSTRACT}\n")
    ris.write_text(text[:start] + hostile + text[end:], encoding="utf-8")
    for stage in ("import", "dedup", "screen"):
        code, err = run(project, stage)
        assert code == 0, err
    _include_at_full_text(project, record_id)
    for stage in ("screen", "report"):
        code, err = run(project, stage)
        assert code == 0, err
    assert "studies included" in err or "study included" in err, err

    exported = (project / "outputs/report/included.ris").read_text(encoding="utf-8")
    entries = rispy.loads(exported)
    hostile_entries = [e for e in entries if "Results: EDSS improved" in e.get("abstract", "")]
    assert len(hostile_entries) == 1          # the hostile record is among the included studies
    for entry in entries:
        for url in entry.get("urls", []):
            assert url.startswith(("https://", "http://")), url
    assert "javascript" not in exported.lower() and "file:" not in exported
    assert "<" not in exported and "&lt;" not in exported and "alert" not in exported

    table = (project / "outputs/report/included.csv").read_bytes().decode("utf-8-sig")
    assert "javascript" not in table.lower() and "<" not in table and "alert" not in table
    sheet = (project / FT_SHEET).read_bytes().decode("utf-8-sig")
    assert "<script" not in sheet and "alert(" not in sheet


def test_a_formula_reviewer_name_that_slips_past_the_protocol_is_guarded_in_conflicts_headers(project):
    import dataclasses

    from pipeline.layout import Layout
    from pipeline.protocol import load
    from pipeline.screen import engine

    layout = Layout.at(project)
    protocol = load(layout.protocol, root=project)
    hostile = dataclasses.replace(protocol, reviewers={**protocol.reviewers,
                                                       "title_abstract": ("example_reviewer", "=2+5")})
    engine.run(layout, hostile)
    header = (project / "outputs/screening/title_abstract/conflicts.csv").read_bytes().decode("utf-8-sig").split("\r\n")[0]
    assert "'=2+5" in header.split(",")
