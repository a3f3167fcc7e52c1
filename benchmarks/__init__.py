"""Benchmarks run by `make bench`: speed and memory as ratios against a named peer, same run."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def git_head(watched: str) -> str:
    """Short commit of the checkout, noting uncommitted changes under `watched` (what is measured)."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", watched], capture_output=True, text=True, cwd=ROOT)
    return (found.stdout.strip() or "unknown") + (f" + uncommitted changes in {watched}/" if dirty.stdout.strip() else "")
