"""`Review`: the whole pipeline as a library, one method per stage (what `python -m pipeline <stage>` calls).

    from pipeline import Review
    review = Review("path/to/project")
    review.import_(); review.dedup()
    screened = review.screen(); review.extract()
    print(screened.describe(review.layout))

Each method reads the protocol afresh (so edits to queries/review.toml count), calls the stage's
`run` and returns its typed result; nothing is printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import check as check_stage
from pipeline import dedup as dedup_stage
from pipeline import extract as extract_stage
from pipeline import imports as import_stage
from pipeline import report as report_stage
from pipeline import screen as screen_stage
from pipeline import search as search_stage
from pipeline.check import CheckResult
from pipeline.dedup import DedupRunResult
from pipeline.extract import ExtractResult
from pipeline.imports import ImportResult
from pipeline.layout import Layout
from pipeline.progress import Progress
from pipeline.protocol import Protocol, load
from pipeline.report import ReportResult
from pipeline.screen import ScreenResult
from pipeline.search import SearchResult


class Review:
    """One project folder: its protocol (default queries/review.toml) and its outputs (default outputs/)."""

    def __init__(self, root: Path | str = ".", *, protocol: Path | str | None = None,
                 outputs: Path | str | None = None, progress: Progress | None = None):
        self.layout = Layout.at(root, outputs, protocol)
        self.protocol_path = self.layout.protocol
        self.progress = progress

    @property
    def protocol(self) -> Protocol:
        """The protocol as it is on disk now."""
        return load(self.protocol_path, root=self.layout.root)

    def search(self, **options: Any) -> SearchResult:
        """Live searches: PubMed (needs NCBI_EMAIL), ClinicalTrials.gov, Europe PMC; options as `pipeline.search.run`."""
        return search_stage.run(self.layout, self.protocol, progress=self.progress, **options)

    def import_(self) -> ImportResult:
        """Every source -> outputs/records/ (`import` is a Python keyword, hence the underscore)."""
        return import_stage.run(self.layout, self.protocol, progress=self.progress)

    def dedup(self) -> DedupRunResult:
        return dedup_stage.run(self.layout, self.protocol, progress=self.progress)

    def screen(self) -> ScreenResult:
        return screen_stage.run(self.layout, self.protocol, progress=self.progress)

    def extract(self) -> ExtractResult:
        return extract_stage.run(self.layout, self.protocol, progress=self.progress)

    def report(self, *, check: bool = False) -> ReportResult:
        return report_stage.run(self.layout, self.protocol, check=check, progress=self.progress)

    def check(self, **options: Any) -> CheckResult:
        """The retraction check of included studies in Crossref (network; CONTACT_EMAIL or NCBI_EMAIL)."""
        return check_stage.run(self.layout, self.protocol, progress=self.progress, **options)

    def run_offline(self) -> ReportResult:
        """What `make review` does: import, dedup, screen, extract, report; returns the report's result."""
        self.import_()
        self.dedup()
        self.screen()
        self.extract()
        return self.report()
