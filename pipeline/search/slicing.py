"""E-utilities date limits, and splitting a search by date until every slice is reachable in full.

PubMed's esearch and efetch reach only the first 9,999 records of a query (`HISTORY_CAP`); a
larger result is searched again in halves of its date range until each half holds at most that.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pipeline.errors import InputError, UserError
from pipeline.search.entrez import HISTORY_CAP, OPEN_MAX, OPEN_MIN
from pipeline.search.replies import SearchResult

DATE_RE = re.compile(r"^\d{4}(/\d{1,2}(/\d{1,2})?)?$")


class Searcher(Protocol):
    """What `plan` needs of a client: one esearch, its raw reply and what it says."""

    def esearch(self, term: str, *, mindate: str | None = None, maxdate: str | None = None,
                datetype: str = "pdat", retmax: int = HISTORY_CAP) -> tuple[bytes, SearchResult]: ...


@dataclass(frozen=True)
class Slice:
    """One esearch whose result is reachable in full (at most HISTORY_CAP records)."""

    mindate: str | None
    maxdate: str | None
    result: SearchResult
    esearch_file: str


def check_dates(source: str, mindate: str | None, maxdate: str | None) -> None:
    """Raise InputError unless the date limits are YYYY, YYYY/MM or YYYY/MM/DD, in order."""
    for name, value in (("mindate", mindate), ("maxdate", maxdate)):
        if value is not None and not DATE_RE.match(value):
            raise InputError.one(f"source {source!r}", f"{name} must be YYYY, YYYY/MM or YYYY/MM/DD, not {value!r}")
        if value is not None:
            try:
                period(value, end=False)
            except ValueError as exc:
                raise InputError.one(f"source {source!r}", f"{name} {value!r} is not a date ({exc})") from None
    if mindate and maxdate and period(mindate, end=False) > period(maxdate, end=True):
        raise InputError.one(f"source {source!r}", f"mindate {mindate} is after maxdate {maxdate}")


def period(text: str, end: bool) -> dt.date:
    """First (or with `end`, last) day of an E-utilities date: YYYY, YYYY/MM or YYYY/MM/DD."""
    parts = [int(x) for x in text.split("/")]
    year, month, day = (parts + [0, 0])[:3]
    if not month:
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    if not day:
        first = dt.date(year, month, 1)
        return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)) if end else first
    return dt.date(year, month, day)


def split_range(lo: dt.date, hi: dt.date, today: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """Halve [lo, hi]; an open end far in the future ('3000') is cut near today first, where records are."""
    horizon = today + dt.timedelta(days=730)
    end = min(hi, horizon) if lo < horizon else hi
    mid = lo + (end - lo) // 2
    return (lo, mid), (mid + dt.timedelta(days=1), hi)


def fmt(day: dt.date) -> str:
    """An E-utilities date: YYYY/MM/DD."""
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def plan(client: Searcher, term: str, mindate: str | None, maxdate: str | None, datetype: str,
         save: Callable[[bytes], str], today: dt.date, note: Callable[[str], None] = lambda _: None,
         ) -> tuple[SearchResult, list[Slice]]:
    """The query's esearch result and the date slices that together reach all of it."""
    data, top = client.esearch(term, mindate=mindate, maxdate=maxdate, datetype=datetype)
    top_file = save(data)
    if top.count <= HISTORY_CAP:
        return top, [Slice(mindate, maxdate, top, top_file)]
    note(f"{top.count:,} records is more than PubMed's {HISTORY_CAP:,} per query: splitting by {datetype} date")
    slices: list[Slice] = []
    pending = [(period(mindate or OPEN_MIN, end=False), period(maxdate or OPEN_MAX, end=True))]
    while pending:
        lo, hi = pending.pop(0)
        if lo == hi:
            raise UserError(f"more than {HISTORY_CAP:,} records have {datetype} {fmt(lo)}; "
                            "PubMed cannot return them all: narrow the query")
        halves = []
        for a, b in split_range(lo, hi, today):
            data, result = client.esearch(term, mindate=fmt(a), maxdate=fmt(b), datetype=datetype)
            name = save(data)
            if result.count > HISTORY_CAP:
                halves.append((a, b))
            elif result.count:
                slices.append(Slice(fmt(a), fmt(b), result, name))
        pending = halves + pending
    slices.sort(key=lambda s: s.mindate or "")
    note(f"{len(slices)} date slices of at most {HISTORY_CAP:,} records")
    return top, slices
