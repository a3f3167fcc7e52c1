"""Read and write the CSV files people edit (reviewer sheets, resolutions, overrides).

Spreadsheets re-save CSV in many ways; all of these read back the same table: a UTF-8 BOM,
`;` or tab as delimiter (Excel in many locales), CRLF line ends, quoted multi-line cells, trailing
empty rows and columns, reordered rows or columns, and cp1252 (Windows "ANSI") re-saves. Cells the
pipeline wrote with a formula guard (a leading apostrophe) are read back without it.

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
from pipeline.files import guard_cell, unguard_cell, write_bytes_atomic

DELIMITERS = (",", ";", "\t")


@dataclass
class Table:
    """One CSV file as read: header names, rows as dicts, and how to write it back the same way.

    `rows[i]` came from spreadsheet row `row_numbers[i]` (header = row 1), so problems can name the
    row a person sees. `fingerprint` is the SHA-256 of the bytes read ("" when the file is missing).
    """

    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    delimiter: str = ","
    fingerprint: str = ""
    exists: bool = True


def fingerprint(path: Path) -> str:
    """SHA-256 of the file's bytes, "" when it does not exist."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def decode(data: bytes) -> str:
    """Bytes -> text: UTF-8 (BOM stripped) when valid, else cp1252 (Excel's "CSV (Windows)"), else latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: whichever of `,` `;` tab occurs most outside quotes."""
    first = text.split("\n", 1)[0]
    counts = {d: 0 for d in DELIMITERS}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(data: bytes, path: Path) -> Table:
    """Parse CSV bytes into a `Table`; column names are matched case-insensitively later."""
    text = decode(data)
    delimiter = sniff_delimiter(text)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    digest = hashlib.sha256(data).hexdigest()
    if not records:
        return Table(path, [], [], [], delimiter, digest)
    raw_header = [h.strip() for h in records[0]]
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
    return Table(path, header, rows, numbers, delimiter, digest)


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
    """CSV bytes as a spreadsheet opens them cleanly: UTF-8 BOM, CRLF, formula-guarded cells."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([guard_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_if_unchanged(path: Path, data: bytes, expected_fingerprint: str) -> bool:
    """Atomically replace `path` with `data` unless it changed since it was read (then raise).

    Returns whether the file was written (identical bytes are left alone).
    """
    if fingerprint(path) != expected_fingerprint:
        raise ConcurrentChange(Path(path))
    return write_bytes_atomic(path, data)
