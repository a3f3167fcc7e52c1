"""A reproducible systematic-review pipeline: search, import, dedup, screen, report (PRISMA 2020)."""

__version__ = "0.1.0"
