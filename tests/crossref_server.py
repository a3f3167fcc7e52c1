"""A stand-in for Crossref's REST API (`/works/{doi}`) on 127.0.0.1.

Built from the documented behaviour: `GET /works/{doi}` answers
`{"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": {...}}`, a DOI
Crossref does not know answers HTTP 404 with the text body `Resource not found.`; DOIs are matched
case-insensitively. Polite clients send `mailto` (recorded in each hit's params). It serves the
hand-written works in tests/fixtures/crossref/works.json (`updated-by` on works that were
retracted, corrected or given an expression of concern; `update-to` on the notices).

Faults are those of tests/standin.py, on the `works` route.

In tests:   with CrossrefServer() as server: ... server.url ... server.hits("works")
By hand:    python tests/crossref_server.py --port 8768
            CROSSREF_API_URL=http://127.0.0.1:8768/ CONTACT_EMAIL=me@example.org python -m pipeline check
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from standin import Reply, StandIn, command_line

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "crossref" / "works.json"


def fixture_works(path: Path = FIXTURE) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["works"]


class CrossrefServer(StandIn):
    """The stand-in Crossref; `url` is what CROSSREF_API_URL should be."""

    def __init__(self, works: list[dict[str, Any]] | None = None, **options: Any):
        super().__init__(**options)
        self.works = {w["DOI"].lower(): w for w in (works if works is not None else copy.deepcopy(fixture_works()))}

    @property
    def url(self) -> str:
        return f"{self.origin}/"

    def route_name(self, path: str) -> str | None:
        return "works" if path.startswith("/works/") and len(path) > len("/works/") else None

    def route(self, name: str, path: str, params: dict[str, str], fault: str | None) -> Reply:
        doi = path[len("/works/"):].lower()
        work = self.works.get(doi)
        if work is None:
            return Reply.text("Resource not found.", 404)
        return Reply.json({"status": "ok", "message-type": "work", "message-version": "1.0.0", "message": work})


def main() -> None:
    parser = command_line("Stand-in Crossref REST API (/works/{doi}) on 127.0.0.1.", 8768, "works:429:2",
                          metavar="works:KIND[:TIMES]")
    args = parser.parse_args()
    server = CrossrefServer(port=args.port)
    server.serve_by_hand(args.fault, f"stand-in Crossref: {len(server.works)} works at {server.url}")


if __name__ == "__main__":
    main()
