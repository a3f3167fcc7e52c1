"""Which study comes next: the sheet's priority column (1 first), else sheet order; decided ones never."""

from __future__ import annotations

from pipeline.app.order import Pool, by_priority, plain


def pool(priority: dict[str, float] | None = None) -> Pool:
    return Pool(["a", "b", "c", "d"], lambda k: k, priority or {})


def test_plain_order_is_the_sheets_without_decided_studies() -> None:
    assert plain(pool(), {"b": "include"}) == ["a", "c", "d"]


def test_priority_one_comes_first_and_rows_without_a_priority_last() -> None:
    assert by_priority(pool({"c": 1, "a": 3, "d": 2}), {}) == ["c", "d", "a", "b"]
    assert by_priority(pool({"c": 1, "a": 3, "d": 2}), {"c": "exclude"}) == ["d", "a", "b"]


def test_without_priorities_the_sheet_order_stays() -> None:
    assert by_priority(pool(), {"a": "maybe"}) == ["b", "c", "d"]
