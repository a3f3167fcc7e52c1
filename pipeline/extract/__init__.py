"""The extract stage: `run` writes extraction sheets per reviewer (with suggested values), links reports
of one study, settles dual extraction and writes outputs/extraction/ (see `engine`)."""

from pipeline.extract.engine import ExtractResult, run

__all__ = ["ExtractResult", "run"]
