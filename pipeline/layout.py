"""Where every stage reads and writes, and who owns each file (CoLRev's paths.py is the model).

`Layout` is the one place a path is spelled. `OUTPUTS` lists every file the pipeline or a person
puts under `outputs/`, each marked with its `Owner`:

* `PEOPLE`: written (or frozen) for people and never deleted: search snapshots, reviewer sheets,
  resolutions, automation overrides, dedup decisions, the record id register. Tracked in git.
* `GENERATED`: the pipeline writes it again from its inputs; `clean` removes it; git ignores it.
* `IN_PROGRESS`: a search still being downloaded (`.partial-…`); the next run resumes it, so
  `clean` keeps it, and git ignores it.
* `RUNTIME`: what a running process relies on: write locks beside people's files (the screen
  stage and the screening app take turns), the app's token file (the links people were given);
  `clean` keeps them, git ignores them.

`clean`'s keep-list and the test that checks `.gitignore` are both derived from `OUTPUTS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pipeline import manifest
from pipeline.files import lock_path


class Owner(StrEnum):
    PEOPLE = "people"
    GENERATED = "generated"
    IN_PROGRESS = "in progress"
    RUNTIME = "runtime"


@dataclass(frozen=True)
class Entry:
    """A family of files under outputs/: `pattern` is relative to outputs/, `{name}` is one path
    segment and `**` any number of them. The first entry matching a file decides its owner."""

    pattern: str
    owner: Owner
    what: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        parts = []
        for piece in re.split(r"(\*\*|\{[a-z_]+\}|\*)", self.pattern):
            if piece == "**":
                parts.append(".+")
            elif piece == "*" or (piece.startswith("{") and piece.endswith("}")):
                parts.append("[^/]+")
            else:
                parts.append(re.escape(piece))
        return re.compile("".join(parts))

    def example(self) -> str:
        """A concrete path of this family (for checks such as .gitignore's)."""
        return re.sub(r"\{[a-z_]+\}", "example", self.pattern).replace("**", "file").replace("*", "file")


STAGE_FOLDERS = ("title_abstract", "full_text")

# Order matters: specific entries first (conflicts.csv before a reviewer's <name>.csv).
OUTPUTS: tuple[Entry, ...] = (
    Entry("**/.{file}.lock", Owner.RUNTIME, "write lock of the file beside it (files.locked); empty"),
    Entry("app/tokens.json", Owner.RUNTIME, "screening app: hashes of the secret links and the CSRF key (mode 0600)"),
    Entry("search/{source}/.partial-{stamp}/**", Owner.IN_PROGRESS, "a search still downloading; rerun to resume"),
    Entry("search/{source}/{stamp}/**", Owner.PEOPLE, "frozen search snapshots: raw replies + search_log.json"),
    Entry("records/id_register.csv", Owner.PEOPLE, "every record id ever given, so ids survive re-imports (appended to)"),
    Entry("records/records.parquet", Owner.GENERATED, "every record of every source"),
    Entry("records/sources.json", Owner.GENERATED, "what the import stage did per source"),
    Entry("records/registrations.parquet", Owner.GENERATED, "what trial registers say about each registration"),
    Entry("records/links.parquet", Owner.GENERATED, "links between reports of one study (preprint of, results of)"),
    Entry("checks/retractions/.partial-{stamp}/**", Owner.IN_PROGRESS, "a retraction check still running; rerun to resume"),
    Entry("checks/retractions/{stamp}/**", Owner.PEOPLE, "frozen retraction checks: raw Crossref replies + check_log.json"),
    Entry("dedup/decisions.csv", Owner.PEOPLE, "people's duplicate / not_duplicate decisions"),
    Entry("dedup/*", Owner.GENERATED, "clusters, studies, pairs to review, summary"),
    Entry("screening/{stage}/conflicts.csv", Owner.GENERATED, "disagreements per stage"),
    Entry("screening/{stage}/resolutions.csv", Owner.PEOPLE, "how conflicts were settled"),
    Entry("screening/{stage}/model.json", Owner.GENERATED, "the prioritisation stamp: model, training, order screened"),
    Entry("screening/{stage}/{reviewer}.csv", Owner.PEOPLE, "one reviewer's sheet"),
    Entry("screening/automation_overrides.csv", Owner.PEOPLE, "studies a person declared eligible"),
    Entry("screening/final.csv", Owner.GENERATED, "final decisions per study"),
    Entry("screening/summary.json", Owner.GENERATED, "screening counts and agreement"),
    Entry("screening/automation.csv", Owner.GENERATED, "studies marked ineligible by automation"),
    Entry("screening/orphans.csv", Owner.GENERATED, "sheet rows whose records are gone"),
    Entry("extraction/final.csv", Owner.GENERATED, "one row per study, one column per extraction field"),
    Entry("extraction/discrepancies.csv", Owner.GENERATED, "fields on which extractors disagree"),
    Entry("extraction/studies.csv", Owner.GENERATED, "every included report and the study it belongs to"),
    Entry("extraction/summary.json", Owner.GENERATED, "extraction counts and progress"),
    Entry("extraction/resolutions.csv", Owner.PEOPLE, "how extraction discrepancies were settled"),
    Entry("extraction/same_study.csv", Owner.PEOPLE, "reports a person linked into one study or kept apart"),
    Entry("extraction/{reviewer}.csv", Owner.PEOPLE, "one extractor's sheet"),
    Entry("report/**", Owner.GENERATED, "the report and its exports"),
    Entry("bench/**", Owner.GENERATED, "benchmark reports"),
    Entry(".gitignore", Owner.PEOPLE, "what git leaves out here (written once when the folder is made; yours to edit)"),
)


# outputs/.gitignore, and the one every new outputs folder gets (OUTPUTS=...): ignores exactly what
# `OUTPUTS` does not mark as people's (tests/test_layout.py checks both).
GITIGNORE = """# Written by the review pipeline when it made this outputs folder; yours to edit (never rewritten).
# Ignored: what the pipeline regenerates (`make clean` removes it, `make review` writes it again), write
# locks and the screening app's secrets. Tracked: people's files - search snapshots, screening sheets,
# resolutions, automation overrides, dedup decisions, the record id register, extraction sheets and
# same_study links (docs/outputs.md).
/.pipeline-outputs.json*
/search/*/.partial-*
/search/*/.lock
/records/*
!/records/id_register.csv
/checks/*/.partial-*
/dedup/*
!/dedup/decisions.csv
/screening/final.csv
/screening/summary.json
/screening/automation.csv
/screening/orphans.csv
/screening/*/conflicts.csv
/screening/*/model.json
/extraction/final.csv
/extraction/discrepancies.csv
/extraction/studies.csv
/extraction/summary.json
/report/
/bench/
/app/
.*.lock
"""


def owner_of(relative: str) -> Owner | None:
    """The owner of a file given relative to outputs/ in / form; None for a file no entry knows."""
    for entry in OUTPUTS:
        if entry.regex.fullmatch(relative):
            return entry.owner
    return None


@dataclass(frozen=True)
class Layout:
    """File locations of one project checkout; stages talk to each other only through these."""

    root: Path
    outputs: Path
    protocol_file: Path | None = None    # --protocol when given (as given); None: the default

    @classmethod
    def at(cls, root: Path | str = ".", outputs: Path | str | None = None,
           protocol: Path | str | None = None) -> Layout:
        root = Path(root).resolve()
        layout = cls(root=root, outputs=Path(outputs).resolve() if outputs else root / "outputs",
                     protocol_file=Path(protocol) if protocol else None)
        # files the stages write there are recorded for `clean`; a link at a generated path is replaced
        manifest.claim(layout.outputs, lambda rel: owner_of(rel) == Owner.GENERATED, {".gitignore": GITIGNORE})
        return layout

    def relative(self, path: Path | str) -> str:
        """`path` relative to the project root in / form (the same on every checkout), else as is."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def owner(self, path: Path) -> Owner | None:
        """Who owns a file under outputs/ (see `OUTPUTS`); None when no entry describes it."""
        try:
            relative = Path(path).relative_to(self.outputs).as_posix()
        except ValueError:
            return None
        return owner_of(relative)

    # the protocol (people's, outside outputs/): the one in use, and the default
    @property
    def protocol(self) -> Path:
        return self.protocol_file or self.default_protocol

    @property
    def default_protocol(self) -> Path:
        return self.root / "queries" / "review.toml"

    # search: outputs/search/<source>/<UTC timestamp>/ (raw gzip responses + search_log.json)
    @property
    def search(self) -> Path:
        return self.outputs / "search"

    def search_source(self, source: str) -> Path:
        return self.search / source

    # import: the records table of every source
    @property
    def records(self) -> Path:
        return self.outputs / "records" / "records.parquet"

    @property
    def records_sources(self) -> Path:
        return self.outputs / "records" / "sources.json"

    # every record's id, carried over across re-imports; only ever appended to (kept by `clean`)
    @property
    def id_register(self) -> Path:
        return self.outputs / "records" / "id_register.csv"

    @property
    def records_links(self) -> Path:
        """Links between reports of one study (preprint of, registration lists): LINK_SCHEMA."""
        return self.outputs / "records" / "links.parquet"

    @property
    def registrations(self) -> Path:
        """What trial registers say about each registration record: REGISTRATION_SCHEMA."""
        return self.outputs / "records" / "registrations.parquet"

    # dedup
    @property
    def dedup(self) -> Path:
        return self.outputs / "dedup"

    @property
    def clusters(self) -> Path:
        return self.dedup / "clusters.parquet"

    @property
    def studies(self) -> Path:
        return self.dedup / "studies.parquet"

    @property
    def pairs_to_review(self) -> Path:
        return self.dedup / "pairs_to_review.csv"

    @property
    def dedup_decisions(self) -> Path:
        return self.dedup / "decisions.csv"

    @property
    def dedup_summary(self) -> Path:
        return self.dedup / "summary.json"

    @property
    def linked_reports(self) -> Path:
        """Dedup studies that are reports of one study (shared trial number, register's results list)."""
        return self.dedup / "linked_reports.csv"

    # screen
    @property
    def screening(self) -> Path:
        return self.outputs / "screening"

    def screening_stage(self, stage: str) -> Path:
        return self.screening / stage

    def sheet(self, stage: str, reviewer: str) -> Path:
        return self.screening_stage(stage) / f"{reviewer}.csv"

    def resolutions(self, stage: str) -> Path:
        return self.screening_stage(stage) / "resolutions.csv"

    def conflicts(self, stage: str) -> Path:
        return self.screening_stage(stage) / "conflicts.csv"

    def model_stamp(self, stage: str) -> Path:
        """The prioritisation stamp of a stage (`pipeline.contracts.MODEL_STAMP_KEYS`)."""
        return self.screening_stage(stage) / "model.json"

    @property
    def automation_overrides(self) -> Path:
        return self.screening / "automation_overrides.csv"

    @property
    def automation(self) -> Path:
        return self.screening / "automation.csv"

    @property
    def final(self) -> Path:
        return self.screening / "final.csv"

    @property
    def screening_summary(self) -> Path:
        return self.screening / "summary.json"

    @property
    def orphans(self) -> Path:
        return self.screening / "orphans.csv"

    # check: outputs/checks/retractions/<UTC timestamp>/ (raw Crossref replies + check_log.json)
    @property
    def retraction_checks(self) -> Path:
        return self.outputs / "checks" / "retractions"

    # extract
    @property
    def extraction(self) -> Path:
        return self.outputs / "extraction"

    def extraction_sheet(self, reviewer: str) -> Path:
        return self.extraction / f"{reviewer}.csv"

    @property
    def extraction_resolutions(self) -> Path:
        return self.extraction / "resolutions.csv"

    @property
    def same_study(self) -> Path:
        return self.extraction / "same_study.csv"

    @property
    def study_links(self) -> Path:
        return self.extraction / "studies.csv"

    @property
    def discrepancies(self) -> Path:
        return self.extraction / "discrepancies.csv"

    @property
    def extraction_final(self) -> Path:
        return self.extraction / "final.csv"

    @property
    def extraction_summary(self) -> Path:
        return self.extraction / "summary.json"
    # screening app: its secrets (reviewers' token hashes, the CSRF key), mode 0600; one server at a time
    @property
    def app(self) -> Path:
        return self.outputs / "app"

    @property
    def app_tokens(self) -> Path:
        return self.app / "tokens.json"

    @property
    def app_server_lock(self) -> Path:
        return self.app / ".server.lock"

    def lock(self, target: Path) -> Path:
        """The write lock beside a file people edit (`files.locked` takes it): `.<name>.lock`."""
        return lock_path(target)

    # report
    @property
    def report(self) -> Path:
        return self.outputs / "report"

    @property
    def report_index(self) -> Path:
        return self.report / "index.html"

    @property
    def prisma_svg(self) -> Path:
        return self.report / "prisma.svg"

    @property
    def prisma_csv(self) -> Path:
        return self.report / "prisma.csv"

    @property
    def screenshot(self) -> Path:
        return self.report / "screenshot.png"

    @property
    def extraction_csv(self) -> Path:
        return self.report / "extraction.csv"

    # benchmarks
    @property
    def bench(self) -> Path:
        return self.outputs / "bench"
