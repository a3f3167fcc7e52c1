"""Read and write the CSV files people edit (reviewer sheets, resolutions, overrides).

Spreadsheets re-save CSV in many ways; all of these read back the same table: a UTF-8 BOM,
`;` or tab as delimiter (Excel in many locales), CRLF line ends, quoted multi-line cells, trailing
empty rows and columns, reordered rows or columns, UTF-16 ("Unicode text") and cp1252 (Windows
"ANSI") re-saves, the last with a warning. Decoding, delimiter and the formula guard (a leading
apostrophe, header cells too) follow the rules of `pipeline.textio`, the same as imports and exports.

Column names are matched ignoring case, spaces, `_`, `-` and a plural `s` (`Decisions`, `Record
ID`), with a warning naming the column, so a renamed header never drops decisions silently.

A sheet is only ever replaced atomically, and only if it is byte-for-byte what we read: when a
person saved it in between, `errors.ConcurrentChange` is raised so the caller re-reads instead of overwriting
(inside `files.transaction()` it is checked again just before the renames).
A sheet that exists but is empty (0 bytes, or only a byte-order mark) or cannot be read is an
`InputError`, never replaced by a fresh one: it may be a person's work cut short.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.files import read_input, write_bytes_atomic
from pipeline.textio import SHEET_FIX, csv_bytes, decode, output_encoding, sniff_delimiter, unguard_cell

# Every column name the pipeline reads in a people's file, as it writes them.
KNOWN_COLUMNS = ("record_id", "key", "id", "study_id", "title", "decision", "reason", "notes", "authors", "year",
                 "journal", "abstract", "pubmed_url", "doi_url", "pmc_url", "status", "resolved_by", "reviewer",
                 "record_id_a", "record_id_b")


@dataclass
class Table:
    """One CSV file as read: header names, rows as dicts, and how to write it back the same way.

    `rows[i]` came from spreadsheet row `row_numbers[i]` (header = row 1), so problems can name the
    row a person sees. `fingerprint` is the SHA-256 of the bytes read ("" when the file is missing);
    `warning` says when its encoding had to be guessed (Windows-1252); `encoding` is the one it is
    written back in (`textio.output_encoding`: UTF-16 stays, everything else becomes UTF-8).
    """

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    delimiter: str = ","
    fingerprint: str = ""
    exists: bool = True
    warning: str | None = None
    encoding: str = "utf-8"


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes, "" when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def parse(data: bytes, path: Path) -> Table:
    """Parse CSV bytes into a `Table`; column names are matched tolerantly later (`column`)."""
    decoded = decode(data, str(path), fix=SHEET_FIX)
    text = decoded.text
    if not text.strip("\ufeff \t\r\n"):
        raise InputError.one(path, "is empty (no header, no rows): it may be a sheet cut short. Restore it (from a "
                                   "backup or git), or delete it to get a fresh one; it was left as it is", 1)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError.one(path, f"is not a readable CSV file ({exc}); re-save it as CSV from the spreadsheet",
                             reader.line_num) from None
    digest = hashlib.sha256(data).hexdigest()
    encoding = output_encoding(decoded.encoding)
    raw_header = [unguard_cell(h.strip()) for h in records[0]]
    body = records[1:]
    width = max([len(raw_header)] + [len(r) for r in body])
    raw_header += [""] * (width - len(raw_header))
    # Columns without a header: dropped when empty (trailing columns), else kept under a made-up name.
    keep: list[int] = []
    header: list[str] = []
    renamed: list[str] = []
    for i, name in enumerate(raw_header):
        has_data = any(i < len(r) and r[i].strip() for r in body)
        if not name and not has_data:
            continue
        name = name or f"column {i + 1}"
        base, n = name, 2
        while name.lower() in (h.lower() for h in header):
            name, n = f"{base} ({n})", n + 1
        if name != base:
            renamed.append(f"{path}: two columns are named {base!r}; only the first is read (the other is kept "
                           f"as {name!r}); rename one of them")
        keep.append(i)
        header.append(name)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue  # empty rows (often trailing) carry nothing
        values = {header[k]: unguard_cell(record[i]) if i < len(record) else "" for k, i in enumerate(keep)}
        rows.append(values)
        numbers.append(number)
    warnings = [decoded.warning] if decoded.warning else []
    warnings += renamed + _spelling_warnings(path, header)
    return Table(path, header, rows, numbers, delimiter, digest, warning="; ".join(warnings) or None, encoding=encoding)


def read_table(path: Path) -> Table:
    """Read a people's CSV file; a missing file reads as an empty table (`exists=False`).

    An empty or unreadable file, a folder or a device in its place is an InputError naming it.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return Table(path, [], [], [], exists=False)
    if path.is_symlink() and not path.exists():
        try:
            os.stat(path)
        except FileNotFoundError:
            return Table(path, [], [], [], exists=False)   # a link to a sheet not made yet: written through
        except OSError as exc:
            raise InputError.one(path, f"is a symbolic link that cannot be followed ({exc.strerror})") from None
    return parse(read_input(path, "sheet"), path)


def _key(name: str) -> str:
    """A column name without case, spaces, `_`, `-`, invisible characters or a final plural `s`."""
    return re.sub(r"[\s_\-\u200b\ufeff]+", "", name.lower()).removesuffix("s")


def column(table: Table, *names: str) -> str | None:
    """The table's own spelling of the first of `names` it has (exact first, then as `_key` sees it)."""
    for name in names:
        if name in table.header:
            return name
        matches = [h for h in table.header if _key(h) == _key(name)]
        if matches:
            return matches[0]
    return None


def _spelling_warnings(path: Path, header: list[str]) -> list[str]:
    """One warning per known column written another way (`Decisions` for `decision`), or written twice."""
    out = []
    for name in KNOWN_COLUMNS:
        if name in header:
            others = [h for h in header if h != name and _key(h) == _key(name)]
            if others:
                out.append(f"{path}: columns {name!r} and {others[0]!r} are the same column; {others[0]!r} is not read")
            continue
        matches = [h for h in header if _key(h) == _key(name)]
        if matches:
            extra = f" (and {matches[1]!r} is not read)" if len(matches) > 1 else ""
            out.append(f"{path}: column {matches[0]!r} is read as {name!r}{extra}; rename it to {name} to avoid this warning")
    return out


def render(header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ",",
           encoding: str = "utf-8") -> bytes:
    """A sheet's bytes, in the delimiter and encoding it was read with: `textio.csv_bytes` (BOM, CRLF, guarded)."""
    return csv_bytes(header, rows, delimiter=delimiter, encoding=encoding)


def write_if_unchanged(path: Path, data: bytes, expected_fingerprint: str) -> bool:
    """Atomically replace `path` with `data` unless it changed since it was read (then raise `ConcurrentChange`;
    inside `files.transaction()` the check is made again just before the renames).

    The caller holds the file's write lock (`files.locked`, shared with the screening app) from the
    check to the rename: the screen stage takes every sheet's lock around its whole transaction.
    Returns whether the file was written (identical bytes are left alone).
    """
    return write_bytes_atomic(path, data, expected=expected_fingerprint)
