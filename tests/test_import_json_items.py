"""What both JSON readers (ClinicalTrials.gov studies, Europe PMC results) do with a page of items."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from pipeline.imports import ctgov_json, europepmc_json
from pipeline.records import RECORD_SCHEMA

READERS = {  # reader -> (fixture file, list key, the word errors use for one item)
    "ctgov": (lambda items, f: ctgov_json.read_studies(items, "ctgov", f)[0], "ctgov/studies.json", "studies", "study"),
    "europepmc": (lambda items, f: europepmc_json.read_results(items, "europepmc", f)[0], "europepmc/results.json",
                  "result", "result"),
}


@pytest.fixture(params=sorted(READERS))
def reader(request, fixtures):
    read, path, key, noun = READERS[request.param]
    items = json.loads((fixtures / path).read_text(encoding="utf-8"))[key]
    return read, items, noun


def test_an_item_that_is_not_an_object_is_an_error_naming_the_file_and_its_number(reader):
    read, items, noun = reader
    with pytest.raises(InputError, match=rf"page\.json: {noun} 2 is not a JSON object"):
        read([items[0], ["not", "an", "object"], *items[1:]], "page.json")


def test_an_item_repeated_on_a_later_page_is_kept_once_as_first_seen(reader):
    read, items, _ = reader
    once, twice = read(items, "f"), read([*items, *items[:2]], "f")
    assert twice.rows() == once.rows() and once.height == len(items)


def test_an_empty_page_is_an_empty_records_table(reader):
    read, _, _ = reader
    empty = read([], "f")
    assert empty.height == 0 and empty.schema == RECORD_SCHEMA
