"""Fixtures every test module may use. Area-specific fixtures live in the test modules themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_helpers import NO_CHROMIUM, chromium_or_skip

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def shared() -> Path:
    """`../shared/` beside the checkout; tests that read it skip cleanly when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED


@pytest.fixture
def fixtures() -> Path:
    """This repo's own test fixtures (tests/fixtures/<area>/...)."""
    return FIXTURES


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium for the browser tests: they skip with one line when it is absent, except in CI."""
    found = chromium_or_skip()
    if found is None:
        pytest.skip(NO_CHROMIUM)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Every browser test skipped for want of chromium is reported on one line, not one line each."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(NO_CHROMIUM):
        report.longrepr = (__file__, None, report.longrepr[2])
