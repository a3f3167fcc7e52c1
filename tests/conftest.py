"""Fixtures every test module may use. Area-specific fixtures live in the test modules themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

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
