"""Text in and out of files: one set of rules for imports, reviewer sheets, exports and the console.

- Decoding: UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text") or
  recognisably without one, or
  Windows-1252 (Excel's "CSV (Windows)", older reference managers), which is a guess and so always
  comes with a warning naming the file and line. Bytes none of these decode are an `InputError`.
- Delimiter: whichever of `,` `;` tab occurs most, outside quotes, in the header line (Excel uses
  `;` in many locales); `,` when none does.
- Formula guard: every cell written, header cells included, that a spreadsheet would run as a
  formula gets a leading apostrophe; reading undoes exactly that, so text round-trips unchanged.
- CSV written: UTF-8 with a BOM (so Excel detects UTF-8), CRLF line ends, atomically (`files`);
  a sheet read as UTF-16 is written back as UTF-16 (with its BOM), the encoding Excel saved.
- Console: record text printed to a terminal has control characters, escape sequences (colours,
  hyperlinks, cursor moves) and bidirectional overrides removed (`printable`), and is never parsed
  as rich markup or emoji (`console`), so a title cannot recolour, hide, link or rewrite what a
  person reads.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import polars as pl
from lxml import etree
from rich.markup import escape

from pipeline.errors import InputError
from pipeline.files import write_bytes_atomic

DELIMITERS = (",", ";", "\t")
csv.field_size_limit(2**31 - 1)   # every CSV reader: a pasted full text in one cell is a cell, not an error
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PROTOCOL_FIX = 'set encoding = "cp1252" for this source in the protocol'
SHEET_FIX = 'save it as "CSV UTF-8" to avoid this warning'
_BINARY = ((b"PK\x03\x04", "a zip file (an Excel .xlsx or LibreOffice .ods workbook?)"),
           (b"\xd0\xcf\x11\xe0", "an old Office file (Excel .xls?)"), (b"%PDF", "a PDF"),
           (b"\x1f\x8b", "a gzip file"))
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# ANSI/VT escape sequences (CSI, OSC, other ESC forms), then any remaining C0/C1 control but \t \n.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Unicode bidirectional overrides and isolates (they reorder what a terminal shows), and the Unicode
# line and paragraph separators (they start a line that looks like the program's own).
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SEPARATORS = re.compile("[\u2028\u2029\x85]")


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
    for magic, kind in _BINARY:
        if data.startswith(magic):
            raise InputError.one(label, f"is {kind}, not text: open it in its program and save it as CSV UTF-8 "
                                        "(or export the format the protocol names)")
    if (utf16 := _bomless_utf16(data)) is not None:
        try:
            return Decoded(data.decode(utf16), f"{utf16} (no BOM)")
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        line = line_of(data, exc.start)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        hint = "set `encoding` for this source in the protocol" if fix == PROTOCOL_FIX else 'save it as "CSV UTF-8"'
        raise InputError.one(label, f"is neither UTF-8 nor Windows-1252 text; {hint}",
                             row=line_of(data, exc.start)) from None
    warning = (f"{label}: not valid UTF-8 (first at line {line}); read as Windows-1252 (cp1252). "
               f"Check accented letters, then {fix}")
    return Decoded(text, "cp1252", warning)


def _bomless_utf16(data: bytes) -> str | None:
    """`utf-16-le`/`-be` when the bytes look like UTF-16 text saved without a byte-order mark
    (a NUL in most odd, or most even, positions: ASCII text in UTF-16), else None."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


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
              bom: bool = True, encoding: str = "utf-8") -> bytes:
    """CSV with a BOM (so Excel detects the encoding), CRLF line ends and every cell guarded, header too.

    `encoding` is "utf-8" or "utf-16" (a sheet Excel saved as "Unicode text" is written back so).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([guard_cell(v) for v in header])
    for row in rows:
        writer.writerow([guard_cell(v) for v in row])
    return encode_text(buf.getvalue(), encoding, bom=bom)


def csv_line(row: Sequence[object], *, delimiter: str = ",") -> str:
    """One guarded CSV line as `csv_bytes` writes it (CRLF included), for rewriting one row of a file."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow([guard_cell(v) for v in row])
    return buf.getvalue()


def encode_text(text: str, encoding: str = "utf-8", *, bom: bool = True) -> bytes:
    """Text as bytes of a file we write: UTF-8 or UTF-16 little-endian, with the encoding's BOM unless `bom=False`."""
    if encoding == "utf-16":
        return (b"\xff\xfe" if bom else b"") + text.encode("utf-16-le")
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def output_encoding(read_as: str) -> str:
    """The encoding a people's file is written back in: UTF-16 stays UTF-16; all else becomes UTF-8.

    Windows-1252 is only ever a guess and cannot hold every record's text, so it is not written.
    """
    return "utf-16" if read_as.startswith("utf-16") else "utf-8"


def write_csv_atomic(target: Path, header: Sequence[object], rows: Iterable[Sequence[object]]) -> bool:
    """Write a spreadsheet-safe CSV atomically; unchanged content is not rewritten."""
    return write_bytes_atomic(target, csv_bytes(header, rows))


def frame_to_csv_atomic(target: Path, frame: pl.DataFrame) -> bool:
    """Write a polars frame as spreadsheet-safe CSV; list cells are joined with '; '."""
    out = frame.with_columns(
        [pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    )
    return write_csv_atomic(target, frame.columns, out.iter_rows())


_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head", "title")


def plain_text(value: object, passes: int = 3) -> str:
    """Record text with markup reduced to text: tags removed (script and style with their content),
    comments dropped, entities decoded, whitespace collapsed. Text that only looks like markup
    (`p < 0.05`) is left as it is. Every export and sheet cell the pipeline writes goes through this
    (escaped markup is decoded and reduced too); importers use one pass, so `&lt;i&gt;` reads as `<i>`.
    """
    text = "" if value is None else str(value)
    for _ in range(passes):            # escaped markup (&lt;b&gt;) is markup once decoded
        if not _MARKUP.search(text):
            return text
        text = _strip_markup(text)
    return text.replace("<", "‹").replace(">", "›") if passes > 1 and _MARKUP.search(text) else text


def _strip_markup(text: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return text
    for element in list(root.iter(etree.Comment, etree.ProcessingInstruction, *_DROP_TAGS)):
        if element is not root:
            element.drop_tree()
    for br in root.iter("br", "p", "div", "li"):
        br.tail = " " + (br.tail or "")
    return " ".join(root.text_content().split())


def printable(value: object) -> str:
    """Untrusted text without terminal escape sequences or control characters (tab and newline kept)."""
    text = _SEPARATORS.sub(" ", _ESCAPES.sub("", str(value)))
    return _BIDI.sub("", _CONTROLS.sub("", text))


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


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 record', '2 records', '1 study', '3 studies' (`many` when the plural is not `one` + s)."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
