"""The screen stage: `run` reads reviewers' sheets, derives every decision and writes outputs/screening/.

`engine.compute` is the pure core; `engine.run` reads, computes and writes (see `engine`).
"""

from pipeline.screen.engine import ScreenResult, run

__all__ = ["ScreenResult", "run"]
