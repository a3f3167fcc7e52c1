"""Text in and out of files: one set of rules for imports, reviewer sheets, exports and the console.

- Decoding: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), or
  Windows-1252 (Excel's "CSV (Windows)", older reference managers), which is a guess and so always
  comes with a warning naming the file and line. Bytes none of these decode are an `InputError`.
- Delimiter: whichever of `,` `;` tab occurs most, outside quotes, in the header line (Excel uses
  `;` in many locales); `,` when none does.
- Formula guard: every cell written, header cells included, that a spreadsheet would run as a
  formula gets a leading apostrophe; reading undoes exactly that, so text round-trips unchanged.
- CSV written: UTF-8 with a BOM (so Excel detects UTF-8), CRLF line ends, atomically (`files`).
- Console: record text printed to a terminal has control characters and escape sequences removed
  and rich markup escaped, so a title cannot recolour, hide or rewrite what a person reads.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from rich.markup import escape

from pipeline.errors import InputError
from pipeline.files import write_bytes_atomic

DELIMITERS = (",", ";", "\t")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PROTOCOL_FIX = 'set encoding = "cp1252" for this source in the protocol'
SHEET_FIX = 'save it as "CSV UTF-8" to avoid this warning'
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# ANSI/VT escape sequences (CSI, OSC, other ESC forms), then any remaining C0/C1 control but \t \n.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Decoded:
    """A file's text (line ends as in the file), the encoding it was read with and any warning."""

    text: str
    encoding: str
    warning: str | None = None


def decode(data: bytes, label: str, encoding: str | None = None, *, fix: str = PROTOCOL_FIX) -> Decoded:
    """Decode a file: `encoding` if given, else by BOM, else UTF-8, else Windows-1252 with a warning.

    The warning names `label` and the line of the first byte that is not UTF-8, and ends with
    `fix`, what the reader of the warning can do about it. Bytes that no candidate can decode are
    an `InputError` naming the line.
    """
    if encoding:
        try:
            return Decoded(data.decode(_python_codec(encoding, label)), encoding)
        except UnicodeDecodeError as exc:
            raise InputError.one(label, f"not valid {encoding} (byte {data[exc.start]:#04x}); fix the protocol's encoding",
                                 row=line_of(data, exc.start)) from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), "utf-8 (BOM)" if codec == "utf-8-sig" else codec)
            except UnicodeDecodeError as exc:
                raise InputError.one(label, f"starts with a {codec} byte-order mark but is not valid {codec}",
                                     row=line_of(data, exc.start)) from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line = line_of(data, exc.start)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError.one(label, "neither UTF-8 nor Windows-1252; set `encoding` for this source in the protocol",
                             row=line_of(data, exc.start)) from None
    warning = (f"{label}: not valid UTF-8 (first at line {line}); read as Windows-1252 (cp1252). "
               f"Check accented letters, then {fix}")
    return Decoded(text, "cp1252", warning)


def unix_lines(text: str) -> str:
    """CRLF and lone CR line ends -> LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte `offset`."""
    return data.count(b"\n", 0, offset) + 1


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: whichever of `,` `;` tab occurs most outside quotes (ties: that order)."""
    first = text.split("\n", 1)[0]
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _needs_guard(text: str) -> bool:
    """A formula start, or an apostrophe before one (so that guarding can always be undone)."""
    return text.startswith(FORMULA_PREFIXES) or (text.startswith("'") and _needs_guard(text[1:]))


def guard_cell(value: object) -> str:
    """Render one CSV cell so that a spreadsheet never evaluates it as a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if _needs_guard(text) else text


def unguard_cell(text: str) -> str:
    """Undo `guard_cell` when reading a CSV back: `unguard_cell(guard_cell(x)) == x` for every text."""
    return text[1:] if text.startswith("'") and _needs_guard(text[1:]) else text


def csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]], *, delimiter: str = ",",
              bom: bool = True) -> bytes:
    """CSV with a UTF-8 BOM (so Excel detects UTF-8), CRLF line ends and every cell guarded, header too."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([guard_cell(v) for v in header])
    for row in rows:
        writer.writerow([guard_cell(v) for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write_csv_atomic(target: Path, header: Sequence[object], rows: Iterable[Sequence[object]]) -> bool:
    """Write a spreadsheet-safe CSV atomically; unchanged content is not rewritten."""
    return write_bytes_atomic(target, csv_bytes(header, rows))


def frame_to_csv_atomic(target: Path, frame: pl.DataFrame) -> bool:
    """Write a polars frame as spreadsheet-safe CSV; list cells are joined with '; '."""
    out = frame.with_columns(
        [pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    )
    return write_csv_atomic(target, frame.columns, out.iter_rows())


def printable(value: object) -> str:
    """Untrusted text without terminal escape sequences or control characters (tab and newline kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(value)))


def console_text(value: object) -> str:
    """Untrusted text made safe to print through rich with markup on: `printable`, markup escaped."""
    return escape(printable(value))


def _python_codec(encoding: str, label: str) -> str:
    """Python's codec for a protocol encoding name; UTF-8 also accepts a byte-order mark."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError.one(label, f"unknown encoding {encoding!r} in the protocol") from None
    return "utf-8-sig" if name == "utf-8" else name
