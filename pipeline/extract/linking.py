"""Reports and studies (PRISMA 2020): which included reports describe the same study.

Dedup merges duplicate *records* of one report; a trial such as MESEMS still has several *reports*
(a protocol paper, a results paper, register entries). Included reports are linked into one study
when

1. a person says so in `outputs/extraction/same_study.csv` (`report_a, report_b, decision, reviewer,
   notes`; decision `same_study` or `different_study`; keys are report ids or any record id of one);
2. they share a trial registration number (PubMed DataBank/AccessionNumber, MEDLINE SI
   (SecondaryId), register records, numbers quoted in titles and abstracts), unless a person said
   `different_study` for two of the reports it would join (a veto holds through chains).

Registration links are drawn only between included reports, so an excluded review that cites
several trials never chains them together. A study's id is the smallest id among its reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline.errors import Problem
from pipeline.screen.sheets import Table, column

SAME, DIFFERENT = "same_study", "different_study"
LINK_HEADER = ["report_a", "report_b", "decision", "reviewer", "notes"]
_WORDS = {"same_study": SAME, "same study": SAME, "same": SAME, "yes": SAME,
          "different_study": DIFFERENT, "different study": DIFFERENT, "different": DIFFERENT, "no": DIFFERENT}


@dataclass(frozen=True)
class Link:
    """Why two reports are one study: `how` is "person" or "registration <id>"."""

    a: str
    b: str
    how: str


@dataclass(frozen=True)
class Linking:
    """report id -> study id for every included report, and the links that made each study."""

    study_of: dict[str, str]
    links: tuple[Link, ...]

    def reports(self, study: str) -> list[str]:
        return sorted(r for r, s in self.study_of.items() if s == study)

    @property
    def studies(self) -> list[str]:
        return sorted(set(self.study_of.values()))


def read_decisions(table: Table, report_of: Mapping[str, str]) -> tuple[list[tuple[str, str, str]], list[Problem]]:
    """Valid (report_a, report_b, decision) rows of same_study.csv; bad rows are Problems."""
    where = str(table.path)
    cols = [column(table, name) for name in ("report_a", "report_b", "decision")]
    if table.rows and None in cols:
        return [], [Problem(where, "needs the columns " + ", ".join(LINK_HEADER), 1)]
    out: list[tuple[str, str, str]] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], tuple[str, int]] = {}
    for number, row in zip(table.row_numbers, table.rows):
        a_col, b_col, d_col = cols
        assert a_col and b_col and d_col
        ends = []
        for col in (a_col, b_col):
            key = row[col].strip()
            if key not in report_of:
                problems.append(Problem(where, f"unknown report or record id {key!r}", number, col))
            ends.append(report_of.get(key, ""))
        word = _WORDS.get(row[d_col].strip().lower().replace("-", "_"))
        if word is None:
            problems.append(Problem(where, f"unknown decision {row[d_col].strip()!r}; write same_study or "
                                    "different_study", number, d_col))
        if word is None or not all(ends):
            continue
        a, b = sorted(ends)
        if a == b:
            if word == DIFFERENT:
                problems.append(Problem(where, f"{row[a_col].strip()!r} and {row[b_col].strip()!r} are records of one "
                                        "report (dedup merged them), so they cannot be different studies", number, d_col))
            continue
        if (a, b) in seen and seen[(a, b)][0] != word:
            problems.append(Problem(where, f"reports {a!r} and {b!r} are marked both same_study and different_study "
                                    f"(rows {seen[(a, b)][1]} and {number})", number, d_col))
            continue
        seen[(a, b)] = (word, number)
        out.append((a, b, word))
    return out, problems


def link(included: Iterable[str], registrations: Mapping[str, Iterable[str]],
         decisions: Iterable[tuple[str, str, str]]) -> Linking:
    """Group `included` reports into studies (module rules); `registrations`: report -> registry ids."""
    reports = sorted(set(included))
    parent = {r: r for r in reports}
    members = {r: {r} for r in reports}
    decided = list(decisions)
    vetoes = {(a, b) for a, b, d in decided if d == DIFFERENT} | {(b, a) for a, b, d in decided if d == DIFFERENT}

    def find(r: str) -> str:
        while parent[r] != r:
            parent[r] = parent[parent[r]]
            r = parent[r]
        return r

    def union(a: str, b: str) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return False
        if any((x, y) in vetoes for x in members[ra] for y in members[rb]):
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        parent[drop] = keep
        members[keep] |= members.pop(drop)
        return True

    links: list[Link] = []
    for a, b, word in sorted(decided):
        if word == SAME and a in parent and b in parent and union(a, b):
            links.append(Link(a, b, "person"))
    by_id: dict[str, list[str]] = {}
    for report in reports:
        for ident in sorted(set(registrations.get(report, ()))):
            by_id.setdefault(ident.upper(), []).append(report)
    for ident, sharing in sorted(by_id.items()):
        for other in sharing[1:]:
            if union(sharing[0], other):
                links.append(Link(sharing[0], other, f"registration {ident}"))
    return Linking({r: find(r) for r in reports}, tuple(links))
