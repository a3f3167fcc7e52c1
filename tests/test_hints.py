"""`pipeline.hints`: the command a message names, for the protocol and outputs folder in use."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from pipeline import hints
from pipeline.layout import Layout
from pipeline.options import layout_from_args


def test_the_defaults_give_the_bare_commands(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    assert hints.make("screen", layout) == "make screen"
    assert hints.python("screen", layout) == "python -m pipeline screen"


def test_the_default_protocol_named_explicitly_is_still_the_default(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path, tmp_path / "outputs", tmp_path / "queries" / "review.toml")
    assert hints.make("status", layout) == "make status"


def test_another_protocol_and_outputs_inside_the_project_are_shown_relative_to_it(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path, tmp_path / "out2", tmp_path / "queries" / "other.toml")
    assert hints.make("screen", layout) == "make screen PROTOCOL=queries/other.toml OUTPUTS=out2"
    assert hints.python("screen", layout) == "python -m pipeline screen --protocol queries/other.toml --outputs out2"


def test_only_what_differs_from_the_defaults_is_named(tmp_path: Path) -> None:
    assert hints.make("report", Layout.at(tmp_path, tmp_path / "out2")) == "make report OUTPUTS=out2"
    assert (hints.make("report", Layout.at(tmp_path, protocol=tmp_path / "p.toml"))
            == "make report PROTOCOL=p.toml")


def test_a_relative_protocol_option_is_read_from_the_current_folder(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    args = argparse.Namespace(root="..", protocol="other.toml", outputs=None)
    assert hints.make("dedup", layout_from_args(args)) == "make dedup PROTOCOL=sub/other.toml"


def test_paths_outside_the_project_are_shown_in_full(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    layout = Layout.at(root, elsewhere / "out", elsewhere / "p.toml")
    assert hints.make("check", layout) == f"make check PROTOCOL={elsewhere.resolve() / 'p.toml'} OUTPUTS={elsewhere.resolve() / 'out'}"


@pytest.mark.parametrize("name", ["my review.toml", "it's.toml", "a;b.toml", "$HOME.toml"])
def test_a_path_a_shell_would_split_or_expand_is_quoted(tmp_path: Path, name: str) -> None:
    layout = Layout.at(tmp_path, protocol=tmp_path / name)
    words = shlex.split(hints.python("status", layout))
    assert words[-2:] == ["--protocol", name]


def test_a_dollar_is_doubled_for_make_which_expands_it(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path, protocol=tmp_path / "a$b.toml")
    assert shlex.split(hints.make("status", layout))[-1] == "PROTOCOL=a$$b.toml"
