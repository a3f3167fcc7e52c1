"""Open the report in real headless Chromium and check it as a reader would get it.

Checks: the page loads from the file with no console error and no request leaving the file (every
other request is blocked and listed); it holds no script element; each number in the flow diagram,
read back from the rendered DOM (`[data-count]`), equals the computed count; each evidence-map
bubble (`[data-map]`) is visible and shows the number the extraction gives, and each map has a title; at phone width the page
does not overflow sideways (the diagram scrolls inside its own frame). A full-page screenshot is
saved for people to look at.

Uses Debian's chromium (`make browser` installs it) through the Python `playwright` package; never
`playwright install`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.contracts import SourceState
from pipeline.errors import UserError
from pipeline.files import write_bytes_atomic
from pipeline.report.counts import Count, DatabaseCount

if TYPE_CHECKING:
    from playwright.sync_api import Request, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

_READ_NUMBERS = """() => {
  const out = {};
  for (const el of document.querySelectorAll('svg.prisma-flow [data-count]')) {
    const key = el.getAttribute('data-count');
    out[key] = ((out[key] || '') + ' ' + el.textContent).trim();
  }
  return out;
}"""


_READ_MAP = """() => {
  const out = {};
  for (const svg of document.querySelectorAll('svg.evidence-map')) {
    if (!svg.querySelector(':scope > title') || !svg.querySelector(':scope > title').textContent.trim()) {
      out['__untitled__:' + svg.id] = '';
    }
  }
  for (const el of document.querySelectorAll('svg.evidence-map [data-map]')) {
    const box = el.getBoundingClientRect();
    out[el.getAttribute('data-map')] = box.width > 0 && box.height > 0 ? el.querySelector('text').textContent.trim() : '';
  }
  return out;
}"""


def compare_map(expected: dict[str, int], rendered: dict[str, str]) -> list[str]:
    """Every evidence-map bubble that is missing, invisible or shows another number; untitled panels."""
    problems = [f"evidence map {key.split(':', 1)[1]}: the SVG has no title" for key in rendered if key.startswith("__untitled__:")]
    for key, n in expected.items():
        if key not in rendered:
            problems.append(f"{key}: no bubble in the rendered evidence map")
        elif rendered[key] != str(n):
            problems.append(f"{key}: the bubble shows {rendered[key]!r} (empty = not visible), the extraction says {n}")
    problems += [f"{key}: a bubble the extraction does not give" for key in rendered
                 if not key.startswith("__untitled__:") and key not in expected]
    return problems


def chromium() -> Path | None:
    """Debian's chromium, or None when it is not installed."""
    if CHROMIUM.exists():
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


@dataclass(frozen=True)
class Reading:
    """What one diagram number says once rendered."""

    n: int | None = None           # the number (so far, when pending)
    awaiting_ta: int = 0
    awaiting_ft: int = 0
    not_searched: bool = False     # a database line with a source not searched yet


def parse(text: str) -> Reading | None:
    """Read `(n = 1,234)`, `(n = pending: 12 awaiting title/abstract decisions; 30 so far)`, `not searched yet`
    or `(n = 300; 1 source not searched yet)`."""
    text = " ".join(text.split())
    if SourceState.NOT_SEARCHED in text:
        partial = re.search(r"n = ([\d,]+);", text)
        return Reading(_int(partial.group(1)) if partial else None, not_searched=True)
    pending = re.search(r"n = pending: (.*?)([\d,]+) so far", text)
    if pending:
        ta = re.search(r"([\d,]+) awaiting title/abstract", pending.group(1))
        ft = re.search(r"([\d,]+) awaiting full-text", pending.group(1))
        return Reading(_int(pending.group(2)), _int(ta.group(1)) if ta else 0, _int(ft.group(1)) if ft else 0)
    final = re.search(r"n = ([\d,]+)", text)
    return Reading(_int(final.group(1))) if final else None


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def expected_reading(value: Count | DatabaseCount) -> Reading:
    if isinstance(value, DatabaseCount):
        return Reading(value.n, not_searched=bool(value.waiting))
    return Reading(value.n, value.awaiting_ta, value.awaiting_ft)


def compare(expected: dict[str, Count | DatabaseCount], rendered: dict[str, str]) -> list[str]:
    """Every diagram number that is missing, unreadable or different from the computed count."""
    problems = []
    for key, value in expected.items():
        if key not in rendered:
            problems.append(f"{key}: not in the rendered diagram")
            continue
        reading, want = parse(rendered[key]), expected_reading(value)
        if reading != want:
            problems.append(f"{key}: the page shows {rendered[key]!r}, the counts say {value.text()!r}")
    problems += [f"{key}: shown in the diagram but not computed" for key in rendered if key not in expected]
    return problems


@dataclass
class CheckResult:
    """What the browser saw."""

    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    map_mismatches: list[str] = field(default_factory=list)
    map_numbers_checked: int = 0
    layout_problems: list[str] = field(default_factory=list)
    numbers_checked: int = 0
    screenshot: Path | None = None

    @property
    def problems(self) -> list[str]:
        return ([f"console error: {e}" for e in self.console_errors]
                + [f"request leaving the file (blocked): {u}" for u in self.outside_requests]
                + [f"diagram number: {m}" for m in self.mismatches]
                + [f"evidence map: {m}" for m in self.map_mismatches] + self.layout_problems)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(html: Path, expected: dict[str, Count | DatabaseCount], screenshot: Path | None = None,
          map_expected: dict[str, int] | None = None) -> CheckResult:
    """Load `html` in headless Chromium, check it, and save a full-page screenshot to `screenshot`.

    `map_expected`: the evidence map's bubbles (`evidence_map.expected`), read back the same way.
    """
    executable = chromium()
    if executable is None:
        raise UserError(f"the browser check needs Debian's chromium ({CHROMIUM}): run `make browser` "
                            "(or `apt-get install chromium`)")
    from playwright.sync_api import sync_playwright  # dev dependency: only needed for the check

    url = html.resolve().as_uri()
    result = CheckResult()

    def guard(route: Route, request: Request) -> None:
        if request.url.split("#")[0] == url:
            route.continue_()
        else:
            result.outside_requests.append(request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), args=ARGS, headless=True, timeout=60_000)
        try:
            for viewport in (DESKTOP, PHONE):
                page = browser.new_context(viewport=viewport, offline=True).new_page()  # type: ignore[arg-type]
                page.on("console", lambda msg: result.console_errors.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc: result.console_errors.append(str(exc)))
                page.route("**/*", guard)
                page.goto(url, wait_until="load")
                where = f"{viewport['width']}px wide"
                if page.evaluate("document.scripts.length"):
                    result.layout_problems.append(f"{where}: the page holds a script element")
                if viewport is DESKTOP:
                    rendered = page.evaluate(_READ_NUMBERS)
                    result.mismatches = compare(expected, rendered)
                    result.numbers_checked = len(rendered)
                    if map_expected is not None:
                        shown = page.evaluate(_READ_MAP)
                        result.map_mismatches = compare_map(map_expected, shown)
                        result.map_numbers_checked = sum(1 for k in shown if not k.startswith("__untitled__:"))
                    if screenshot is not None:
                        write_bytes_atomic(screenshot, page.screenshot(full_page=True))
                        result.screenshot = screenshot
                else:
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 1:
                        result.layout_problems.append(f"{where}: the page overflows sideways by {overflow}px")
                page.context.close()
        finally:
            browser.close()
    return result
