"""Errors the CLI reports as one clear line (file, row, column) instead of a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}"


class PipelineError(Exception):
    """A user-facing error: bad input, missing snapshot, offline search... never a bug."""


class InputError(PipelineError):
    """One or more problems in files people wrote; all are reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def one(cls, file: str | Path, message: str, row: int | None = None, column: str | None = None) -> "InputError":
        return cls([Problem(str(file), message, row, column)])
