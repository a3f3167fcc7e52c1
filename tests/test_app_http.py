"""The screening app over HTTP: access on every route, CSRF, headers, stale sheets, full text, resolutions."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from pipeline.app.order import Orderings, Pool, Stopping, plain
from pipeline.app.server import Config, create_app
from pipeline.app.tokens import Tokens
from pipeline.screen import engine, sheets
from tests.app_helpers import Client, csrf_of, serve
from tests.fixtures.app.project import make
from tests.fixtures.screen.project import REASONS, decide, final, rows

TA, FT = "title_abstract", "full_text"


@pytest.fixture
def review(tmp_path: Path):
    return make(tmp_path, 6)


def route_paths(layout, protocol, stage: str, who: str, token: str = "nope") -> list[tuple[str, str]]:
    """(method, path) of every route the app has, with its parameters filled in."""
    app = create_app(layout, protocol)
    out = []
    for route in app.routes:
        path = route.path.replace("{stage}", stage).replace("{who}", who).replace("{token}", token).replace("{name}", "app.js")
        out += [(m, path) for m in sorted(route.methods or ["GET"]) if m != "HEAD"]
    return out


def test_with_tokens_every_route_refuses_no_token_and_another_persons_token(review) -> None:
    layout, protocol = review
    tokens = Tokens(layout.app_tokens)
    alice, bob, carol = tokens.issue("alice"), tokens.issue("bob"), tokens.issue("carol")
    routes = route_paths(layout, protocol, TA, "alice")
    assert len(routes) >= 12
    with serve(layout, protocol, Config(require_tokens=True)) as port:
        for method, path in routes:
            data = {} if method == "POST" else None
            assert Client(port).request(method, path, data).status == 401, (method, path)
            assert Client(port, "wrong-token").request(method, path, data).status == 401, (method, path)
            if "/alice" in path:
                assert Client(port, bob).request(method, path, data).status == 403, (method, path)
                assert Client(port, carol).request(method, path, data).status == 403, (method, path)
        for method, path in route_paths(layout, protocol, TA, "carol"):
            if "/resolve/" in path:
                data = {} if method == "POST" else None
                assert Client(port, alice).request(method, path, data).status == 403, (method, path)
        # The owner gets in (GET), and their writes need the page's CSRF token.
        me = Client(port, alice)
        for method, path in routes:
            if method == "GET" and "/t/" not in path and "/resolve/" not in path:
                assert me.get(path).status in (200, 204), path
        assert Client(port, carol).get(f"/resolve/{TA}/carol").status == 200
        assert Client(port, alice).get(f"/resolve/{TA}/alice").status == 403   # alice is no resolver


def test_revoking_a_token_locks_its_owner_out_of_the_running_server(review) -> None:
    layout, protocol = review
    tokens = Tokens(layout.app_tokens)
    alice = tokens.issue("alice")
    with serve(layout, protocol, Config(require_tokens=True)) as port:
        assert Client(port, alice).get(f"/screen/{TA}/alice").status == 200
        assert Tokens(layout.app_tokens).revoke("alice")
        assert Client(port, alice).get(f"/screen/{TA}/alice").status == 401


def test_the_token_file_is_private_and_holds_no_token(review) -> None:
    layout, _ = review
    token = Tokens(layout.app_tokens).issue("alice")
    assert stat.S_IMODE(layout.app_tokens.stat().st_mode) == 0o600
    assert token not in layout.app_tokens.read_text()
    assert Tokens(layout.app_tokens).who(token) == "alice" and Tokens(layout.app_tokens).who(token + "x") is None


def test_writes_need_the_csrf_token_a_json_body_and_the_same_origin(review) -> None:
    layout, protocol = review
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        url = f"/api/screen/{TA}/alice/decide"
        data = {"key": "pubmed:1", "decision": "include"}
        assert c.post(url, data).status == 403
        assert c.post(url, data, csrf_of(c.get(f"/screen/{TA}/bob").body)).status == 403   # bob's page's token
        assert c.request("POST", url, data, headers={"X-CSRF-Token": csrf, "Content-Type": "text/plain"}).status == 415
        assert c.post(url, data, csrf, headers={"Origin": "http://evil.example"}).status == 403
        assert rows(layout.sheet(TA, "alice"))[0]["decision"] == ""
        assert c.post(url, data, csrf, headers={"Origin": f"http://127.0.0.1:{port}"}).status == 200
        assert rows(layout.sheet(TA, "alice"))[0]["decision"] == "include"


def test_on_loopback_a_foreign_host_name_is_refused(review) -> None:
    layout, protocol = review
    with serve(layout, protocol) as port:
        assert Client(port, host="attacker.example").get(f"/screen/{TA}/alice").status == 400
        assert Client(port, host="localhost").get(f"/screen/{TA}/alice").status == 200


def test_every_response_carries_a_strict_content_security_policy(review) -> None:
    layout, protocol = review
    with serve(layout, protocol) as port:
        c = Client(port)
        for path in ("/", f"/screen/{TA}/alice", f"/api/screen/{TA}/alice/study", "/static/app.js", "/nowhere",
                     f"/screen/{TA}/mallory"):
            reply = c.get(path)
            csp = reply.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["referrer-policy"] == "no-referrer"
        page = c.get(f"/screen/{TA}/alice").body.decode()
        assert not re.search(r"<script>|<script [^>]*>[^<]", page)          # no inline script
        assert not re.search(r"(src|href)=\"(https?:)?//", page)            # nothing from outside


def test_a_row_changed_in_the_file_since_it_was_shown_is_not_overwritten(review) -> None:
    layout, protocol = review
    path = layout.sheet(TA, "alice")
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        shown = c.get(f"/api/screen/{TA}/alice/study").json()["study"]
        decide(path, {shown["key"]: "exclude"})          # a spreadsheet save meanwhile
        before = path.read_bytes()
        reply = c.post(f"/api/screen/{TA}/alice/decide", {"key": shown["key"], "decision": "include",
                                                          "expected": shown["cells"]}, csrf)
        assert reply.status == 409 and reply.json()["study"]["decision"] == "exclude"
        assert path.read_bytes() == before


def test_full_text_exclusions_take_a_reason_number_and_write_its_wording(tmp_path: Path) -> None:
    layout, protocol = make(tmp_path, 3, ta=("alice",), ft=("alice",))
    decide(layout.sheet(TA, "alice"), {"pubmed:1": "include", "pubmed:2": "include", "pubmed:3": "exclude"})
    engine.run(layout, protocol)
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{FT}/alice").body)
        url = f"/api/screen/{FT}/alice/decide"
        assert c.post(url, {"key": "pubmed:1", "decision": "exclude"}, csrf).status == 400        # no reason
        assert c.post(url, {"key": "pubmed:1", "decision": "exclude", "reason": "9"}, csrf).status == 400
        assert c.post(url, {"key": "pubmed:1", "decision": "exclude", "reason": "2"}, csrf).status == 200
        assert c.post(url, {"key": "pubmed:2", "decision": "not retrieved"}, csrf).status == 200
        assert c.post(url, {"key": "pubmed:3", "decision": "include"}, csrf).status == 400        # not at full text
    got = {r["record_id"]: (r["decision"], r["reason"]) for r in rows(layout.sheet(FT, "alice"))}
    assert got["pubmed:1"] == ("exclude", REASONS[1]) and got["pubmed:2"] == ("not retrieved", "")
    engine.run(layout, protocol)
    assert final(layout)["pubmed:1"]["full_text_reason"] == REASONS[1]


def test_a_resolution_from_the_app_settles_the_conflict_in_the_screen_stage(review) -> None:
    layout, protocol = review
    decide(layout.sheet(TA, "alice"), {"pubmed:1": "include", "pubmed:2": "maybe"})
    decide(layout.sheet(TA, "bob"), {"pubmed:1": "exclude"})
    with serve(layout, protocol) as port:
        c = Client(port)
        shown = c.get(f"/api/resolve/{TA}/carol").json()["conflicts"]
        assert [x["study_id"] for x in shown] == ["pubmed:1"]       # pubmed:2: bob has not screened it yet
        csrf = csrf_of(c.get(f"/resolve/{TA}/carol").body)
        url = f"/api/resolve/{TA}/carol/decide"
        assert c.post(url, {"study_id": "pubmed:2", "decision": "include"}, csrf).status == 400
        assert c.post(url, {"study_id": "pubmed:1", "decision": "maybe"}, csrf).status == 400
        assert c.post(url, {"study_id": "pubmed:1", "decision": "include", "notes": "=cmd|' /C calc'!A0"}, csrf).status == 200
        assert c.get(f"/api/resolve/{TA}/alice").status == 403
    text = (layout.screening / TA / "resolutions.csv").read_bytes().decode("utf-8-sig")
    assert "'=cmd" in text                                           # formula guard
    engine.run(layout, protocol)
    assert final(layout)["pubmed:1"]["title_abstract"] == "include"


def test_the_model_ranks_again_after_every_decision_and_the_switch_gives_sheet_order(review) -> None:
    layout, protocol = review
    calls: list[int] = []

    def backwards(pool: Pool, decided) -> list[str]:
        calls.append(len(decided))
        return list(reversed(plain(pool, decided)))

    def stopping(pool: Pool, decided) -> Stopping:
        return Stopping(f"{len(decided)} screened", "test rule", reached=len(decided) >= 2)

    config = Config(orderings=lambda protocol, stage: Orderings("test model", backwards, stopping))
    with serve(layout, protocol, config) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        view = c.get(f"/api/screen/{TA}/alice/study").json()
        keys = [r["record_id"] for r in rows(layout.sheet(TA, "alice"))]
        assert view["study"]["key"] == keys[-1]
        for _ in range(2):
            view = c.post(f"/api/screen/{TA}/alice/decide", {"key": view["study"]["key"], "decision": "exclude"}, csrf).json()
        assert view["study"]["key"] == keys[-3] and calls[-2:] == [1, 2]
        assert view["progress"]["stopping"] == {"label": "2 screened", "detail": "test rule", "reached": True}
        view = c.post(f"/api/screen/{TA}/alice/order", {"mode": "plain"}, csrf).json()
        assert view["study"]["key"] == keys[0] and view["progress"]["stopping"] is None


def test_a_sheet_saved_as_utf16_with_tabs_keeps_both(review) -> None:
    layout, protocol = review
    path = layout.sheet(TA, "alice")
    table = sheets.read_table(path)
    path.write_bytes(b"\xff\xfe" + "\r\n".join("\t".join(list(table.header))
                                               if i == 0 else "\t".join(r[h] for h in table.header)
                                               for i, r in enumerate([{}, *table.rows])).encode("utf-16-le"))
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        assert c.post(f"/api/screen/{TA}/alice/decide", {"key": "pubmed:1", "decision": "include"}, csrf).status == 200
    data = path.read_bytes()
    assert data.startswith(b"\xff\xfe") and "record_id\ttitle\tdecision" in data.decode("utf-16").splitlines()[0]
    assert sheets.read_table(path).rows[0]["decision"] == "include"


def test_a_whole_review_screened_in_the_app_is_what_the_screen_stage_counts(tmp_path: Path) -> None:
    layout, protocol = make(tmp_path, 8)
    # Each reviewer's call per study (pubmed:1..8), whatever order the app shows them in.
    calls = {"alice": ["include", "include", "exclude", "maybe", "include", "exclude", "exclude", "include"],
             "bob": ["include", "exclude", "exclude", "exclude", "include", "exclude", "include", "include"]}
    with serve(layout, protocol) as port:
        c = Client(port)

        def screen_all(stage: str, who: str, call) -> dict[str, str]:
            csrf = csrf_of(c.get(f"/screen/{stage}/{who}").body)
            view = c.get(f"/api/screen/{stage}/{who}/study").json()
            done: dict[str, str] = {}
            while view["study"] is not None:
                key = view["study"]["key"]
                decision, reason = call(key)
                reply = c.post(f"/api/screen/{stage}/{who}/decide", {"key": key, "decision": decision, "reason": reason,
                                                                     "expected": view["study"]["cells"]}, csrf)
                assert reply.status == 200, reply.body
                done[key], view = decision, reply.json()
            assert view["progress"]["screened"] == len(done)
            return done

        ta = {who: screen_all(TA, who, lambda key, who=who: (calls[who][int(key.split(":")[1]) - 1], ""))
              for who in calls}
        assert all(len(done) == 8 for done in ta.values())
        conflicts = c.get(f"/api/resolve/{TA}/carol").json()["conflicts"]
        csrf = csrf_of(c.get(f"/resolve/{TA}/carol").body)
        for conflict in conflicts:
            assert c.post(f"/api/resolve/{TA}/carol/decide", {"study_id": conflict["study_id"], "decision": "include"},
                          csrf).status == 200
        engine.run(layout, protocol)          # `make screen` while the app runs: full-text sheets appear
        # Included: both said include, or a conflict (disagreement or a maybe) that carol resolved as include.
        included = sorted(k for k, a in ta["alice"].items() if (a, ta["bob"][k]) != ("exclude", "exclude"))
        assert len(conflicts) == sum(a != ta["bob"][k] or a == "maybe" for k, a in ta["alice"].items())
        first = included[0]
        for who in ("alice", "bob"):
            done = screen_all(FT, who, lambda key: ("include", "") if key == first else ("exclude", "1"))
            assert sorted(done) == included
    engine.run(layout, protocol)
    decided = final(layout)
    assert sorted(k for k, v in decided.items() if v["title_abstract"] == "include") == included
    assert [k for k, v in decided.items() if v["full_text"] == "include"] == [first]
    assert sum(v["full_text"] == "exclude" and v["full_text_reason"] == REASONS[0] for v in decided.values()) == len(included) - 1


def test_undo_refuses_to_put_back_a_cell_changed_in_the_file_since(review) -> None:
    layout, protocol = review
    path = layout.sheet(TA, "alice")
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        assert c.post(f"/api/screen/{TA}/alice/decide", {"key": "pubmed:1", "decision": "include"}, csrf).status == 200
        decide(path, {"pubmed:1": "exclude"})          # changed in Excel after the app wrote it
        before = path.read_bytes()
        assert c.post(f"/api/screen/{TA}/alice/undo", {}, csrf).status == 409
        assert path.read_bytes() == before
        assert c.post(f"/api/screen/{TA}/alice/undo", {}, csrf).json()["message"] == "nothing to undo"


def test_by_default_the_prioritisation_model_orders_and_the_stopping_rule_is_shown(review) -> None:
    layout, protocol = review
    with serve(layout, protocol) as port:
        c = Client(port)
        csrf = csrf_of(c.get(f"/screen/{TA}/alice").body)
        view = c.get(f"/api/screen/{TA}/alice/study").json()
        assert view["progress"]["ordering"] == "prioritisation model"
        view = c.post(f"/api/screen/{TA}/alice/decide", {"key": view["study"]["key"], "decision": "include"}, csrf).json()
        stopping = view["progress"]["stopping"]
        assert stopping["label"].startswith("not met") and "95% recall" in stopping["detail"] and not stopping["reached"]
