"""Text helpers every importer shares: reading export files, empty-value placeholders, markup.

Exports arrive as UTF-8 with or without a byte-order mark, with CRLF line ends, or in Windows-1252
from older reference managers and Excel. `read_text` decodes any of them by the rules of
`pipeline.textio` into one `str` with `\\n` line ends and records which encoding it used, and the
warning (with the file and line) when it had to guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InputError
from pipeline.files import read_input
from pipeline.textio import decode, plain_text, unix_lines

# Cell values that mean "no value": spreadsheet errors, R/pandas missing markers, dashes.
PLACEHOLDERS = frozenset({
    "", "-", "--", "—", "na", "n/a", "n.a.", "nan", "null", "none", "#name?", "#n/a", "#value!",
    "#ref!", "#div/0!", "#null!", "#num!", "[no abstract available]", "[no author name available]",
    "no abstract available", "[not available]",
})
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_YYYYMMDD = re.compile(r"^(1[5-9]\d\d|20\d\d)[01]\d[0-3]\d$")  # EBSCO's "20200201"


@dataclass
class ReadLog:
    """What a reader noticed about one file: the encoding it used, records read and warnings."""

    encoding: str = ""
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)
    emptied: Counter[str] = field(default_factory=Counter)  # junk values read as empty, by what they were
    deleted: int | None = None    # PubMed XML: records removed because a DeleteCitation lists their PMID

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def read_text(path: Path, label: str, encoding: str | None, log: ReadLog) -> str:
    """Read and `textio.decode` an export file (line ends -> LF), recording the encoding and any warning in `log`."""
    try:
        data = read_input(path, "import file")
    except InputError as exc:       # name the file as the protocol does (relative to the project)
        raise InputError.one(label, exc.problems[0].message) from None
    decoded = decode(data, label, encoding)
    log.encoding = decoded.encoding
    if decoded.warning:
        log.warn(decoded.warning)
    return unix_lines(decoded.text)


# While a reader turns one file's rows into records, junk values it empties are counted here.
_EMPTIED: ContextVar[Counter[str] | None] = ContextVar("emptied", default=None)


@contextmanager
def counting_junk(log: ReadLog) -> Iterator[None]:
    """Count, in `log.emptied`, the placeholders and impossible values `clean` and `year` empty meanwhile."""
    token = _EMPTIED.set(log.emptied)
    try:
        yield
    finally:
        _EMPTIED.reset(token)


def count_junk(what: str) -> None:
    """Count one emptied junk value (a no-op outside `counting_junk`)."""
    counter = _EMPTIED.get()
    if counter is not None:
        counter[what] += 1


def clean(value: object) -> str | None:
    """Whitespace-collapsed text, or None for empty cells and placeholders (`#NAME?`, `N/A`, `-` ...)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if len(text) < 32 and text.lower() in PLACEHOLDERS:
        if text:
            count_junk(repr(text))
        return None
    return text


def clean_all(values: Iterable[object]) -> list[str]:
    """`clean` each value, dropping empties and repeats (first occurrence kept)."""
    return list(dict.fromkeys(v for v in map(clean, values) if v is not None))


def split(value: object, sep: str = ";") -> list[str]:
    """"a; b;; c" -> ["a", "b", "c"] with placeholders dropped."""
    text = clean(value)
    return clean_all(text.split(sep)) if text else []


def plain(value: object) -> str | None:
    """Text with markup reduced to text: tags such as <i> or <sup> removed, entities decoded."""
    text = clean(value)
    if text is None or ("<" not in text and "&" not in text):
        return text
    return clean(plain_text(text, passes=1))


def year(value: object) -> int | None:
    """The first plausible year in "2010", "2010///", "2010 Nov 30", "2010.0" or "20101130"; else None."""
    text = clean(value)
    match = (_YEAR.search(text) or _YYYYMMDD.match(text)) if text else None
    if text and not match:
        count_junk(f"year {text[:20]!r}")
    return int(match.group(1)) if match else None
