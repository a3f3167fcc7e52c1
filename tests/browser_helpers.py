"""Whether the browser checks can run: Debian's chromium, or a skip outside CI and a failure inside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.report import browser

NO_CHROMIUM = "chromium is not installed (make test installs Debian's chromium with apt-get): browser checks skipped"


def chromium_or_skip() -> Path | None:
    """Debian's chromium; None outside CI when it is absent (callers skip), a failure inside CI (`CI` set)."""
    found = browser.chromium()
    if found is None and os.environ.get("CI"):
        pytest.fail("CI is set but chromium is missing: run `make browser` (needs Debian's apt-get)")
    return found
