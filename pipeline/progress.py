"""How a stage reports progress without printing: an optional callback the caller supplies.

`progress(task, done, total)` is called as work advances (`total` None when unknown). The CLI
passes `pipeline.console.progress_callback()`, which draws rich progress bars; a notebook may pass
anything, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, "int | None"], None]


def report(progress: Progress | None, task: str, done: int, total: int | None) -> None:
    """Call `progress` when there is one."""
    if progress is not None:
        progress(task, done, total)
