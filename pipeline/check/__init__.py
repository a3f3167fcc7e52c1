"""The retraction check: every included study's DOI looked up in Crossref, frozen like a search.

    crossref_json.py  Crossref work replies -> updates (updated-by / update-to) and one status (pure)
    assess.py         flags from the newest check and the records' own flags vs the protocol (pure)
    retractions.py    the live check on the shared HTTP client, frozen as a resumable snapshot
    stage.py          run(): the check as a library call; load_assessment() for status and the report
    command.py        the CLI (`python -m pipeline check`, `make check`)
"""

from pipeline.check.stage import CheckResult, run

__all__ = ["CheckResult", "run"]
