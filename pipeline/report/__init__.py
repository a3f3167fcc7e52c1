"""The report stage: `run` writes outputs/report/ from the other stages' files (and can check it in Chromium)."""

from pipeline.report.build import ReportResult, run

__all__ = ["ReportResult", "run"]
