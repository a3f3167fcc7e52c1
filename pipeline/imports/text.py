"""Text helpers every importer shares: reading export files, empty-value placeholders, markup.

Exports arrive as UTF-8 with or without a byte-order mark, with CRLF line ends, or in Windows-1252
from older reference managers and Excel. `read_text` decodes any of them by the rules of
`pipeline.textio` into one `str` with `\\n` line ends and records which encoding it used, and the
warning (with the file and line) when it had to guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from pipeline.errors import InputError
from pipeline.textio import decode, unix_lines

# Cell values that mean "no value": spreadsheet errors, R/pandas missing markers, dashes.
PLACEHOLDERS = frozenset({
    "", "-", "--", "—", "na", "n/a", "n.a.", "nan", "null", "none", "#name?", "#n/a", "#value!",
    "#ref!", "#div/0!", "#null!", "#num!", "[no abstract available]", "[no author name available]",
    "no abstract available", "[not available]",
})
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")


@dataclass
class ReadLog:
    """What a reader noticed about one file: the encoding it used, records read and warnings."""

    encoding: str = ""
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


def read_text(path: Path, label: str, encoding: str | None, log: ReadLog) -> str:
    """Read and `textio.decode` an export file (line ends -> LF), recording the encoding and any warning in `log`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError.one(label, "import file not found") from None
    except IsADirectoryError:
        raise InputError.one(label, "is a folder, not an export file") from None
    decoded = decode(data, label, encoding)
    log.encoding = decoded.encoding
    if decoded.warning:
        log.warn(decoded.warning)
    return unix_lines(decoded.text)


def clean(value: object) -> str | None:
    """Whitespace-collapsed text, or None for empty cells and placeholders (`#NAME?`, `N/A`, `-` ...)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if len(text) < 32 and text.lower() in PLACEHOLDERS else text


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
    return clean(lxml.html.fragment_fromstring(text, create_parent="div").text_content())


def year(value: object) -> int | None:
    """The first plausible year in "2010", "2010///", "2010 Nov 30" or "2010.0"; else None."""
    text = clean(value)
    match = _YEAR.search(text) if text else None
    return int(match.group(1)) if match else None
