"""Take docs/app.png: the screening app on the shipped review's full-text sheet, in headless Chromium.

Run after `make review`: `.venv/bin/python tools/app_screenshot.py`. It only reads the sheets (no
decision is made); the app's server runs in this process on a free loopback port.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.app.server import create_app  # noqa: E402
from pipeline.layout import Layout  # noqa: E402
from pipeline.protocol import load  # noqa: E402
from pipeline.report.browser import ARGS, chromium  # noqa: E402


def main() -> int:
    layout = Layout.at(ROOT)
    protocol = load(ROOT / "queries" / "review.toml", root=ROOT)
    stage, who = "full_text", protocol.reviewers["full_text"][0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(layout, protocol), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium()), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"http://127.0.0.1:{port}/screen/{stage}/{who}")
        page.wait_for_selector("body[data-ready='1']")
        for _ in range(60):   # the first study with highlighted terms and PubMed and DOI links (no abstracts in the sample)
            if page.locator("#title mark").count() >= 2 and page.locator("#study .links a").count() >= 2:
                break
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(80)
        page.screenshot(path=str(ROOT / "docs" / "app.png"))
        browser.close()
    server.should_exit = True
    print(f"wrote {ROOT / 'docs' / 'app.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
