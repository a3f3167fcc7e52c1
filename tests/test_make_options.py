"""`PROTOCOL=` and `OUTPUTS=` on every make target that runs the pipeline, and the hints that name them.

The Makefile is only ever dry-run here (`make -n`, in `tmp_path`), except in the last test, which
follows the printed "Next:" hints with `make` in a temporary copy of the project whose protocol is
not queries/review.toml and whose outputs folder is not outputs/.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAKEFILE = REPO / "Makefile"
SHIPPED = Path(__file__).resolve().parent / "fixtures" / "e2e"   # the shipped queries/ and people's files
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _env() -> dict[str, str]:
    """The environment without make variables inherited from a calling make (`make test PROTOCOL=...`)."""
    return {k: v for k, v in os.environ.items() if k not in {"PROTOCOL", "OUTPUTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


def pipeline_targets() -> list[str]:
    """Every target of the Makefile whose recipe runs `$(PIPE)`."""
    found, target = [], None
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        rule = re.match(r"^([a-z][\w-]*):", line)
        if rule:
            target = rule.group(1)
        elif line.startswith("\t") and "$(PIPE)" in line and target and target not in found:
            found.append(target)
    return found


def dry_run(tmp_path: Path, *args: str) -> list[str]:
    """The pipeline commands `make -n ARGS` would run (in tmp_path, so nothing of the repo's is touched)."""
    (tmp_path / "pyproject.toml").touch()          # the venv stamp's prerequisite; -n runs nothing
    proc = subprocess.run(["make", "-n", "--no-print-directory", "-f", str(MAKEFILE), "-C", str(tmp_path), *args],
                          capture_output=True, text=True, env=_env())
    assert proc.returncode == 0, proc.stderr
    return [line for line in proc.stdout.splitlines() if " -m pipeline " in line]


def test_the_makefile_has_the_pipeline_targets_the_test_looks_for() -> None:
    assert {"review", "search", "check", "records", "dedup", "screen", "screen-app", "extract", "report",
            "report-check", "status", "clean"} <= set(pipeline_targets())


@pytest.mark.parametrize("target", pipeline_targets())
def test_every_pipeline_target_passes_protocol_and_outputs(tmp_path: Path, target: str) -> None:
    commands = dry_run(tmp_path, target, "PROTOCOL=queries/other.toml", "OUTPUTS=out 2")
    assert commands
    for command in commands:
        words = shlex.split(command)
        assert words[words.index("--protocol") + 1] == "queries/other.toml", command
        assert words[words.index("--outputs") + 1] == "out 2", command


@pytest.mark.parametrize("target", pipeline_targets())
def test_without_them_a_target_passes_neither(tmp_path: Path, target: str) -> None:
    for command in dry_run(tmp_path, target):
        assert "--protocol" not in command and "--outputs" not in command, command


def test_the_app_target_keeps_its_args(tmp_path: Path) -> None:
    app = [c for c in dry_run(tmp_path, "screen-app", "OUTPUTS=out2", "ARGS=--port 9000") if " app " in c]
    assert shlex.split(app[0])[-4:] == ["--outputs", "out2", "--port", "9000"]


def test_help_mentions_protocol_and_outputs(tmp_path: Path) -> None:
    out = subprocess.run(["make", "--no-print-directory", "-f", str(MAKEFILE), "-C", str(tmp_path), "help"],
                         capture_output=True, text=True, env=_env(), check=True).stdout
    assert "PROTOCOL=" in out and "OUTPUTS=" in out


def _venv_ready() -> Path:
    """The virtual environment running the tests, when its install stamp is current (make then installs nothing)."""
    venv = Path(sys.prefix)
    stamp = venv / ".installed-stamp"
    if sys.prefix == sys.base_prefix or not stamp.is_file() or \
            stamp.stat().st_mtime < (REPO / "pyproject.toml").stat().st_mtime:
        pytest.skip("needs the tests to run in the make-built virtual environment (`make venv`)")
    return venv


def _hint(output: str) -> str | None:
    """The first command in backquotes on a "Next:" or "error:" line (warnings are left aside)."""
    for line in output.splitlines():
        if line.startswith(("Next: ", "error: ")):
            found = re.search(r"`((?:make|python -m pipeline) [^`]+)`", line)
            if found:
                return found.group(1)
    return None


def _settle_duplicates_as_printed(output: str, decisions: Path) -> None:
    """What the person does when status lists possible duplicates: add each pair's printed line."""
    rows = [line.strip().removeprefix("keep apart:").strip() for line in output.splitlines()
            if line.strip().startswith("keep apart:")]
    if rows:
        old = decisions.read_text(encoding="utf-8-sig") if decisions.exists() else ""
        decisions.write_text(old + ("" if not old or old.endswith("\n") else "\n") + "\n".join(rows) + "\n",
                             encoding="utf-8")


@pytest.mark.e2e
def test_following_the_printed_hints_completes_a_review_with_another_protocol_and_outputs(tmp_path: Path) -> None:
    from crossref_server import CrossrefServer

    venv = _venv_ready()
    root = tmp_path / "project"
    shutil.copytree(REPO / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(SHIPPED / "queries", root / "queries")
    (root / "queries" / "review.toml").rename(root / "queries" / "other.toml")   # a hint without it cannot work
    shutil.copytree(SHIPPED / "outputs", root / "out2")
    (root / ".venv").symlink_to(venv)                                            # stamp current: nothing installed
    status = "make status PROTOCOL=queries/other.toml OUTPUTS=out2"
    followed = []
    with CrossrefServer() as crossref:       # `make check` as printed, against the stand-in Crossref
        env = {**_env(), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
               "CROSSREF_API_URL": crossref.url, "CONTACT_EMAIL": "me@example.org"}
        command = status
        for _ in range(16):
            proc = subprocess.run(shlex.split(command), cwd=root, capture_output=True, text=True, env=env)
            if command.startswith("make report") and proc.returncode == 0:
                break
            _settle_duplicates_as_printed(proc.stdout, root / "out2" / "dedup" / "decisions.csv")
            hint = _hint(proc.stdout + proc.stderr)
            if hint is None:                  # done without a hint (or a stage that succeeded): ask status
                assert proc.returncode == 0 and command != status, f"{command}:\n{proc.stdout}\n{proc.stderr}"
                hint = status
            followed.append(hint)
            command = hint
        else:
            pytest.fail(f"the hints never led to the report: {followed}")
    assert all("PROTOCOL=queries/other.toml OUTPUTS=out2" in c or "--protocol queries/other.toml --outputs out2" in c
               for c in followed), followed
    assert (root / "out2" / "report" / "index.html").is_file() and not (root / "outputs").exists()
