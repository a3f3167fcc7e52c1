"""Read and write the CSV files people edit (reviewer sheets, resolutions, overrides).

Spreadsheets re-save CSV in many ways; all of these read back the same table: a UTF-8 BOM,
`;` or tab as delimiter (Excel in many locales), CRLF line ends, quoted multi-line cells, trailing
empty rows and columns, reordered rows or columns, UTF-16 ("Unicode text") and cp1252 (Windows
"ANSI") re-saves, the last with a warning. Decoding, delimiter and the formula guard (a leading
apostrophe, header cells too) follow the rules of `pipeline.textio`, the same as imports and exports.

A sheet is only ever replaced atomically, and only if it is byte-for-byte what we read: when a
person saved it in between, `errors.ConcurrentChange` is raised so the caller re-reads instead of overwriting.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConcurrentChange
from pipeline.files import write_bytes_atomic
from pipeline.textio import SHEET_FIX, csv_bytes, decode, sniff_delimiter, unguard_cell


@dataclass
class Table:
    """One CSV file as read: header names, rows as dicts, and how to write it back the same way.

    `rows[i]` came from spreadsheet row `row_numbers[i]` (header = row 1), so problems can name the
    row a person sees. `fingerprint` is the SHA-256 of the bytes read ("" when the file is missing);
    `warning` says when its encoding had to be guessed (Windows-1252).
    """

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    delimiter: str = ","
    fingerprint: str = ""
    exists: bool = True
    warning: str | None = None


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes, "" when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def parse(data: bytes, path: Path) -> Table:
    """Parse CSV bytes into a `Table`; column names are matched case-insensitively later."""
    decoded = decode(data, str(path), fix=SHEET_FIX)
    text = decoded.text
    delimiter = sniff_delimiter(text)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    digest = hashlib.sha256(data).hexdigest()
    if not records:
        return Table(path, [], [], [], delimiter, digest, warning=decoded.warning)
    raw_header = [unguard_cell(h.strip()) for h in records[0]]
    body = records[1:]
    width = max([len(raw_header)] + [len(r) for r in body])
    raw_header += [""] * (width - len(raw_header))
    # Columns without a header: dropped when empty (trailing columns), else kept under a made-up name.
    keep: list[int] = []
    header: list[str] = []
    for i, name in enumerate(raw_header):
        has_data = any(i < len(r) and r[i].strip() for r in body)
        if not name and not has_data:
            continue
        name = name or f"column {i + 1}"
        base, n = name, 2
        while name.lower() in (h.lower() for h in header):
            name, n = f"{base} ({n})", n + 1
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
    return Table(path, header, rows, numbers, delimiter, digest, warning=decoded.warning)


def read_table(path: Path) -> Table:
    """Read a people's CSV file; a missing file reads as an empty table (`exists=False`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Table(path, [], [], [], exists=False)
    return parse(data, path)


def column(table: Table, *names: str) -> str | None:
    """The table's own spelling of the first of `names` it has (case- and space-insensitive)."""
    wanted = [n.lower().replace(" ", "_") for n in names]
    by_key = {h.lower().strip().replace(" ", "_"): h for h in table.header}
    for name in wanted:
        if name in by_key:
            return by_key[name]
    return None


def render(header: Sequence[str], rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    """A sheet's bytes, in the delimiter it was read with: `textio.csv_bytes` (UTF-8 BOM, CRLF, guarded)."""
    return csv_bytes(header, rows, delimiter=delimiter)


def write_if_unchanged(path: Path, data: bytes, expected_fingerprint: str) -> bool:
    """Atomically replace `path` with `data` unless it changed since it was read (then raise).

    Returns whether the file was written (identical bytes are left alone).
    """
    if fingerprint(path) != expected_fingerprint:
        raise ConcurrentChange(Path(path))
    return write_bytes_atomic(path, data)
