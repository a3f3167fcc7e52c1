"""What the JSON readers (`ctgov_json`, `europepmc_json`) share: a page of items -> unique record rows.

Each item must be a JSON object that the reader's `build` turns into one `records.RECORD_SCHEMA`
row; an item that is not an object, or that `build` rejects (ValueError), is an InputError naming
the file and the item's number. The same record twice (pages of a live search can overlap when
the service changes mid-run) keeps the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import polars as pl

from pipeline.errors import InputError
from pipeline.records import RECORD_SCHEMA, conform

Row = dict[str, Any]


def unique_records(items: Iterable[Any], noun: str, source_file: str,
                   build: Callable[[dict[str, Any]], Row]) -> Iterator[tuple[dict[str, Any], Row]]:
    """Each item with its record row, first of each record_id; `noun` names an item in errors ("study")."""
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InputError.one(source_file, f"{noun} {n} is not a JSON object")
        try:
            row = build(item)
        except ValueError as exc:
            raise InputError.one(source_file, f"{noun} {n}: {exc}") from None
        if row["record_id"] in seen:
            continue
        seen.add(row["record_id"])
        yield item, row


def record_frame(rows: list[Row]) -> pl.DataFrame:
    """The rows as a conformed records frame (RECORD_SCHEMA, also when there are none)."""
    return conform(pl.DataFrame(rows, schema=RECORD_SCHEMA)) if rows else conform(pl.DataFrame(schema=RECORD_SCHEMA))


def dig(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
