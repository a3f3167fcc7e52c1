"""`python -m pipeline app`: the links it prints, secret links made once, revoked, and one server per outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.app.command import is_loopback
from pipeline.app.tokens import Tokens
from pipeline.cli import main
from pipeline.layout import Layout
from tests.app_helpers import Client, Process
from tests.fixtures.app.project import make


def test_only_loopback_addresses_count_as_this_machine() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.org"]))


def test_new_token_prints_a_working_link_once_and_revoke_ends_it(tmp_path: Path, capsys) -> None:
    make(tmp_path, 2)
    assert main(["app", "--root", str(tmp_path), "--new-token", "alice"]) == 0
    link = re.search(r"alice: (http://127\.0\.0\.1:8765/t/(\S+))", capsys.readouterr().err)
    assert link
    tokens = Tokens(Layout.at(tmp_path).app_tokens)
    assert tokens.who(link.group(2)) == "alice"
    assert main(["app", "--root", str(tmp_path), "--revoke", "alice"]) == 0
    assert tokens.who(link.group(2)) is None
    assert main(["app", "--root", str(tmp_path), "--new-token", "mallory"]) == 2   # not in the protocol


def test_with_tokens_the_server_prints_each_persons_link_only_the_first_time(tmp_path: Path) -> None:
    make(tmp_path, 2)
    first = Process(tmp_path, "--tokens").start()
    try:
        links = dict(re.findall(r"^(\w+): http://127\.0\.0\.1:\d+/t/(\S+)", first.output, re.M))
        assert sorted(links) == ["alice", "bob", "carol"]
        assert Client(first.port, links["bob"]).get("/screen/title_abstract/bob").status == 200
        assert Client(first.port).get("/screen/title_abstract/bob").status == 401
    finally:
        first.stop()
    again = Process(tmp_path, "--tokens").start()
    try:
        assert "/t/" not in again.output and "alice: link made earlier" in again.output
    finally:
        again.stop()


def test_without_tokens_it_prints_one_link_per_reviewer_and_stage_and_refuses_a_second_server(tmp_path: Path) -> None:
    make(tmp_path, 2)
    server = Process(tmp_path).start()
    try:
        assert re.search(r"^alice \(title/abstract\): http://127\.0\.0\.1:\d+/screen/title_abstract/alice$", server.output, re.M)
        assert "carol (resolve title/abstract conflicts)" in server.output
        assert re.search(r"^alice \(full-text\): \S+ +\(no sheet yet: `make screen` makes it once studies are "
                         r"included at title/abstract\)$", server.output, re.M)
        with pytest.raises(RuntimeError, match="another screening app is already serving"):
            Process(tmp_path).start()
    finally:
        server.stop()
