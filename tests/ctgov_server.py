"""A stand-in for ClinicalTrials.gov's API v2 (`/api/v2/studies`, `/api/v2/version`) on 127.0.0.1.

Built from the API's documented behaviour: `query.cond`, `query.intr`, `query.term` (each an
Essie-like boolean expression; here OR-groups of phrases, ANDed), `filter.overallStatus`,
`filter.phase`, `pageSize` (default 10, at most 1,000), `pageToken` paging (every later page must
repeat the first page's parameters), `countTotal=true` (totalCount on the first page only) and
`format=json`. The last page has no `nextPageToken`. It serves the hand-written records in
tests/fixtures/ctgov/studies.json plus `count` generated ones (NCT098xxxxx).

Besides the HTTP faults of tests/standin.py it injects, on the `studies` route:
    expired    the pageToken sent is refused as expired (HTTP 400, text body naming pageToken)
    overcount  totalCount says 7 more studies than it serves

In tests:   with CtgovServer(count=25) as server: ... server.url ... server.hits("studies")
By hand:    python tests/ctgov_server.py --port 8766 --count 2500
            CTGOV_API_URL=http://127.0.0.1:8766/api/v2/ python -m pipeline search --source ctgov
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
from pathlib import Path
from typing import Any

from standin import HTTP_FAULTS, Reply, StandIn, command_line, words_match

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "ctgov" / "studies.json"
API_VERSION = "2.0.5-standin"
DATA_TIMESTAMP = "2026-11-30T09:00:05"
PAGING = ("pageToken", "pageSize", "countTotal")


def fixture_studies(path: Path = FIXTURE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["studies"]


def generated_study(i: int) -> dict[str, Any]:
    """A plain MSC-in-MS registration, NCT09800001 onwards."""
    nct = f"NCT098{i + 1:05d}"
    statuses = ("COMPLETED", "RECRUITING", "TERMINATED", "WITHDRAWN", "UNKNOWN")
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": f"Generated mesenchymal stem cell trial {i + 1} in multiple sclerosis"},
            "statusModule": {"overallStatus": statuses[i % len(statuses)], "startDateStruct": {"date": f"{2005 + i % 20}-0{1 + i % 9}"}},
            "conditionsModule": {"conditions": ["Multiple Sclerosis"]},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": [("PHASE1", "PHASE2", "PHASE3")[i % 3]],
                             "enrollmentInfo": {"count": 10 + i % 90, "type": "ACTUAL"}},
            "armsInterventionsModule": {"interventions": [{"type": "BIOLOGICAL", "name": "Mesenchymal stem cells"}]},
        },
        "hasResults": i % 4 == 0,
    }


def searchable(study: dict[str, Any]) -> dict[str, str]:
    p = study["protocolSection"]
    ident, cond = p.get("identificationModule", {}), p.get("conditionsModule", {})
    intr = p.get("armsInterventionsModule", {}).get("interventions", [])
    cond_text = " ".join(cond.get("conditions", []) + cond.get("keywords", []))
    intr_text = " ".join(i.get("name", "") + " " + " ".join(i.get("otherNames", [])) for i in intr)
    summary = p.get("descriptionModule", {}).get("briefSummary", "")
    titles = f"{ident.get('briefTitle', '')} {ident.get('officialTitle', '')}"
    return {"cond": cond_text, "intr": intr_text, "term": f"{titles} {cond_text} {intr_text} {summary} {ident.get('nctId')}"}


class CtgovServer(StandIn):
    """The stand-in registry; `url` is what CTGOV_API_URL should be."""

    faults_known = HTTP_FAULTS + ("expired", "overcount")

    def __init__(self, count: int = 0, *, with_fixtures: bool = True, **options: Any):
        super().__init__(**options)
        self.studies = (copy.deepcopy(fixture_studies()) if with_fixtures else []) + [generated_study(i) for i in range(count)]
        self.tokens: dict[str, tuple[str, int]] = {}     # token -> (query key, offset)

    @property
    def url(self) -> str:
        return f"{self.origin}/api/v2/"

    def route_name(self, path: str) -> str | None:
        if path.rstrip("/").endswith("/api/v2/studies"):
            return "studies"
        if path.rstrip("/").endswith("/api/v2/version"):
            return "version"
        return None

    def route(self, name: str, path: str, params: dict[str, str], fault: str | None) -> Reply:
        if name == "version":
            return Reply.json({"apiVersion": API_VERSION, "dataTimestamp": DATA_TIMESTAMP})
        return self.search(params, fault)

    def matches(self, params: dict[str, str]) -> list[dict[str, Any]]:
        found = []
        statuses = {s for s in params.get("filter.overallStatus", "").split(",") if s}
        phases = {s for s in params.get("filter.phase", "").split(",") if s}
        for study in self.studies:
            text = searchable(study)
            if not all(words_match(params[f"query.{k}"], text[k]) for k in ("cond", "intr", "term") if params.get(f"query.{k}")):
                continue
            p = study["protocolSection"]
            if statuses and p["statusModule"].get("overallStatus") not in statuses:
                continue
            if phases and not phases & set(p.get("designModule", {}).get("phases", [])):
                continue
            found.append(study)
        return found

    def search(self, params: dict[str, str], fault: str | None) -> Reply:
        if params.get("format", "json") != "json":
            return Reply.text("stand-in serves format=json only", 400)
        try:
            size = int(params.get("pageSize", 10))
        except ValueError:
            return Reply.text("Parameter `pageSize` has incorrect format", 400)
        if not 0 < size <= 1000:
            return Reply.text("Parameter `pageSize` must be between 1 and 1000", 400)
        key = json.dumps({k: v for k, v in sorted(params.items()) if k not in PAGING})
        offset = 0
        token = params.get("pageToken")
        if token:
            known = self.tokens.get(token)
            if fault == "expired" or known is None:
                self.tokens.pop(token, None)
                return Reply.text(f"Parameter `pageToken` is expired or invalid: {token}", 400)
            if known[0] != key:
                return Reply.text("Parameters of a later page must be the same as for the first page", 400)
            offset = known[1]
        found = self.matches(params)
        page = found[offset:offset + size]
        body: dict[str, Any] = {}
        if params.get("countTotal", "").lower() == "true" and not token:
            body["totalCount"] = len(found) + (7 if fault == "overcount" else 0)
        body["studies"] = page
        if offset + size < len(found):
            nxt = base64.urlsafe_b64encode(secrets.token_bytes(9)).decode().rstrip("=")
            self.tokens[nxt] = (key, offset + size)
            body["nextPageToken"] = nxt
        return Reply.json(body)


def main() -> None:
    parser = command_line("Stand-in ClinicalTrials.gov API v2 on 127.0.0.1.", 8766, "studies:503:2 or studies:expired")
    parser.add_argument("--count", type=int, default=0, help="generated studies besides the fixtures")
    args = parser.parse_args()
    server = CtgovServer(args.count, port=args.port)
    server.serve_by_hand(args.fault, f"stand-in ClinicalTrials.gov: {len(server.studies)} studies at {server.url}")


if __name__ == "__main__":
    main()
