"""A reproducible systematic-review pipeline: search, import, dedup, screen, report (PRISMA 2020).

The library face: `Review(root)` with one method per stage, or each stage's own
`pipeline.<stage>.run(layout, protocol, *, progress=None)`; see docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Layout", "Review", "__version__"]

if TYPE_CHECKING:
    from pipeline.layout import Layout
    from pipeline.review import Review


def __getattr__(name: str) -> Any:
    """`Review` and `Layout` are imported on first use, so `import pipeline.records` stays light."""
    if name == "Review":
        from pipeline.review import Review

        return Review
    if name == "Layout":
        from pipeline.layout import Layout

        return Layout
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
