"""The README stays short and every link in the documentation leads somewhere (issue 9).

The README is the page a reviewer reads first, so it is kept to 200 lines and points to the
reference pages in docs/. A link to a missing page, image or heading is a dead end for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MAX_README_LINES = 200
PAGES = sorted([README, *(REPO / "docs").glob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """Markdown without fenced code blocks and code spans, where brackets are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(path: Path) -> list[str]:
    """Every link and image target written in `path`."""
    return _LINK.findall(_prose(path.read_text(encoding="utf-8")))


def relative_links(path: Path) -> list[str]:
    return [t for t in links(path) if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I)]


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of `path`: lower case, punctuation and backticks dropped, - for spaces."""
    seen: dict[str, int] = {}
    out = set()
    for title in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def test_readme_is_at_most_200_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move reference material to docs/"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_points_to_an_existing_file(page: Path) -> None:
    missing = [t for t in relative_links(page)
               if t.split("#")[0] and not (page.parent / t.split("#")[0]).exists()]
    assert not missing, f"{_name(page)} links to files that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_link_to_a_heading_names_a_heading_that_exists(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        file, _, anchor = target.partition("#")
        dest = page.parent / file if file else page
        if anchor and dest.suffix == ".md" and dest.exists() and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, f"{_name(page)} links to headings that do not exist: {broken}"


def test_readme_links_every_docs_page() -> None:
    linked = {(REPO / t.split("#")[0]).resolve() for t in relative_links(README) if t.split("#")[0]}
    unlinked = [_name(p) for p in PAGES if p != README and p.resolve() not in linked]
    assert not unlinked, f"README.md does not link {unlinked}"


def test_link_checks_see_links_but_not_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\nSee [b](b.md#part), ![img](x.png) and [web](https://example.org).\n\n"
                    "`[not](a-link.md)`\n\n```\n[nor](this.md)\n```\n", encoding="utf-8")
    assert links(page) == ["b.md#part", "x.png", "https://example.org"]
    assert relative_links(page) == ["b.md#part", "x.png"]


def test_anchors_follow_github_rules(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# The protocol: `queries/`\n## Dedup benchmark\n## Dedup benchmark\n"
                    "```\n# not a heading\n```\n", encoding="utf-8")
    assert anchors(page) == {"the-protocol-queries", "dedup-benchmark", "dedup-benchmark-1"}
