"""Progress and one-line summaries on stderr, so stdout stays clean for data.

Every line may hold record text (titles, ids, server messages), which is untrusted: it is shown
literally. Nothing printed here is parsed as rich markup or emoji codes (`[/yellow]` and `:smile:`
stay as typed), and terminal escape sequences and control characters are removed first
(`textio.printable`), so a record cannot recolour, hide, link or rewrite what a person reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from pipeline.textio import printable

console = Console(stderr=True, highlight=False, emoji=False)


def progress() -> Progress:
    """A progress bar showing done / total, e.g. records fetched or rows read (descriptions shown literally)."""
    return Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def line(label: str, text: object, style: str = "bold") -> None:
    """`label: text` on one line: the label styled, the text literal (`textio.printable`, no markup)."""
    console.print(Text.assemble((printable(label), style), ": ", printable(text)), soft_wrap=True)


@contextlib.contextmanager
def progress_callback() -> Iterator[Callable[[str, int, int | None], None]]:
    """A `pipeline.progress.Progress` callback drawing one bar per task; the bars appear with the first call."""
    bar: Progress | None = None
    tasks: dict[str, TaskID] = {}

    def update(task: str, done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = progress()
            bar.start()
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], completed=done, total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


def summary(stage: str, text: str) -> None:
    """The one line each stage ends with: what it did and where it wrote."""
    line(stage, text)


def warn(text: str) -> None:
    """A warning line; `text` may hold record text, so it is shown literally."""
    line("warning", text, "yellow")


def note(text: object) -> None:
    """A plain progress note (e.g. a search resuming), shown literally."""
    console.print(Text(printable(text)), soft_wrap=True)
