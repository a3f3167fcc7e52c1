"""CLI for the search stage (placeholder until the stage is built)."""

from __future__ import annotations

import argparse

from pipeline.errors import PipelineError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `search` to the CLI."""
    parser = sub.add_parser("search", parents=[common], help="Run the PubMed searches live and freeze each as a dated snapshot", description="Run the PubMed searches live and freeze each as a dated snapshot.")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PipelineError("the search stage is not built yet")
