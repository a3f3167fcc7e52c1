"""The CLI's common options (--root, --protocol, --outputs) turned into a `Layout` and a `Protocol`."""

from __future__ import annotations

import argparse

from pipeline.layout import Layout
from pipeline.protocol import Protocol, load


def common_parser() -> argparse.ArgumentParser:
    """The options every stage takes (a parent parser for each sub-command)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", help="project folder (default: current folder)")
    common.add_argument("--protocol", default=None, help="protocol file (default: ROOT/queries/review.toml)")
    common.add_argument("--outputs", default=None, help="outputs folder (default: ROOT/outputs)")
    return common


def layout_from_args(args: argparse.Namespace) -> Layout:
    return Layout.at(getattr(args, "root", "."), getattr(args, "outputs", None), getattr(args, "protocol", None))


def from_args(args: argparse.Namespace) -> tuple[Layout, Protocol]:
    """The layout and protocol named by the common options."""
    layout = layout_from_args(args)
    return layout, load(layout.protocol, root=layout.root)
