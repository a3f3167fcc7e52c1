"""A people's CSV file (a reviewer's sheet, resolutions.csv) held in memory, changed one row at a time.

The file on disk stays the one record. Every change is written before it is reported as saved:
the whole file, atomically (`files.write_bytes_atomic`: temporary file, fsync, rename, folder
fsync), in the delimiter and encoding it was read with and with every cell formula-guarded
(`textio`), under the file's write lock (`files.locked`, which the screen stage takes too).

If the file changed on disk since it was read (saved from Excel, rewritten by `make screen`), it is
read again first, and the change is applied to what is on disk now; a change to a row whose cells
are no longer what the page showed is refused (`Stale`) instead of overwriting them.

Only the changed row is re-rendered, and only its bytes are replaced in the rendered file kept in
memory: a decision costs one line of CSV plus one write of the file, whatever the size of the sheet.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import PipelineError
from pipeline.files import locked, write_bytes_atomic
from pipeline.screen.sheets import Table, column, parse
from pipeline.textio import csv_line, encode_text


class Stale(Exception):
    """The row changed on disk since the page showed it; the page must show it again."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"{key}: changed in the file since it was shown")


@dataclass(frozen=True)
class Stamp:
    """What identifies one version of a file cheaply: inode, size, modification time (ns)."""

    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> Stamp | None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(st.st_ino, st.st_size, st.st_mtime_ns)


class CsvFile:
    """One people's file: its rows by key (first row of each key), and one-row changes written safely.

    `key_names` are the accepted spellings of the key column; `ensure` are the columns a change may
    write, added to the header (at the end) when the file lacks them; `new_header` is the header of
    a file that does not exist yet (resolutions.csv before the first resolution).
    """

    def __init__(self, path: Path, key_names: tuple[str, ...], ensure: tuple[str, ...],
                 new_header: tuple[str, ...] | None = None,
                 on_reload: Callable[[], None] | None = None, missing_hint: str = "make screen"):
        self.path = Path(path)
        self.key_names, self.ensure, self.new_header = key_names, ensure, new_header
        self.on_reload = on_reload
        self.missing_hint = missing_hint    # the command that writes the file (`hints.make`)
        self.mutex = threading.RLock()
        self.reloads = 0
        self._load()

    # -- reading ------------------------------------------------------------------------------
    def _load(self) -> None:
        stamp = Stamp.of(self.path)
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            if self.new_header is None:
                raise PipelineError(f"{self.path} does not exist yet: run `{self.missing_hint}` first") from None
            data = b""
        table = parse(data, self.path) if data else Table(self.path, [], [], [], exists=False)
        if not table.header:
            table.header = list(self.new_header or self.ensure)
        self.table: Table = table
        self.stamp = stamp
        self.content = data     # the bytes the file holds as far as we know, as read
        self.buffer: bytearray | None = None   # `head` + `lines` joined, once the file holds exactly that
        self.starts = np.zeros(0, dtype=np.int64)   # where each line starts in `buffer`
        key = column(table, *self.key_names)
        if key is None:
            table.header.insert(0, self.key_names[0])
            key = self.key_names[0]
        self.key_col = key
        self.cols: dict[str, str] = {}
        for name in self.ensure:
            found = column(table, name)
            if found is None:
                table.header.append(name)
                found = name
            self.cols[name] = found
        # Each line kept as bytes in the file's encoding: a change re-encodes one line and joins bytes.
        self.head = encode_text(csv_line(table.header, delimiter=table.delimiter), table.encoding)
        self.lines = [self._line(row) for row in table.rows]
        self.index: dict[str, int] = {}
        for i, row in enumerate(table.rows):
            self.index.setdefault(row.get(self.key_col, "").strip(), i)
        self.index.pop("", None)

    def _line(self, row: Mapping[str, str]) -> bytes:
        text = csv_line([row.get(h, "") for h in self.table.header], delimiter=self.table.delimiter)
        return encode_text(text, self.table.encoding, bom=False)

    def refresh(self) -> bool:
        """Re-read the file if it changed on disk; True when it did (the change is kept)."""
        with self.mutex:
            stamp = Stamp.of(self.path)
            if stamp == self.stamp:
                return False
            try:
                now = self.path.read_bytes()
            except FileNotFoundError:
                now = b""
            if now == (self.content if self.buffer is None else self.buffer):   # touched, or the same bytes again
                self.stamp = stamp
                return False
            self._load()
            self.reloads += 1
            if self.on_reload is not None:
                self.on_reload()
            return True

    def row(self, key: str) -> Mapping[str, str] | None:
        """The first row with `key`, as read (column names as the file spells them)."""
        i = self.index.get(key)
        return None if i is None else self.table.rows[i]

    def cell(self, key: str, name: str) -> str:
        """The cell `name` (one of `ensure`) of row `key`, "" when either is missing."""
        row = self.row(key)
        return "" if row is None else row.get(self.cols[name], "")

    # -- writing ------------------------------------------------------------------------------
    def change(self, key: str, values: Mapping[str, str], expected: Mapping[str, str] | None = None,
               create: Mapping[str, str] | None = None) -> bool:
        """Set cells of row `key` (names from `ensure`) and write the file; True when it changed.

        `expected`: the cells as the page showed them; if the file now says otherwise, `Stale`.
        `create`: when no row has `key`, append one with these cells (else KeyError).
        """
        with self.mutex, locked(self.path):
            self.refresh()
            i = self.index.get(key)
            if i is None:
                if create is None:
                    raise KeyError(key)
                if expected and any(v for v in expected.values()):
                    raise Stale(key)
                row = dict.fromkeys(self.table.header, "")
                row[self.key_col] = key
                row.update({self.cols[k]: v for k, v in create.items()})
                self.table.rows.append(row)
                self.table.row_numbers.append((self.table.row_numbers[-1] if self.table.row_numbers else 1) + 1)
                self.lines.append(b"")
                if self.buffer is not None:
                    self.starts = np.append(self.starts, len(self.buffer))
                i = len(self.table.rows) - 1
                self.index[key] = i
            elif expected is not None and any(self.table.rows[i].get(self.cols[k], "").strip() != v.strip()
                                              for k, v in expected.items()):
                raise Stale(key)
            row = self.table.rows[i]
            before = {name: row.get(self.cols[name], "") for name in values}
            for name, value in values.items():
                row[self.cols[name]] = value
            try:
                return self._write(i, self._line(row))
            except BaseException:
                row.update({self.cols[name]: value for name, value in before.items()})   # the file did not change
                raise

    def _write(self, i: int, line: bytes) -> bool:
        """Put `line` in place of line `i` and write the file; False when the file already says this.

        Once the file holds our rendering (`buffer`), only that line's bytes are replaced in it: no
        join or comparison of the whole file. The first write after a read joins and compares once.
        """
        if self.buffer is None:
            old, self.lines[i] = self.lines[i], line
            data = bytearray(b"".join((self.head, *self.lines)))
            if data == self.content:
                self._keep(data)
                return False
            try:
                write_bytes_atomic(self.path, data, skip_same=False)   # refresh() just saw the file hold self.content
            except BaseException:
                self.lines[i] = old
                raise
            self._keep(data)
            return True
        old = self.lines[i]
        if line == old:
            return False
        start = int(self.starts[i])
        self._splice(i, start, old, line)
        try:
            write_bytes_atomic(self.path, self.buffer, skip_same=False)
        except BaseException:
            self._splice(i, start, line, old)      # `buffer` is again what the file holds
            raise
        self.stamp = Stamp.of(self.path)
        return True

    def _keep(self, data: bytearray) -> None:
        """`data` (`head` + `lines`) is what the file holds now."""
        self.buffer, self.content = data, b""
        self.starts = np.cumsum([len(self.head), *(len(x) for x in self.lines)], dtype=np.int64)[:-1]
        self.stamp = Stamp.of(self.path)

    def _splice(self, i: int, start: int, old: bytes, new: bytes) -> None:
        assert self.buffer is not None
        self.buffer[start:start + len(old)] = new
        self.lines[i] = new
        if len(new) != len(old):
            self.starts[i + 1:] += len(new) - len(old)
