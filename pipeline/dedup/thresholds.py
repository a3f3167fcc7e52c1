"""The few numbers of the dedup rules that are chosen from labelled data, and the file they ship in.

Everything else in the rules is fixed by reasoning about what databases do (a DOI is an identifier,
a different part number is a different work). These numbers trade missed duplicates against false
merges, so they are chosen on the benchmark sets by `make train-dedup` (benchmarks/dedup_train.py),
with leave-one-dataset-out figures in `make bench-dedup`, and shipped in `thresholds.json` beside
this module together with the commit and data checksums they were chosen on. Loading needs only
that file.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("thresholds.json")


@dataclass(frozen=True)
class Thresholds:
    """Rule thresholds (see score.FUZZY and vetoes): what the grid varies and training picks."""

    title_close: float = 0.95   # title similarity that needs the least other agreement
    context_close: int = 2      # how many other fields must agree at that similarity
    title_mid: float = 0.90     # a looser title similarity that needs more agreement ...
    context_mid: int = 4        # ... this many fields
    short_title: int = 30       # titles shorter than this (characters) recur ("Editorial"): they need
    #                             the same pages or DOI, and any other difference keeps them apart

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


# The candidate values training chooses among (every combination is tried).
GRID: dict[str, tuple[float | int, ...]] = {
    "title_close": (0.93, 0.95, 0.97),
    "context_close": (2, 3),
    "title_mid": (0.88, 0.90, 0.92),
    "context_mid": (3, 4, 5),
    "short_title": (20, 30, 40),
}


def grid() -> list[Thresholds]:
    """Every combination of GRID's values."""
    names = list(GRID)
    combos: list[dict[str, Any]] = [dict(zip(names, values)) for values in itertools.product(*(GRID[n] for n in names))]
    return [Thresholds(**combo) for combo in combos]


@lru_cache(maxsize=1)
def shipped() -> Thresholds:
    """The thresholds in thresholds.json (the defaults above when the file is missing)."""
    if not FILE.is_file():
        return Thresholds()
    data = json.loads(FILE.read_text(encoding="utf-8"))["thresholds"]
    known = {f.name for f in fields(Thresholds)}
    return Thresholds(**{k: v for k, v in data.items() if k in known})
