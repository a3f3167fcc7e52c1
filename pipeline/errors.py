"""The pipeline's one error tree: what the CLI reports as one clear line, and what is a bug.

    PipelineError                 base of everything the pipeline raises on purpose
    ├── UserError                 something a person can fix: their files, options, environment
    │   ├── InputError            problems in files people wrote, located by file/row/column
    │   └── UsageError            a bad option or value on the command line (exit code 2)
    ├── RemoteError               a remote service (E-utilities, registers, Crossref) failed
    │   ├── ServiceUnavailable    it could not be reached, or kept failing after retries
    │   └── BadReply              it answered with something we cannot use (retryable)
    └── InternalError             an invariant of the pipeline's own files broke: a bug or a
                                  hand-edited generated file; the message says which
    ConcurrentChange              a file changed on disk while we worked (caught and retried)

The CLI prints `UserError` and `RemoteError` as messages (exit 1; 2 for `UsageError`), and
`InternalError` with a request to report it. httpx's `_exceptions.py` is the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: `where` is a file path, or a named input such as an option."""

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
    """Base of every error the pipeline raises on purpose."""


class UserError(PipelineError):
    """Something a person can fix: bad input, a missing earlier stage, an unusable environment."""


class InputError(UserError):
    """One or more problems in files people wrote; all are reported at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def one(cls, file: str | Path, message: str, row: int | None = None, column: str | None = None) -> InputError:
        return cls([Problem(str(file), message, row, column)])


class UsageError(UserError):
    """A bad command-line option or value (the CLI exits with 2, as argparse does)."""


class RemoteError(PipelineError):
    """A remote service failed; the message names the service and never an API key."""


class ServiceUnavailable(RemoteError):
    """The service could not be reached, or kept failing after every retry."""


class BadReply(RemoteError):
    """The service answered with something unusable (truncated, malformed, an error document)."""


class InternalError(PipelineError):
    """An invariant of the pipeline's own files broke: a bug, or a generated file edited by hand."""


class ConcurrentChange(Exception):
    """A file changed on disk while a stage worked on it; callers re-read and try again."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"{path} changed on disk while it was being processed")
