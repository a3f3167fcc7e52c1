"""The shipped review's full text screened entirely in the app: the sheet, `make screen` and the report agree."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from pipeline.layout import Layout
from pipeline.protocol import load
from pipeline.screen import sheets
from tests.app_helpers import Client, csrf_of, serve
from tests.test_e2e import _run, review  # noqa: F401  (the module fixture: the shipped review, run once)

pytestmark = pytest.mark.e2e


def test_screening_the_shipped_full_text_in_the_app_reaches_the_report(review: Path, tmp_path: Path) -> None:  # noqa: F811
    root = tmp_path / "review"
    shutil.copytree(review, root)
    layout = Layout.at(root)
    protocol = load(layout.protocol, root=root)
    who = protocol.reviewers["full_text"][0]
    sheet = layout.sheet("full_text", who)
    table = sheets.read_table(sheet)            # start full text afresh: the shipped sheet is already screened
    body = [["" if h in ("decision", "reason") else r.get(h, "") for h in table.header] for r in table.rows]
    sheet.write_bytes(sheets.render(table.header, body, table.delimiter))
    reasons = len(protocol.exclusion_reasons)
    typed: dict[str, tuple[str, str]] = {}
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/full_text/{who}").body)
        view = c.get(f"/api/screen/full_text/{who}/study").json()
        total = view["progress"]["total"]
        assert total > 10
        while view["study"] is not None:
            n = len(typed)
            decision, reason = ("include", "") if n < 10 else ("not retrieved", "") if n % 9 == 0 else ("exclude", str(n % reasons + 1))
            key = view["study"]["key"]
            reply = c.post(f"/api/screen/full_text/{who}/decide", {"key": key, "decision": decision, "reason": reason,
                                                                 "expected": view["study"]["cells"]}, csrf)
            assert reply.status == 200, reply.body
            typed[key], view = (decision, reason), reply.json()
    assert len(typed) == total
    _run(root, "screen")
    _run(root, "extract")       # the included studies changed: extraction follows them, then the report
    _run(root, "report")
    summary = json.loads(layout.screening_summary.read_text())["stages"]["full_text"]
    excluded = sum(d == "exclude" for d, _ in typed.values())
    assert (summary["included"], summary["excluded"], summary["pending"], summary["complete"]) == (10, excluded, 0, True)
    assert summary["not_retrieved"] == sum(d == "not retrieved" for d, _ in typed.values())
    with open(layout.report / "included.csv", encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 10
    by_reason = summary["excluded_by_reason"]
    assert sum(by_reason.values()) == excluded and set(by_reason) <= set(protocol.exclusion_reasons)
