"""The screening app in real headless Chromium: keys, undo, reload, two reviewers, tokens, XSS, edits, kill -9."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.app.server import Config
from pipeline.app.tokens import Tokens
from pipeline.report.browser import ARGS
from pipeline.screen import sheets
from tests.app_helpers import Process, serve
from tests.fixtures.app.project import XSS_TITLE, make
from tests.fixtures.screen.project import rows

pytestmark = pytest.mark.browser
TA = "title_abstract"


class Watch:
    """A page's console errors and every request that would leave the app's server (blocked)."""

    def __init__(self, page, port: int):
        self.errors: list[str] = []
        self.outside: list[str] = []
        origin = f"http://127.0.0.1:{port}/"
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

        def guard(route, request) -> None:
            if request.url.startswith(origin):
                route.continue_()
            else:
                self.outside.append(request.url)
                route.abort()

        page.route("**/*", guard)


@pytest.fixture
def browser(chromium: Path) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def open_screen(browser, port: int, who: str = "alice", stage: str = TA):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch = Watch(page, port)
    page.goto(f"http://127.0.0.1:{port}/screen/{stage}/{who}")
    page.wait_for_selector("body[data-ready='1']")
    return page, watch


def current(page) -> str:
    return page.get_attribute("#study", "data-key") or ""


def screened(page) -> int:
    return int(page.inner_text("#progress-text").split(" of ")[0])


def press(page, key: str) -> None:
    """Press a decision key and wait until the page has moved on (the decision is saved by then)."""
    before = screened(page)
    page.keyboard.press(key)
    page.wait_for_function(f"() => parseInt(document.getElementById('progress-text').textContent) !== {before}")


def decisions(path: Path) -> dict[str, str]:
    return {r["record_id"]: r["decision"] for r in rows(path) if r["decision"]}


def test_twenty_studies_by_keyboard_then_undo_and_reload_leave_the_sheet_exactly_as_typed(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 20)
    sheet = layout.sheet(TA, "alice")
    before = sheets.read_table(sheet)
    with serve(layout, protocol) as port:
        page, watch = open_screen(browser, port)
        typed: dict[str, str] = {}
        for i in range(20):
            key, word = current(page), ["include", "exclude", "maybe"][i % 3]
            assert key and key not in typed
            press(page, word[0].upper() if i % 2 else word[0])   # upper and lower case both work
            typed[key] = word
            assert decisions(sheet) == typed                     # saved before the page moved on
        assert "All studies screened" in page.inner_text("#study")
        last = list(typed)[-1]
        page.keyboard.press("u")
        page.wait_for_function(f"() => document.getElementById('study').dataset.key === {last!r}")
        del typed[last]
        assert decisions(sheet) == typed
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert current(page) == last and screened(page) == 19
        assert watch.errors == [] and watch.outside == []
    # Exactly the sheet as read, with only the decision cells typed: same bytes as the screen stage writes.
    expected = [[typed.get(r["record_id"], "") if h == "decision" else r.get(h, "") for h in before.header] for r in before.rows]
    assert sheet.read_bytes() == sheets.render(before.header, expected, before.delimiter)


def test_two_reviewers_at_once_each_see_and_write_only_their_own_sheet(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 8)
    with serve(layout, protocol) as port:
        alice, _ = open_screen(browser, port, "alice")
        bob, _ = open_screen(browser, port, "bob")
        first = current(alice)
        assert current(bob) == first
        for _ in range(4):
            press(alice, "i")
            press(bob, "e")
        assert screened(alice) == screened(bob) == 4
        alice.keyboard.press("ArrowLeft")
        alice.wait_for_function("() => document.getElementById('yours').textContent.includes('include')")
        assert "exclude" not in alice.inner_text("#study")   # bob's call on the same study is not shown
    assert set(decisions(layout.sheet(TA, "alice")).values()) == {"include"}
    assert set(decisions(layout.sheet(TA, "bob")).values()) == {"exclude"}
    assert len(decisions(layout.sheet(TA, "alice"))) == len(decisions(layout.sheet(TA, "bob"))) == 4


def test_resolver_sees_both_calls_only_once_both_screened_and_writes_resolutions(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 6)
    with serve(layout, protocol) as port:
        alice, _ = open_screen(browser, port, "alice")
        bob, _ = open_screen(browser, port, "bob")
        press(alice, "i")
        press(alice, "i")
        press(bob, "e")           # the first study: alice include, bob exclude -> a conflict
        page = browser.new_context().new_page()
        watch = Watch(page, port)
        page.goto(f"http://127.0.0.1:{port}/resolve/{TA}/carol")
        page.wait_for_selector("body[data-ready='1']")
        cards = page.locator("article.conflict")
        assert cards.count() == 1    # the second study: only alice has screened it, so it is not shown
        text = cards.first.inner_text()
        assert "include" in text and "exclude" in text
        cards.first.locator("[data-decision=include]").click()
        page.wait_for_selector("article.conflict.resolved")
        assert watch.errors == []
    assert [(r["decision"], r["resolved_by"]) for r in rows(layout.screening / TA / "resolutions.csv")] == [("include", "carol")]


def test_secret_links_open_only_their_owners_pages(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 4)
    tokens = Tokens(layout.app_tokens)
    alice_token = tokens.issue("alice")
    with serve(layout, protocol, Config(require_tokens=True)) as port:
        context = browser.new_context()
        page = context.new_page()
        base = f"http://127.0.0.1:{port}"
        assert page.goto(f"{base}/screen/{TA}/alice").status == 401
        assert page.goto(f"{base}/t/not-a-token").status == 401
        page.goto(f"{base}/t/{alice_token}")             # sets the cookie, then the start page
        assert page.url == base + "/" and "alice: title/abstract" in page.inner_text("main")
        assert "bob" not in page.inner_text("main")
        page.click("text=alice: title/abstract")
        page.wait_for_selector("body[data-ready='1']")
        press(page, "i")
        assert page.goto(f"{base}/screen/{TA}/bob").status == 403
        assert page.goto(f"{base}/resolve/{TA}/carol").status == 403
        tokens.revoke("alice")
        assert page.goto(f"{base}/screen/{TA}/alice").status == 401
    assert len(decisions(layout.sheet(TA, "alice"))) == 1


def test_a_hostile_title_is_shown_as_text(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 4)
    with serve(layout, protocol) as port:
        page, watch = open_screen(browser, port)
        page.goto(f"http://127.0.0.1:{port}/screen/{TA}/alice")
        page.wait_for_selector("body[data-ready='1']")
        while "Study number" in page.inner_text("#title") and current(page) != "pubmed:3":
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(50)
        assert current(page) == "pubmed:3"
        assert page.inner_text("#title") == XSS_TITLE
        assert page.locator("#title img, #title script").count() == 0
        assert page.evaluate("window.pwned") is None
        page.keyboard.press("ArrowRight")                    # pubmed:4: a javascript: url and a retraction
        page.wait_for_function("() => document.getElementById('study').dataset.key === 'pubmed:4'")
        hrefs = page.eval_on_selector_all("#study a", "els => els.map(e => e.href)")
        assert hrefs and all(h.startswith("https://") for h in hrefs)
        assert "Retracted" in page.inner_text("#study")
        assert page.locator("#abstract mark.hl-include").count() >= 2
        assert page.locator("#abstract mark.hl-exclude").count() == 1
        assert watch.errors == [] and watch.outside == []


def test_the_sheet_edited_on_disk_while_the_page_is_open_is_reread_never_overwritten(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 6)
    sheet = layout.sheet(TA, "alice")
    with serve(layout, protocol) as port:
        page, _ = open_screen(browser, port)
        press(page, "i")
        shown = current(page)
        # The reviewer edits the sheet in a spreadsheet meanwhile: a decision lower down, a note, a ';' re-save.
        table = sheets.read_table(sheet)
        edited = [dict(r) for r in table.rows]
        other = next(r for r in edited if r["record_id"] not in (shown,) and not r["decision"])
        other["decision"], other["notes"] = "exclude", "decided in Excel"
        sheet.write_bytes(sheets.render(table.header, [[r[h] for h in table.header] for r in edited], ";"))
        press(page, "m")                      # saved on top of the re-read file
        got = {r["record_id"]: r for r in rows_semicolon(sheet)}
        assert got[shown]["decision"] == "maybe"
        assert (got[other["record_id"]]["decision"], got[other["record_id"]]["notes"]) == ("exclude", "decided in Excel")
        assert "record_id;title;decision" in sheet.read_bytes().decode("utf-8-sig").splitlines()[0]
        # Now the study on screen is decided in the file too: the page's key press must not overwrite it.
        now = current(page)
        table = sheets.read_table(sheet)
        edited = [dict(r) for r in table.rows]
        next(r for r in edited if r["record_id"] == now)["decision"] = "exclude"
        sheet.write_bytes(sheets.render(table.header, [[r[h] for h in table.header] for r in edited], ";"))
        page.keyboard.press("i")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('nothing was overwritten')")
        assert {r["record_id"]: r["decision"] for r in rows_semicolon(sheet)}[now] == "exclude"
        assert "exclude" in page.inner_text("#yours")


def rows_semicolon(path: Path) -> list[dict[str, str]]:
    return sheets.read_table(path).rows


def test_killing_the_server_between_decisions_loses_nothing_whose_page_advanced(tmp_path: Path, browser) -> None:
    layout, _protocol = make(tmp_path, 10)
    sheet = layout.sheet(TA, "alice")
    server = Process(tmp_path).start()
    try:
        page, _ = open_screen(browser, server.port)
        typed = []
        for _ in range(3):
            typed.append(current(page))
            press(page, "e")
        server.kill()
        assert sorted(decisions(sheet)) == sorted(typed)
        page.keyboard.press("i")                  # the server is gone: the page says so and stays
        page.wait_for_function("() => document.getElementById('status').textContent.includes('Not saved')")
        assert current(page) not in typed
        server = _restart(server)
        page.goto(f"http://127.0.0.1:{server.port}/screen/{TA}/alice")
        page.wait_for_selector("body[data-ready='1']")
        assert screened(page) == 3
        typed.append(current(page))
        press(page, "i")
        assert decisions(sheet) == {**dict.fromkeys(typed[:3], "exclude"), typed[3]: "include"}
    finally:
        server.stop()


def _restart(old: Process) -> Process:
    new = Process(old.root)
    new.port = old.port
    with contextlib.suppress(Exception):
        old.stop()
    return new.start()


def test_full_text_keys_reason_numbers_notes_buttons_and_help(tmp_path: Path, browser) -> None:
    layout, protocol = make(tmp_path, 4, ta=("alice",), ft=("alice",))
    from tests.fixtures.screen.project import REASONS, decide

    decide(layout.sheet(TA, "alice"), dict.fromkeys(["pubmed:1", "pubmed:2", "pubmed:3", "pubmed:4"], "include"))
    from pipeline.screen import engine

    engine.run(layout, protocol)
    sheet = layout.sheet("full_text", "alice")
    with serve(layout, protocol) as port:
        page, watch = open_screen(browser, port, stage="full_text")
        first = current(page)
        page.keyboard.press("n")
        page.keyboard.type("checked the PDF; dose unclear")
        page.keyboard.press("Control+Enter")
        page.wait_for_function("() => document.querySelector('.note') !== null")
        assert current(page) == first                       # a note does not move on
        press(page, "2")                                    # exclude, reason 2
        second = current(page)
        press(page, "r")                                    # not retrieved
        third = current(page)
        page.keyboard.press("e")                            # exclude asks for the reason first
        page.wait_for_function("() => document.getElementById('status').textContent.includes('press the number')")
        before = screened(page)
        page.click("#reasons button[data-reason='3']")
        page.wait_for_function(f"() => parseInt(document.getElementById('progress-text').textContent) !== {before}")
        before = screened(page)
        page.click("button[data-act='include']")
        page.wait_for_function(f"() => parseInt(document.getElementById('progress-text').textContent) !== {before}")
        page.keyboard.press("?")
        assert page.locator("dialog#help").is_visible()
        assert watch.errors == []
    got = {r["record_id"]: (r["decision"], r["reason"], r["notes"]) for r in rows(sheet)}
    assert got[first] == ("exclude", REASONS[1], "checked the PDF; dose unclear")
    assert got[second] == ("not retrieved", "", "")
    assert got[third] == ("exclude", REASONS[2], "")
    assert sorted(d for d, _, _ in got.values()) == ["exclude", "exclude", "include", "not retrieved"]
