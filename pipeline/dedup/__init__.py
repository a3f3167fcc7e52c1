"""The dedup stage: `run` reads the records table and people's decisions and writes outputs/dedup/.

`engine.dedup` is the pure core (records in, clusters and studies out); `stage` is its I/O edge.
"""

from pipeline.dedup.stage import DedupRunResult, run

__all__ = ["DedupRunResult", "run"]
