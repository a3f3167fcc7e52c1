"""The fault-injection group: each test runs the stages as a user would, on a fresh copy of a project.

`project` is a copy of the shipped demo (tests/fixtures/e2e: protocol, exports, people's files) on
which the whole offline review has run once, so a test can break one thing and run one stage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.faults.helpers import SHIPPED, run

STAGES = (("import",), ("dedup",), ("screen",), ("report",))


@pytest.fixture(scope="session")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project with every offline stage run once (shared; tests work on copies)."""
    root = tmp_path_factory.mktemp("reviewed") / "project"
    shutil.copytree(SHIPPED, root)
    for stage in STAGES:
        code, err = run(root, *stage)
        assert code == 0, err
    return root


@pytest.fixture
def project(reviewed: Path, tmp_path: Path) -> Path:
    """A private copy of the reviewed demo project."""
    root = tmp_path / "project"
    shutil.copytree(reviewed, root, symlinks=True)
    return root


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A private copy of the demo project before any stage ran (only people's files)."""
    root = tmp_path / "fresh"
    shutil.copytree(SHIPPED, root)
    return root
