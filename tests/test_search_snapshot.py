"""Snapshots through the stand-in server: batching, date slicing, dedup, resume, atomicity, secrecy."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json

import pytest
from eutils_server import EutilsServer
from fake_clock import FakeClock

from pipeline.errors import InputError, PipelineError
from pipeline.imports import pubmed_xml
from pipeline.imports.build import read_search
from pipeline.layout import Layout
from pipeline.protocol import PubMedSearch
from pipeline.search import snapshot
from pipeline.search.entrez import EntrezClient
from pipeline.search.pubmed import take
from pipeline.search.replies import efetch_pmids
from pipeline.search.settings import Settings
from pipeline.search.snapshot import efetch_files, latest, read_log, read_raw

KEY = "SECRET-KEY-123"
SEARCH = PubMedSearch(name="pubmed", query='("stem cell*"[tiab] OR MSC[tiab])\nAND "multiple sclerosis"[mh]',
                      mindate="1990")
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def client_for(server: EutilsServer, **options) -> EntrezClient:
    options = {"timeout": 2.0, "tries": 2, "backoff": 0.01, "interval": 0.0, **options}
    return EntrezClient(Settings(email="tester@example.org", base_url=server.url, **options), clock=FakeClock())


def stored_pmids(folder) -> list[str]:
    return [p for f in efetch_files(folder) for p in efetch_pmids(read_raw(f))]


def tree(layout: Layout) -> dict[str, str]:
    """Every file under outputs/ with its SHA-256, to prove nothing changed."""
    if not layout.outputs.exists():
        return {}
    return {str(p.relative_to(layout.outputs)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in layout.outputs.rglob("*") if p.is_file()}


@pytest.fixture
def layout(tmp_path) -> Layout:
    return Layout.at(tmp_path)


def test_a_search_is_stored_in_batches_with_its_log(layout):
    with EutilsServer(count=1200) as server:
        folder = take(layout, SEARCH, client_for(server), batch_size=500, now=T0)
        fetches = server.hits("efetch")
    assert folder == layout.search / "pubmed" / "2025-03-01T120000Z"
    assert [f.name for f in efetch_files(folder)] == ["efetch-00001.xml.gz", "efetch-00002.xml.gz", "efetch-00003.xml.gz"]
    assert [(int(h.params["retstart"]), int(h.params["retmax"])) for h in fetches] == [(0, 500), (500, 500), (1000, 204)]
    assert all("WebEnv" in h.params and h.params["query_key"] == "1" for h in fetches)
    log = read_log(folder)
    assert log["count_reported"] == log["retrieved"] == 1204
    assert sorted(stored_pmids(folder)) == sorted(a.pmid for a in server.data.articles if a.published.year >= 1990)
    assert log["query"] == SEARCH.query and log["query_translation"].endswith("AND 1990:3000[Date - Publication]")
    assert (log["mindate"], log["maxdate"], log["datetype"], log["status"]) == ("1990", None, "pdat", "complete")
    assert log["started_at"] == "2025-03-01T12:00:00Z" and log["finished_at"].endswith("Z")
    assert log["eutils_url"] == server.url and log["tool"] == "review-pipeline" and log["biopython_version"]
    assert [b["records"] for b in log["batches"]] == [500, 500, 204]
    assert (folder / "esearch-00001.xml.gz").is_file() and (folder / "einfo-00001.xml.gz").is_file()
    assert not (folder / "state.json").exists()
    assert latest(layout, "pubmed") == folder


def test_raw_replies_are_stored_exactly_as_received(layout):
    with EutilsServer(count=10) as server:
        folder = take(layout, SEARCH, client_for(server), now=T0)
        ids = [a.pmid for a in server.data.articles if a.published.year >= 1990]
        expected = server.efetch({"db": "pubmed", "id": ",".join(ids)})[1]
    assert read_raw(efetch_files(folder)[0]) == expected
    assert gzip.decompress((folder / "efetch-00001.xml.gz").read_bytes()).startswith(b"<?xml")


def test_more_than_the_cap_is_split_into_date_slices_and_merged_without_duplicates(layout):
    with EutilsServer(count=11_000, with_fixtures=False) as server:
        search = PubMedSearch(name="pubmed", query="cells[tiab]")
        folder = take(layout, search, client_for(server), batch_size=5000, now=T0)
        top_fetch_limit = max(int(h.params.get("retstart", 0)) + int(h.params.get("retmax", 0))
                              for h in server.hits("efetch") if "WebEnv" in h.params)
    log = read_log(folder)
    pmids = stored_pmids(folder)
    assert log["count_reported"] == 11_000
    assert len(log["slices"]) >= 2 and all(s["count"] <= 9_999 for s in log["slices"])
    assert sum(s["count"] for s in log["slices"]) > 11_000       # year-only dates fall in two slices
    assert len(pmids) == len(set(pmids)) == log["retrieved"] == 11_000
    assert top_fetch_limit <= 9_999
    assert {b["mode"] for b in log["batches"]} == {"history", "pmid"}


def test_a_single_day_over_the_cap_is_a_clear_error(layout):
    with EutilsServer(count=10_000, first_year=2020, last_year=2020, year_only_every=1, with_fixtures=False) as server:
        with pytest.raises(PipelineError, match="more than 9,999 records have pdat 2020/01/0"):
            take(layout, PubMedSearch(name="pubmed", query="cells", mindate="2020/01/01", maxdate="2020/01/04"),
                 client_for(server), now=T0)


def test_a_failed_run_keeps_the_previous_snapshot_and_says_what_it_got(layout):
    with EutilsServer(count=1200) as server:
        first = take(layout, SEARCH, client_for(server), batch_size=500, now=T0)
        before = dict(tree(layout).items())
        server.inject("503", "efetch", times=2, after=1)
        with pytest.raises(PipelineError, match=r"pubmed: efetch .* failed 2 times; last: HTTP 503.*kept 500 records "
                                                r"in 1 batches in .*\.partial-2025-03-02T120000Z.*run the same command again"):
            take(layout, SEARCH, client_for(server), batch_size=500, now=T0 + dt.timedelta(days=1))
    assert latest(layout, "pubmed") == first
    assert {k: v for k, v in tree(layout).items() if k.startswith("search/pubmed/2025-03-01")} == before


def test_nothing_is_written_when_the_first_request_fails(layout):
    with EutilsServer(count=10) as server:
        server.inject("503", "einfo", times=2)
        with pytest.raises(PipelineError, match="nothing was changed"):
            take(layout, SEARCH, client_for(server), now=T0)
    assert not layout.outputs.exists()


def test_a_rerun_resumes_the_unfinished_search_from_its_stored_records(layout):
    with EutilsServer(count=1200) as server:
        server.inject("500", "efetch", times=2, after=1)
        with pytest.raises(PipelineError):
            take(layout, SEARCH, client_for(server), batch_size=500, now=T0)
        partial = layout.search / "pubmed" / ".partial-2025-03-01T120000Z"
        assert [f.name for f in efetch_files(partial)] == ["efetch-00001.xml.gz"]
        (partial / "efetch-00002.xml.gz").write_bytes(b"half a reply written as the power went")
        first_run = len(server.hits("efetch"))
        folder = take(layout, SEARCH, client_for(server), batch_size=500, now=T0 + dt.timedelta(hours=1))
        second_run = server.hits("efetch")[first_run:]
    assert [int(h.params["retstart"]) for h in second_run] == [500, 1000]     # the first batch was not fetched again
    assert not partial.exists() and folder.name == "2025-03-01T130000Z"
    log = read_log(folder)
    assert log["runs"] == ["2025-03-01T12:00:00Z", "2025-03-01T13:00:00Z"]
    pmids = stored_pmids(folder)
    assert len(pmids) == len(set(pmids)) == log["retrieved"] == 1204
    assert len(efetch_files(folder)) == 3


def test_an_unfinished_run_of_a_different_query_is_discarded_not_mixed(layout):
    with EutilsServer(count=1200) as server:
        server.inject("500", "efetch", times=2, after=1)
        with pytest.raises(PipelineError):
            take(layout, SEARCH, client_for(server), batch_size=500, now=T0)
        other = PubMedSearch(name="pubmed", query='"umbilical cord"[tiab]', mindate="1990")
        folder = take(layout, other, client_for(server), batch_size=500, now=T0 + dt.timedelta(hours=1))
    log = read_log(folder)
    assert log["query"] == other.query and log["runs"] == ["2025-03-01T13:00:00Z"]
    assert [b["file"] for b in log["batches"]] == ["efetch-00001.xml.gz", "efetch-00002.xml.gz", "efetch-00003.xml.gz"]
    assert list((layout.search / "pubmed").iterdir()) == [folder]


def test_an_interrupted_run_is_kept_for_resuming(layout):
    def interrupt_after_first_batch(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    notes: list[str] = []
    with EutilsServer(count=1200) as server:
        with pytest.raises(KeyboardInterrupt):
            take(layout, SEARCH, client_for(server), batch_size=500, now=T0, report=interrupt_after_first_batch,
                 note=notes.append)
    assert any("interrupted; kept 500 records in 1 batches" in n for n in notes)
    assert latest(layout, "pubmed") is None
    assert len(efetch_files(layout.search / "pubmed" / ".partial-2025-03-01T120000Z")) == 1


def test_pubmed_warnings_are_kept_in_the_log(layout):
    with EutilsServer(count=10, phrases_not_found=("MSC",)) as server:
        folder = take(layout, SEARCH, client_for(server), now=T0)
    assert read_log(folder)["warnings"] == ["PhraseNotFound: MSC"]


def test_a_query_that_finds_nothing_is_a_complete_empty_snapshot(layout):
    with EutilsServer(count=0, with_fixtures=False) as server:
        folder = take(layout, SEARCH, client_for(server), now=T0)
    log = read_log(folder)
    assert (log["count_reported"], log["retrieved"], efetch_files(folder)) == (0, 0, [])


def test_a_bad_query_sends_nothing(layout):
    with EutilsServer(count=10) as server:
        with pytest.raises(InputError, match="query of source 'pubmed': line 1, column 1: '\\(' is never closed"):
            take(layout, PubMedSearch(name="pubmed", query="(cells"), client_for(server), now=T0)
        assert server.hits() == []


def test_the_api_key_is_never_written_or_printed(layout, capsys):
    with EutilsServer(count=700) as server:
        server.inject("429", "efetch")            # a 429 body names the key, as NCBI's does
        server.inject("400", "esearch", after=1)
        notes: list[str] = []
        client = client_for(server, api_key=KEY)
        folder = take(layout, SEARCH, client, batch_size=500, now=T0, note=notes.append)
        with pytest.raises(PipelineError) as caught:
            take(layout, SEARCH, client, now=T0 + dt.timedelta(days=1), note=notes.append)
        assert all(h.params.get("api_key") == KEY for h in server.hits())      # it was sent
    written = [p for p in layout.outputs.rglob("*") if p.is_file()]
    assert folder.exists() and len(written) > 4
    for path in written:
        data = path.read_bytes()
        assert KEY.encode() not in data and KEY.encode() not in (gzip.decompress(data) if path.suffix == ".gz" else b"")
    assert KEY not in str(caught.value) and "***" in str(caught.value)
    out = capsys.readouterr()
    assert KEY not in out.out + out.err + "".join(notes)


def test_latest_ignores_unfinished_and_foreign_folders(layout):
    source = layout.search / "pubmed"
    (source / ".partial-2099-01-01T000000Z").mkdir(parents=True)
    (source / "notes").mkdir()
    (source / "2030-01-01T000000Z").mkdir()               # no search_log.json: not complete
    assert latest(layout, "pubmed") is None
    done = source / "2024-05-06T070809Z"
    done.mkdir()
    (done / "search_log.json").write_text(json.dumps({"status": "complete"}))
    assert latest(layout, "pubmed") == done
    assert latest(layout, "embase") is None


def test_read_log_names_the_file_when_it_is_broken(tmp_path):
    (tmp_path / "search_log.json").write_text("{oops")
    with pytest.raises(InputError, match="search_log.json: search log is not valid JSON"):
        read_log(tmp_path)
    with pytest.raises(InputError, match="not found"):
        read_log(tmp_path / "missing")


def test_snapshot_names_are_utc_stamps():
    moment = dt.datetime(2025, 1, 2, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert snapshot.stamp(moment) == "2025-01-02T020506Z"
    assert snapshot.iso(moment) == "2025-01-02T02:05:06Z"


def test_when_pubmed_changes_between_esearch_and_efetch_records_are_fetched_by_pmid(layout):
    with EutilsServer(count=30) as server:
        gone = server.data.articles[5].pmid

        def pubmed_changes(done: int, total: int) -> None:
            if done == 0:                         # after esearch, before the first efetch
                for keys in server.history.values():
                    keys[-1].insert(0, "90000003")   # a record now sorts first: history positions shift
                del server.data.by_pmid[gone]         # and one record is withdrawn

        folder = take(layout, PubMedSearch(name="pubmed", query="cells"), client_for(server), batch_size=10,
                      now=T0, report=pubmed_changes)
    log = read_log(folder)
    assert {b["mode"] for b in log["batches"]} == {"pmid"}
    assert log["not_returned"] == [gone]
    assert "1 PMIDs found by esearch were not returned by efetch" in log["warnings"]
    assert log["retrieved"] == log["count_reported"] - 1 == len(set(stored_pmids(folder)))


def test_a_batch_whose_records_were_all_withdrawn_is_kept_and_imports_as_none(layout):
    with EutilsServer(count=30) as server:
        def withdraw_the_first_batch(done: int, total: int) -> None:
            if done == 0:
                for keys in server.history.values():
                    for pmid in keys[-1][:10]:
                        server.data.by_pmid.pop(pmid, None)

        folder = take(layout, PubMedSearch(name="pubmed", query="cells"), client_for(server), batch_size=10,
                      now=T0, report=withdraw_the_first_batch)
    log = read_log(folder)
    assert log["batches"][0]["records"] == 0 and len(log["not_returned"]) == 10
    first = read_raw(efetch_files(folder)[0])
    assert b"Empty result" in first                                   # NCBI's reply, stored as received
    records = [pubmed_xml.parse(path) for path in efetch_files(folder)]
    assert records[0].height == 0 and sum(r.height for r in records) == log["retrieved"]


def test_a_batch_with_a_delete_citation_is_listed_verified_and_its_pmids_removed_on_import(layout):
    search = PubMedSearch(name="pubmed", query="cells")
    with EutilsServer(count=30) as server:
        gone = server.data.articles[3].pmid
        server.deleted = (gone, "79999999")             # the second was never in the search
        folder = take(layout, search, client_for(server), batch_size=10, now=T0)
    log = read_log(folder)                                # every file checked against the log and its SHA-256
    files = efetch_files(folder)
    assert [b["file"] for b in log["batches"]] == [f.name for f in files]
    assert {f.name for f in files} <= set(log["files"])
    assert all(b"<DeleteCitation>" in read_raw(f) for f in files)
    assert sum(b["records"] for b in log["batches"]) == log["retrieved"] == len(stored_pmids(folder))
    records, info = read_search(layout, search)
    assert gone not in records["pmid"].to_list()
    assert (info.deleted, info.records) == (1, log["retrieved"] - 1)
    assert not any("retrieved" in w for w in info.warnings)
