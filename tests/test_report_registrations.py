"""An included study with a registration shows what the register says about it."""

from __future__ import annotations

import json

from pipeline.imports import ctgov_json
from pipeline.report.build import registration_text, study_view


def test_an_included_registration_shows_phase_status_enrolment_dates_and_results(fixtures):
    studies = json.loads((fixtures / "ctgov" / "studies.json").read_text(encoding="utf-8"))["studies"]
    records, regs, _ = ctgov_json.read_studies(studies, "ctgov", "f")
    by_id = {r["record_id"]: r for r in regs.iter_rows(named=True)}
    row = records.row(0, named=True) | {"study_id": "pubmed:90000001", "member_ids": ["ctgov:NCT09900001", "pubmed:90000001"],
                                        "sources": ["ctgov", "pubmed"], "n_members": 2}
    view = study_view(row, None, by_id)
    assert view["registrations"] == ["NCT09900001: PHASE2; COMPLETED; 40 enrolled (actual); 2018-03-01 to 2020-09-30; results posted"]
    assert registration_text(by_id["ctgov:NCT09900004"]) == "NCT09900004: OBSERVATIONAL; UNKNOWN; 60 enrolled (estimated); 2012-09; no results posted"
    assert study_view(row | {"member_ids": ["pubmed:90000001"]}, None, by_id)["registrations"] == []
