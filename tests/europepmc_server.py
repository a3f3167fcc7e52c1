"""A stand-in for Europe PMC's REST search (`/europepmc/webservices/rest/search`) on 127.0.0.1.

Built from the documented behaviour: `query`, `resultType=core`, `format=json`, `pageSize` (default
25, at most 1,000) and `cursorMark` paging (`*` first; each reply's `nextCursorMark` asks for the
next page; past the last record the result list is empty and nextCursorMark is left out). Replies
carry `version`, `hitCount`, `request` and `resultList.result`. It serves the hand-written records
in tests/fixtures/europepmc/results.json plus `count` generated ones (PMIDs 81000001..).

Besides the HTTP faults of tests/standin.py it injects, on the `search` route:
    expired    the cursorMark sent is refused (HTTP 400 with Europe PMC's JSON error shape)
    overcount  hitCount says 9 more records than it serves

In tests:   with EuropePmcServer(count=30) as server: ... server.url ... server.hits("search")
By hand:    python tests/europepmc_server.py --port 8767 --count 2500
            EUROPEPMC_API_URL=http://127.0.0.1:8767/europepmc/webservices/rest/ python -m pipeline search --source europepmc
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
from pathlib import Path
from typing import Any

from standin import HTTP_FAULTS, Reply, StandIn, command_line, words_match

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "europepmc" / "results.json"
VERSION = "6.9-standin"


def fixture_results(path: Path = FIXTURE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["result"]


def generated_result(i: int) -> dict[str, Any]:
    pmid = str(81_000_001 + i)
    return {
        "id": pmid, "source": "MED", "pmid": pmid, "doi": f"10.5555/generated.epmc.{pmid}",
        "title": f"Generated record {pmid}: mesenchymal stem cells in multiple sclerosis",
        "authorString": f"Author{i % 97} T.", "authorList": {"author": [{"fullName": f"Author{i % 97} T", "lastName": f"Author{i % 97}", "initials": "T"}]},
        "journalInfo": {"volume": str(1 + i % 30), "yearOfPublication": 1995 + i % 30, "journal": {"title": "Generated Journal of Cell Therapy"}},
        "pubYear": str(1995 + i % 30), "abstractText": f"Generated abstract {pmid}.", "language": "eng",
        "pubTypeList": {"pubType": ["Journal Article"]},
    }


def text_of(result: dict[str, Any]) -> str:
    return " ".join(str(result.get(k, "")) for k in ("title", "abstractText", "authorString", "id", "pmid", "doi"))


class EuropePmcServer(StandIn):
    """The stand-in Europe PMC; `url` is what EUROPEPMC_API_URL should be."""

    faults_known = HTTP_FAULTS + ("expired", "overcount")

    def __init__(self, count: int = 0, *, with_fixtures: bool = True, **options: Any):
        super().__init__(**options)
        self.results = (copy.deepcopy(fixture_results()) if with_fixtures else []) + [generated_result(i) for i in range(count)]
        self.cursors: dict[str, tuple[str, int]] = {}

    @property
    def url(self) -> str:
        return f"{self.origin}/europepmc/webservices/rest/"

    def route_name(self, path: str) -> str | None:
        return "search" if path.rstrip("/").endswith("/webservices/rest/search") else None

    def route(self, name: str, path: str, params: dict[str, str], fault: str | None) -> Reply:
        query = params.get("query", "")
        if not query.strip():
            return self.error(400, "query parameter is required", params)
        if params.get("format") != "json":
            return Reply(200, b"<responseWrapper/>", "application/xml")
        try:
            size = int(params.get("pageSize", 25))
        except ValueError:
            return self.error(400, "pageSize must be a number", params)
        if not 0 < size <= 1000:
            return self.error(400, "pageSize must be between 1 and 1000", params)
        cursor = params.get("cursorMark", "*")
        key = json.dumps([query, params.get("resultType", "lite"), params.get("synonym", "")])
        offset = 0
        if cursor != "*":
            known = self.cursors.get(cursor)
            if fault == "expired" or known is None or known[0] != key:
                return self.error(400, f"Invalid cursorMark: {cursor}", params)
            offset = known[1]
        found = [r for r in self.results if words_match(query, text_of(r))]
        page = found[offset:offset + size]
        if params.get("resultType") != "core":
            page = [{k: r[k] for k in ("id", "source", "pmid", "pmcid", "doi", "title", "authorString", "pubYear") if k in r} for r in page]
        body: dict[str, Any] = {"version": VERSION, "hitCount": len(found) + (9 if fault == "overcount" else 0)}
        if page:
            nxt = "AoJ" + base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()
            self.cursors[nxt] = (key, offset + len(page))
            body["nextCursorMark"] = nxt
        body["request"] = {"queryString": query, "resultType": params.get("resultType", "lite"), "cursorMark": cursor,
                           "pageSize": size, "sort": params.get("sort", ""), "synonym": params.get("synonym") == "true"}
        body["resultList"] = {"result": page}
        return Reply.json(body)

    @staticmethod
    def error(status: int, message: str, params: dict[str, str]) -> Reply:
        return Reply.json({"version": VERSION, "hitCount": 0, "request": {"queryString": params.get("query", "")},
                           "errCode": status, "errMsg": re.sub(r"\s+", " ", message)}, status)


def main() -> None:
    parser = command_line("Stand-in Europe PMC REST search on 127.0.0.1.", 8767, "search:503:2 or search:expired")
    parser.add_argument("--count", type=int, default=0, help="generated records besides the fixtures")
    args = parser.parse_args()
    server = EuropePmcServer(args.count, port=args.port)
    server.serve_by_hand(args.fault, f"stand-in Europe PMC: {len(server.results)} records at {server.url}")


if __name__ == "__main__":
    main()
