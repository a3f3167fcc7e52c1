"""Progress and one-line summaries on stderr, so stdout stays clean for data."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from pipeline.textio import console_text

console = Console(stderr=True, highlight=False)


def progress() -> Progress:
    """A progress bar showing done / total, e.g. records fetched or rows read."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


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
    """The one line each stage ends with: what it did and where it wrote (shown literally, see `textio.console_text`)."""
    console.print(f"[bold]{console_text(stage)}[/bold]: {console_text(text)}", soft_wrap=True)


def warn(text: str) -> None:
    """A warning line; `text` may hold record text, so it is shown literally (`textio.console_text`)."""
    console.print(f"[yellow]warning[/yellow]: {console_text(text)}", soft_wrap=True)
