"""The search stage: `run` checks the protocol's PubMed queries and freezes each live search as a snapshot."""

from pipeline.search.stage import SearchResult, run

__all__ = ["SearchResult", "run"]
