"""The shipped offline review, end to end, on a temporary copy of the repo (issue: `make review`).

The copy holds the repo's git-tracked files except `queries/` and `outputs/`, which come from
`tests/fixtures/e2e/`: a copy of the shipped protocol, sample exports and people's files. So a user
who adapts `queries/` to their topic, or commits a live search's snapshot, still passes `make test`.
Runs every stage the way `make review` does (import -> dedup -> screen -> report --check; without
`--check` when chromium is absent outside CI), then checks the report's PRISMA numbers against
counts taken straight from the sample files, that a rerun changes no file, and that `clean` + rerun
reproduces every output byte for byte apart from the report's generation time.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser_helpers import chromium_or_skip

REPO = Path(__file__).resolve().parents[1]
SHIPPED = Path(__file__).resolve().parent / "fixtures" / "e2e"   # the shipped queries/ and people's files
PEOPLES = ("queries", "outputs")
pytestmark = pytest.mark.e2e


def _tracked_code() -> list[str]:
    """The repo's git-tracked files outside queries/ and outputs/ (as they are in the working tree)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the end-to-end copy is made from `git ls-files`")
    return [name for name in out.split("\0") if name and name.split("/", 1)[0] not in PEOPLES
            and (REPO / name).is_file()]


def _shipped_people_files() -> list[str]:
    return sorted(str(p.relative_to(SHIPPED)) for p in SHIPPED.rglob("*") if p.is_file())


def _run(root: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    proc = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"pipeline {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stderr


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".venv" not in p.parts}


def _stages() -> list[list[str]]:
    checked = chromium_or_skip() is not None
    return [["import"], ["dedup"], ["screen"], ["report", "--check"] if checked else ["report"]]


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the repo, with the shipped protocol and people's files, the whole review run once."""
    root = tmp_path_factory.mktemp("clone")
    for base, names in ((REPO, _tracked_code()), (SHIPPED, _shipped_people_files())):
        for name in names:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(base / name, root / name)
    root.joinpath(".shipped.json").write_text(json.dumps(_digest(root)))
    for stage in _stages():
        _run(root, *stage)
    return root


def _ris_count(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("ER  -"))


def _medline_count(path: Path) -> int:
    return len([block for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if block.strip()])


def _csv_count(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_offline_review_writes_the_report(review: Path) -> None:
    report = review / "outputs" / "report"
    for name in ("index.html", "prisma.svg", "prisma.csv", "included.csv"):
        assert (report / name).stat().st_size > 0, name
    assert (report / "included.ris").exists()  # empty while full text is pending


@pytest.mark.browser
def test_the_report_passes_its_check_in_chromium(review: Path, chromium: Path) -> None:
    assert (review / "outputs" / "report" / "screenshot.png").read_bytes().startswith(b"\x89PNG")


def test_identification_counts_match_the_shipped_export_files(review: Path) -> None:
    imports = review / "queries" / "imports"
    expected = {
        "pubmed_pages": _medline_count(imports / "pubmed_pages.nbib"),
        "pmc_pages": _ris_count(imports / "pmc_pages.ris"),
        "publisher_pages": _ris_count(imports / "publisher_pages.ris"),
        "trial_registers": _csv_count(imports / "trial_registers.csv"),
        "other_web_pages": _csv_count(imports / "other_web_pages.csv"),
    }
    with open(review / "queries" / "sample" / "msc_ms_sample.csv", encoding="utf-8") as fh:
        assert sum(expected.values()) == sum(1 for _ in csv.DictReader(fh))
    sources = json.loads((review / "outputs" / "records" / "sources.json").read_text())["sources"]
    got = {s["name"]: s["records"] for s in sources}
    assert {k: got[k] for k in expected} == expected
    assert got["pubmed"] == 0 and next(s for s in sources if s["name"] == "pubmed")["status"] == "not searched yet"
    prisma = (review / "outputs" / "report" / "prisma.csv").read_text(encoding="utf-8")
    assert f"PubMed Central, {expected['pmc_pages']}" in prisma


def test_example_decisions_reach_the_title_abstract_numbers(review: Path) -> None:
    summary = json.loads((review / "outputs" / "screening" / "summary.json").read_text())
    dedup = json.loads((review / "outputs" / "dedup" / "summary.json").read_text())
    ta = summary["stages"]["title_abstract"]
    assert ta["studies"] == dedup["studies"] - summary["automation"]["ineligible"]
    assert ta["included"] + ta["excluded"] + ta["pending"] == ta["studies"]
    assert ta["included"] > 0 and ta["excluded"] > 0
    assert ta["reviewers"]["example_reviewer"]["example"] is True
    ft = summary["stages"]["full_text"]
    assert ft["studies"] == ta["included"] and ft["pending"] == ft["studies"] and not ft["complete"]
    html = (review / "outputs" / "report" / "index.html").read_text(encoding="utf-8")
    assert "offline sample" in html.lower() and "example" in html.lower()


def test_rerun_changes_no_file(review: Path) -> None:
    before = _digest(review)
    for stage in (["import"], ["dedup"], ["screen"], ["report"]):
        _run(review, *stage)
    assert _digest(review) == before


def test_the_shipped_sheets_are_already_up_to_date(review: Path) -> None:
    shipped = json.loads((review / ".shipped.json").read_text())
    now = _digest(review)
    changed = [name for name, digest in shipped.items() if now.get(name) != digest]
    assert changed == [], "running the review changed shipped files (commit their new state)"


def test_clean_then_review_reproduces_outputs_byte_for_byte(review: Path) -> None:
    before = _digest(review)
    _run(review, "clean")
    assert not (review / "outputs" / "report" / "index.html").exists()
    for stage in (["import"], ["dedup"], ["screen"], ["report"]):
        _run(review, *stage)
    after = _digest(review)
    differ = sorted(name for name in before.keys() | after.keys()
                    if before.get(name) != after.get(name) and not name.endswith("screenshot.png"))
    assert differ == ["outputs/report/index.html"] or differ == []
    if differ:
        html = (review / "outputs" / "report" / "index.html").read_text(encoding="utf-8")
        assert html.count("<time datetime=") == 1


def test_the_fixture_is_a_copy_of_the_shipped_protocol_and_peoples_files() -> None:
    """While queries/ is still the shipped sample, tests/fixtures/e2e/ must equal it (refresh one with the other)."""
    if (REPO / "queries" / "review.toml").read_bytes() != (SHIPPED / "queries" / "review.toml").read_bytes():
        pytest.skip("queries/review.toml was adapted; the end-to-end tests use their own copy of the shipped one")
    differ = [name for name in _shipped_people_files()
              if not (REPO / name).is_file() or (REPO / name).read_bytes() != (SHIPPED / name).read_bytes()]
    assert differ == [], "tests/fixtures/e2e/ differs from the shipped files; copy the shipped ones over it"
