"""The shared core: atomic writes, records schema, protocol loading (CSV and text rules: test_textio.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline import files, protocol, records, textio
from pipeline.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def test_atomic_write_leaves_old_file_when_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with files.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "b.csv"
    assert textio.write_csv_atomic(target, ["a"], [["1"]]) is True
    assert textio.write_csv_atomic(target, ["a"], [["1"]]) is False
    assert target.read_bytes().startswith("\ufeff".encode())


def test_conform_fills_missing_columns_with_schema_defaults() -> None:
    frame = records.conform(pl.DataFrame({"record_id": ["x:1"], "title": ["T"], "year": ["2020"]}))
    assert frame.columns == list(records.RECORD_SCHEMA)
    row = frame.row(0, named=True)
    assert row["year"] == 2020 and row["authors"] == [] and row["retracted"] is False and row["doi"] is None


@pytest.mark.parametrize(
    "raw, expected",
    [("https://doi.org/10.1016/J.X.2010.07.013", "10.1016/j.x.2010.07.013"), ("doi:10.1/AB.", "10.1/ab"), ("n/a", None), (None, None)],
)
def test_normalise_doi(raw: str | None, expected: str | None) -> None:
    assert records.normalise_doi(raw) == expected


def test_registry_ids_are_found_in_text() -> None:
    assert records.find_registry_ids("Trial NCT01234567 and nct01234567; IRCT201111021434N1") == [
        "NCT01234567", "IRCT201111021434N1"]


def test_shipped_protocol_loads() -> None:
    proto = protocol.load(REPO / "queries" / "review.toml", root=REPO)
    assert proto.searches and proto.searches[0].name == "pubmed"
    assert proto.reviewers["title_abstract"]


def test_protocol_problems_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "review.toml"
    path.write_text('[[sources]]\nname = "a"\ntype = "ftp"\nkind = "web"\n')
    with pytest.raises(InputError) as err:
        protocol.load(path, root=tmp_path)
    text = str(err.value)
    assert "sources[1].kind" in text and "sources[1].type" in text and str(path) in text


def test_atomic_writes_get_ordinary_file_permissions(tmp_path: Path) -> None:
    target = tmp_path / "c.txt"
    files.write_text_atomic(target, "x")
    assert target.stat().st_mode & 0o644 == 0o644


def test_conform_returns_a_conforming_frame_as_is_and_fills_null_lists() -> None:
    frame = records.conform(pl.DataFrame({"record_id": ["x:1"]}))
    assert records.conform(frame) is frame
    holed = frame.with_columns(pl.lit(None, dtype=pl.List(pl.Utf8)).alias("authors"))
    assert records.conform(holed)["authors"].to_list() == [[]]


@pytest.mark.parametrize("raw", ["10.1/AB", "10.1/ab.", "10.1/ab\n", "10.1/ab ", "https://doi.org/10.1/AB", "10.1/Ä"])
def test_bare_doi_fast_path_agrees_with_the_full_normalisation(raw: str) -> None:
    import unicodedata
    full = unicodedata.normalize("NFKC", raw).strip()
    full = records._DOI_PREFIX.sub("", full).strip().rstrip(".").lower()
    assert records.normalise_doi(raw) == full
