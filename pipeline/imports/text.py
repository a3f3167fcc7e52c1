"""Text helpers every importer shares: decoding export files, empty-value placeholders, markup.

Exports arrive as UTF-8 with or without a byte-order mark, with CRLF line ends, or in Windows-1252
from older reference managers and Excel. `decode` turns any of them into one `str` with `\\n` line
ends and says which encoding it used, warning (with the file and line) when it had to guess.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from pipeline.errors import InputError

# Cell values that mean "no value": spreadsheet errors, R/pandas missing markers, dashes.
PLACEHOLDERS = frozenset({
    "", "-", "--", "—", "na", "n/a", "n.a.", "nan", "null", "none", "#name?", "#n/a", "#value!",
    "#ref!", "#div/0!", "#null!", "#num!", "[no abstract available]", "[no author name available]",
    "no abstract available", "[not available]",
})
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_YYYYMMDD = re.compile(r"^(1[5-9]\d\d|20\d\d)[01]\d[0-3]\d$")  # EBSCO's "20200201"
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass
class ReadLog:
    """What a reader noticed about one file: the encoding it used, records read and warnings."""

    encoding: str = ""
    rows_read: int = 0
    warnings: list[str] = field(default_factory=list)
    emptied: Counter[str] = field(default_factory=Counter)  # junk values read as empty, by what they were

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)


@dataclass(frozen=True)
class Decoded:
    """A file's text with `\\n` line ends, the encoding it was read with and any warning."""

    text: str
    encoding: str
    warning: str | None = None


def decode(data: bytes, label: str, encoding: str | None = None) -> Decoded:
    """Decode an export: the protocol's `encoding` if given, else UTF-8 (BOM optional), else cp1252.

    Falling back to Windows-1252 is announced in `warning` with the line of the first byte that is
    not UTF-8, so a reviewer can confirm it and set `encoding` in the protocol. Bytes that no
    candidate can decode are an `InputError` naming the line.
    """
    if encoding:
        try:
            return Decoded(_lines(data.decode(_python_codec(encoding, label))), encoding)
        except UnicodeDecodeError as exc:
            raise InputError.one(label, f"not valid {encoding} (byte {data[exc.start]:#04x}); fix the protocol's encoding", row=_line_of(data, exc.start)) from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(_lines(data.decode(codec)), "utf-8 (BOM)" if codec == "utf-8-sig" else codec)
            except UnicodeDecodeError as exc:
                raise InputError.one(label, f"starts with a {codec} byte-order mark but is not valid {codec}", row=_line_of(data, exc.start)) from None
    try:
        return Decoded(_lines(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError.one(label, "neither UTF-8 nor Windows-1252; set `encoding` for this source in the protocol", row=_line_of(data, exc.start)) from None
    warning = (f"{label}: not valid UTF-8 (first at line {line}); read as Windows-1252 (cp1252). "
               "Check accented letters, then set encoding = \"cp1252\" for this source in the protocol")
    return Decoded(_lines(text), "cp1252", warning)


def read_text(path: Path, label: str, encoding: str | None, log: ReadLog) -> str:
    """Read and `decode` an export file, recording the encoding and any warning in `log`."""
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
    return decoded.text


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


def clean_all(values: list[object]) -> list[str]:
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
    """The first plausible year in "2010", "2010///", "2010 Nov 30", "2010.0" or "20101130"; else None."""
    text = clean(value)
    match = (_YEAR.search(text) or _YYYYMMDD.match(text)) if text else None
    if text and not match:
        count_junk(f"year {text[:20]!r}")
    return int(match.group(1)) if match else None


def _lines(text: str) -> str:
    """CRLF and lone CR line ends -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _python_codec(encoding: str, label: str) -> str:
    """Python's codec for a protocol encoding name; UTF-8 also accepts a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError.one(label, f"unknown encoding {encoding!r} in the protocol") from None
    return "utf-8-sig" if name == "utf-8" else name
