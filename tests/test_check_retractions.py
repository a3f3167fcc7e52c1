"""The retraction check against the Crossref stand-in, and what it means for the review."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest
from crossref_server import CrossrefServer
from fake_clock import FakeClock

from pipeline.check import assess, retractions
from pipeline.contracts import CheckLog
from pipeline.errors import InputError, ServiceUnavailable, UserError
from pipeline.layout import Layout
from pipeline.protocol import RetractionAcknowledgment
from pipeline.records import conform
from pipeline.search.services import CROSSREF, ServiceSettings

STUDIES = [  # study_id, doi, full_text decision, record flags
    ("pubmed:1", "10.5555/standin.2021.0001", "include", {}),
    ("pubmed:10", "10.5555/STANDIN.2019.0010", "include", {}),
    ("pubmed:30", "10.5555/standin.2020.0030", "pending", {}),
    ("pubmed:40", "10.5555/unknown.0040", "include", {}),
    ("pubmed:50", None, "include", {"retracted": True}),
    ("pubmed:60", "10.5555/excluded.0060", "exclude", {}),
]


def frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    studies = conform(pl.DataFrame([{"record_id": s, "source": "pubmed", "title": f"Study {s}", "doi": doi, **flags}
                                    for s, doi, _, flags in STUDIES], infer_schema_length=None))
    studies = studies.with_columns(pl.col("record_id").alias("study_id"))
    final = pl.DataFrame({"study_id": [s for s, *_ in STUDIES], "automation": [""] * len(STUDIES),
                          "title_abstract": ["include"] * len(STUDIES), "full_text": [ft for _, _, ft, _ in STUDIES],
                          "full_text_reason": [""] * len(STUDIES), "example": [False] * len(STUDIES)})
    return studies, final


def client(server: CrossrefServer, **options) -> retractions.CrossrefClient:
    patience = {"interval": 0.0, "backoff": 0.01, "timeout": 0.5, "tries": 3, **options}
    return retractions.CrossrefClient(ServiceSettings(CROSSREF, server.url, mailto="me@example.org", **patience))


@pytest.fixture
def checked(tmp_path):
    layout = Layout.at(tmp_path)
    with CrossrefServer() as server:
        folder = retractions.take(layout, *frames(), client(server))
        hits = server.hits("works")
    return layout, folder, hits


def test_every_candidate_doi_is_asked_once_with_mailto_and_excluded_studies_are_not(checked):
    _, _, hits = checked
    asked = sorted(h.path.removeprefix("/works/") for h in hits)
    assert asked == ["10.5555/standin.2019.0010", "10.5555/standin.2020.0030", "10.5555/standin.2021.0001",
                     "10.5555/unknown.0040"]
    assert all(h.params["mailto"] == "me@example.org" for h in hits)


def test_the_check_is_frozen_with_its_date_what_was_asked_and_what_came_back(checked):
    layout, folder, _ = checked
    found, log = retractions.newest(layout)
    assert found == folder and folder.parent == layout.retraction_checks
    assert log.status == "complete" and log.finished_at and log.api_url.startswith("http://127.0.0.1:")
    by_study = {r.study_id: r for r in log.studies}
    assert by_study["pubmed:10"].status == "retracted"
    assert by_study["pubmed:10"].updates[0].source == "retraction-watch"
    assert by_study["pubmed:30"].status == "concern"
    assert by_study["pubmed:1"].status == "corrected"
    assert by_study["pubmed:40"].status == "not_found"
    assert by_study["pubmed:50"].status == "no_doi"
    raw = gzip.decompress((folder / by_study["pubmed:10"].file).read_bytes())
    assert b'"retraction-watch"' in raw                       # the reply as received
    assert "me@example.org" not in (folder / "check_log.json").read_text()


@pytest.mark.parametrize("fault", ["429", "500", "503", "delay", "truncate", "malformed", "html"])
def test_each_kind_of_fault_is_retried(tmp_path, fault):
    with CrossrefServer() as server:
        server.delay = 1.0
        server.inject(fault, "works", after=1)
        folder = retractions.take(Layout.at(tmp_path), *frames(), client(server))
        assert [h.fault for h in server.hits("works")][:3] == [None, fault, None]
    _, log = retractions.newest(Layout.at(tmp_path))
    assert log.dois_asked == 4 and folder.is_dir()


def clocked(server: CrossrefServer, **options) -> tuple[retractions.CrossrefClient, FakeClock]:
    """A client whose waits go to a FakeClock (recorded, never slept); no pacing against the stand-in."""
    clock = FakeClock()
    settings = ServiceSettings(CROSSREF, server.url, mailto="me@example.org",
                               **{"interval": 0.0, "backoff": 0.5, "timeout": 2.0, "tries": 3, **options})
    return retractions.CrossrefClient(settings, settings.client(clock=clock)), clock


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_on_429_or_503_is_waited_rather_than_the_shorter_backoff(status):
    with CrossrefServer() as server:
        server.retry_after[status] = "7"
        server.inject(str(status), "works")
        crossref, clock = clocked(server)
        _, work = crossref.work("10.5555/standin.2021.0001")
        assert [h.fault for h in server.hits("works")] == [str(status), None]
    assert work is not None and clock.sleeps == [7.0]


def test_a_retry_after_longer_than_max_backoff_is_cut_to_it():
    with CrossrefServer() as server:
        server.retry_after[429] = "3600"
        server.inject("429", "works", times=2)
        crossref, clock = clocked(server, max_backoff=20.0)
        _, work = crossref.work("10.5555/standin.2021.0001")
    assert work is not None and clock.sleeps == [20.0, 20.0]


def test_a_retry_after_shorter_than_the_backoff_waits_the_backoff():
    with CrossrefServer() as server:                     # the stand-in's 429 says Retry-After: 0
        server.inject("429", "works", times=2)
        crossref, clock = clocked(server)
        crossref.work("10.5555/standin.2021.0001")
    assert clock.sleeps == [0.5, 1.0]


def test_without_a_contact_address_nothing_is_sent(tmp_path):
    with CrossrefServer() as server:
        bare = retractions.CrossrefClient(ServiceSettings(CROSSREF, server.url, interval=0.0))
        with pytest.raises(UserError, match="CONTACT_EMAIL"):
            retractions.take(Layout.at(tmp_path), *frames(), bare)
        assert server.hits() == []


def test_mailto_comes_from_contact_email_else_ncbi_email():
    assert ServiceSettings.from_env(CROSSREF, {"CONTACT_EMAIL": "a@b.org", "NCBI_EMAIL": "c@d.org"}).mailto == "a@b.org"
    assert ServiceSettings.from_env(CROSSREF, {"NCBI_EMAIL": "c@d.org"}).mailto == "c@d.org"
    assert ServiceSettings.from_env(CROSSREF, {"CROSSREF_API_URL": "http://u:p@127.0.0.1:9/x?k=1"}).base_url == "http://127.0.0.1:9/x/"


def test_an_interrupted_check_resumes_without_asking_again(tmp_path):
    layout = Layout.at(tmp_path)
    with CrossrefServer() as server:
        server.inject("503", "works", times=3, after=2)
        with pytest.raises(ServiceUnavailable, match="kept"):
            retractions.take(layout, *frames(), client(server))
        assert retractions.newest(layout) == (None, None)
        before = len(server.hits("works"))
        retractions.take(layout, *frames(), client(server), note=(notes := []).append)
        again = [h.path for h in server.hits("works")[before:]]
    assert any("resuming" in n for n in notes)
    assert len(again) == 2                                   # only the two DOIs not yet answered
    assert retractions.newest(layout)[1].studies_checked == 5


def test_check_log_json_reads_back_as_the_typed_log_it_was_written_from(checked):
    _, folder, _ = checked
    text = json.loads((folder / retractions.LOG_NAME).read_text(encoding="utf-8"))
    log = CheckLog.from_json(text)
    assert log.to_json() == text and list(log.to_json()) == list(text)   # same keys, same order, same values
    assert set(log.files) == {s.file for s in log.studies if s.file} and log.studies_checked == len(text["studies"])


@pytest.mark.parametrize("damage", ["counts", "requests", "studies.0.updates"])
def test_a_check_log_missing_what_the_check_writes_is_an_error_naming_the_file(checked, damage):
    layout, folder, _ = checked
    path = folder / retractions.LOG_NAME
    text = json.loads(path.read_text(encoding="utf-8"))
    *parents, key = damage.split(".")
    target = text
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    del target[key]
    path.write_text(json.dumps(text), encoding="utf-8")
    with pytest.raises(InputError, match=rf"check_log\.json.*{key.split('.')[-1]} is missing"):
        retractions.newest(layout)


# --- what the flags mean for the review ----------------------------------------------------------

def assessed(layout, acknowledged=()):
    folder, log = retractions.newest(layout)
    return assess.assess(assess.candidates(*frames()), log, tuple(acknowledged), str(folder))


def test_retracted_and_concern_studies_are_flagged_from_crossref_and_from_their_records(checked):
    result = assessed(checked[0])
    flags = {f.study_id: f for f in result.flags}
    assert set(flags) == {"pubmed:10", "pubmed:30", "pubmed:50"}
    assert flags["pubmed:10"].status == "retracted" and flags["pubmed:10"].included
    assert any("retraction-watch" in e for e in flags["pubmed:10"].evidence)
    assert flags["pubmed:30"].status == "concern" and not flags["pubmed:30"].included
    assert flags["pubmed:50"].evidence == ("record flag: retracted (PubMed or Europe PMC)",)
    assert result.no_doi == ("pubmed:50",) and result.unchecked == ()


def test_unacknowledged_included_flags_block_the_review_and_pending_ones_do_not(checked):
    result = assessed(checked[0])
    assert not result.ok
    assert [b.split(" is ")[0] for b in result.blocking] == ["pubmed:10", "pubmed:50"]


def test_acknowledged_keep_with_a_reason_or_exclude_then_excluded_settle_it(checked):
    keep = RetractionAcknowledgment("keep", "Retracted for an unrelated figure", doi="10.5555/standin.2019.0010")
    exclude = RetractionAcknowledgment("exclude", "Retracted: data fabricated", study="pubmed:50")
    result = assessed(checked[0], [keep, exclude])
    assert result.blocking == ["pubmed:50 is acknowledged as excluded ([[retractions]]) but is still included: "
                               "exclude it in the full-text sheets"]
    studies, final = frames()
    final = final.with_columns(pl.when(pl.col("study_id") == "pubmed:50").then(pl.lit("exclude"))
                               .otherwise(pl.col("full_text")).alias("full_text"))
    _, log = retractions.newest(checked[0])
    assert assess.assess(assess.candidates(studies, final), log, (keep, exclude)).ok


def test_included_studies_never_checked_block_until_make_check(tmp_path):
    result = assess.assess(assess.candidates(*frames()), None, ())
    assert result.checked_at is None
    assert any("not been checked for retractions: run `make check`" in b for b in result.blocking)
    assert set(result.unchecked) == {"pubmed:1", "pubmed:10", "pubmed:40"}


def test_make_check_runs_on_the_screening_results_and_ends_with_one_summary_line(tmp_path, monkeypatch, capsys):
    from fixtures.report.stage_files import PROTOCOL, write_stage_files

    from pipeline.cli import main

    layout = write_stage_files(tmp_path / "outputs")
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "review.toml").write_text(PROTOCOL.read_text())
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    with CrossrefServer() as server:
        monkeypatch.setenv("CROSSREF_API_URL", server.url)
        assert main(["check", "--root", str(tmp_path), "--backoff", "0.01"]) == 1     # no contact address
        assert server.hits() == []
        monkeypatch.setenv("CONTACT_EMAIL", "me@example.org")
        assert main(["check", "--root", str(tmp_path), "--backoff", "0.01"]) == 0
    err = capsys.readouterr().err
    assert "error: Crossref asks every client for a contact address" in err
    assert "check: 3 studies, 1 DOIs asked in Crossref (1 requests): 1 not found, 2 no doi -> outputs/checks/retractions/" in err
    assert "websites:w1 is retracted and included: acknowledge it" in err
    assert retractions.newest(layout)[0] is not None
