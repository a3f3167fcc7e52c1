"""Take docs/app.png: the screening app on the shipped review, part-way through, in headless Chromium.

Run after `make review`: `.venv/bin/python tools/app_screenshot.py [--decisions 40]`. It copies the
project's `queries/` and `outputs/` into a temporary folder, empties the example reviewer's
title/abstract calls there, and makes the first `--decisions` of them again through the app (the
shipped call for each study the app puts first), so the bar shows real progress and the stopping
rule's state after those calls. The project's own sheets are only read. The app's server runs in
this process on a free loopback port.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.app.server import create_app  # noqa: E402
from pipeline.files import write_bytes_atomic  # noqa: E402
from pipeline.layout import Layout  # noqa: E402
from pipeline.protocol import load  # noqa: E402
from pipeline.report.browser import ARGS, chromium  # noqa: E402
from pipeline.screen import sheets  # noqa: E402

STAGE = "title_abstract"
KEYS = {"include": "i", "exclude": "e", "maybe": "m"}


def blank_calls(sheet: Path) -> dict[str, str]:
    """Empty the decision, reason and notes cells of a (copied) sheet; the calls it held, by record key."""
    table = sheets.read_table(sheet)
    calls = {row["record_id"]: row["decision"].strip().lower() for row in table.rows if row.get("decision", "").strip()}
    body = [["" if h in ("decision", "reason", "notes") else row.get(h, "") for h in table.header] for row in table.rows]
    write_bytes_atomic(sheet, sheets.render(table.header, body, table.delimiter, table.encoding))
    return calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decisions", type=int, default=40, help="calls to make through the app before the picture")
    args = parser.parse_args(argv)
    if not Layout.at(ROOT).studies.exists():
        raise SystemExit(f"{Layout.at(ROOT).studies} is missing: run `make review` first")
    with tempfile.TemporaryDirectory(prefix="app-screenshot-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "queries", root / "queries", symlinks=True)
        shutil.copytree(ROOT / "outputs", root / "outputs", symlinks=True)
        layout = Layout.at(root)
        protocol = load(root / "queries" / "review.toml", root=root)
        who = protocol.reviewers[STAGE][0]
        calls = blank_calls(layout.sheet(STAGE, who))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(layout, protocol), host="127.0.0.1", port=port,
                                               log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium()), args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(f"http://127.0.0.1:{port}/screen/{STAGE}/{who}")
            page.wait_for_selector("body[data-ready='1']")
            for _ in range(args.decisions):      # the shipped call for the study the app shows first
                key = page.get_attribute("#study", "data-key") or ""
                if calls.get(key) not in KEYS:
                    break
                page.keyboard.press(KEYS[calls[key]])
                page.wait_for_function("k => document.querySelector('#study').dataset.key !== k", arg=key)
            for _ in range(30):   # then the next study with highlighted terms and links (no abstracts in the sample)
                if page.locator("#title mark").count() >= 2 and page.locator("#study .links a").count() >= 2:
                    break
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(80)
            page.wait_for_timeout(200)
            page.screenshot(path=str(ROOT / "docs" / "app.png"))
            print(f"stopping rule shown: {page.inner_text('#stopping')}")
            browser.close()
        server.should_exit = True
        time.sleep(0.3)
    print(f"wrote {ROOT / 'docs' / 'app.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
