"""Progress and one-line summaries on stderr, so stdout stays clean for data."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True, highlight=False)


def progress() -> Progress:
    """A progress bar showing done / total, e.g. records fetched or rows read."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )


def summary(stage: str, text: str) -> None:
    """The one line each stage ends with: what it did and where it wrote."""
    console.print(f"[bold]{stage}[/bold]: {text}", soft_wrap=True)


def warn(text: str) -> None:
    console.print(f"[yellow]warning[/yellow]: {text}", soft_wrap=True)
