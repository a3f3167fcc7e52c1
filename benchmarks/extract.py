"""Precision and coverage of the extraction suggestions (`pipeline.extract.suggest`), field by field.

Two labelled sets, each scored on its own:

- `example`: the shipped example extraction (`queries/sample/example_extraction.csv`, 29 works),
  with evidence from the sample rows each work lists (`queries/sample/msc_ms_sample.csv`: titles,
  publication types, registry numbers in titles and page addresses; the sample has no abstracts
  and no MeSH, so this is the harder, title-only case);
- `fixtures`: `tests/fixtures/extract/suggestions.csv`, 16 records written for the tests (titles,
  abstracts, publication types, MeSH) with the values a reviewer would extract from them.

Per field: coverage = share of works with a reference value that got a suggestion; precision =
share of suggestions equal to the reference (a suggestion where the reference is empty counts as
wrong). Multi-valued `outcomes` is scored per value. The peer is a majority-value baseline that
always suggests the most frequent reference value *of the other set* (leave-one-dataset-out), so
neither figure is tuned on the set it is scored on. Our rules were written by hand from the
domain and the issue's list of cues, but with the shipped titles in view: the example figures
flatter us somewhat; the fixtures were written to cover classes of wording, not tuned rules.

    python -m benchmarks.extract          (make bench-extract; also part of make bench)

Prints the tables and writes them to outputs/bench/extract.md.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import git_head
from pipeline.console import summary
from pipeline.extract import values
from pipeline.extract.suggest import suggest, suggestable
from pipeline.files import write_text_atomic
from pipeline.layout import Layout
from pipeline.protocol import ExtractionForm, load
from pipeline.records import find_registry_ids

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "queries" / "sample"
FIXTURES = REPO / "tests" / "fixtures" / "extract" / "suggestions.csv"
OUT = Layout.at(REPO).bench


@dataclass(frozen=True)
class Case:
    """One labelled work: the records the suggestions read, and the reference values."""

    id: str
    records: tuple[dict, ...]
    reference: dict[str, str]


@dataclass(frozen=True)
class Score:
    field: str
    reference: int       # works (or values, for multi) with a reference
    suggested: int       # suggestions made (anywhere)
    correct: int
    covered: int         # works with a reference that got a suggestion

    @property
    def precision(self) -> float | None:
        return self.correct / self.suggested if self.suggested else None

    @property
    def coverage(self) -> float | None:
        return self.covered / self.reference if self.reference else None


def _split(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(";") if p.strip()]


def example_cases() -> list[Case]:
    """The shipped example extraction, with the sample rows of each work as its records."""
    with open(SAMPLE / "msc_ms_sample.csv", encoding="utf-8", newline="") as fh:
        sample = {r["id"]: r for r in csv.DictReader(fh)}
    with open(SAMPLE / "example_extraction.csv", encoding="utf-8", newline="") as fh:
        works = list(csv.DictReader(fh))
    cases = []
    for work in works:
        recs = []
        for sid in _split(work["rows"]):
            row = sample[sid]
            recs.append({"title": row["title"], "publication_types": _split(row["publication_type"]),
                         "registry_ids": find_registry_ids(row["title"], row["source_url"])})
        cases.append(Case(work["id"], tuple(recs), {k: v for k, v in work.items() if k not in ("id", "rows")}))
    return cases


def fixture_cases(path: Path = FIXTURES) -> list[Case]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    record_keys = ("id", "title", "abstract", "publication_types", "mesh")
    return [Case(r["id"], ({"title": r["title"], "abstract": r["abstract"],
                            "publication_types": _split(r["publication_types"]), "mesh": _split(r["mesh"])},),
                 {k: v for k, v in r.items() if k not in record_keys}) for r in rows]


def _equal(a: str, b: str, field) -> bool:
    if field.type == "registry":
        return sorted(values.registry_ids(a)) == sorted(values.registry_ids(b))
    return values.same(a, b, field)


def score(cases: list[Case], form: ExtractionForm, predict=None) -> list[Score]:
    """Per suggestable field: reference count, suggestions, correct ones and coverage (see module doc)."""
    guesses = [predict(c) if predict else suggest(form, c.records) for c in cases]
    out = []
    for field in form.fields:
        if not suggestable(field) or not any(field.name in c.reference for c in cases):
            continue
        ref_n = sugg_n = correct = covered = 0
        for case, guess in zip(cases, guesses):
            ref = case.reference.get(field.name, "").strip()
            got = guess.get(field.name, "")
            if field.type == "multi":
                want, made = set(_split(ref)), set(_split(got))
                ref_n += len(want)
                sugg_n += len(made)
                correct += len(want & made)
                covered += len(want & made)
                continue
            ref_n += bool(ref)
            sugg_n += bool(got)
            covered += bool(ref and got)
            correct += bool(ref and got and _equal(ref, got, field))
        out.append(Score(field.name, ref_n, sugg_n, correct, covered))
    return out


def majority(train: list[Case], form: ExtractionForm):
    """The peer: suggest each field's most frequent reference value in `train` (multi: values in over half)."""
    best: dict[str, str] = {}
    for field in form.fields:
        if not suggestable(field) or field.type == "registry":
            continue
        seen = [c.reference.get(field.name, "") for c in train if c.reference.get(field.name, "")]
        if field.type == "multi":
            counts = Counter(v for s in seen for v in _split(s))
            best[field.name] = "; ".join(v for v, n in counts.items() if n > len(train) / 2)
        elif seen:
            best[field.name] = Counter(seen).most_common(1)[0][0]
    return lambda case: best


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def table(name: str, ours: list[Score], peer: list[Score]) -> str:
    by_field = {s.field: s for s in peer}
    lines = [f"### {name}", "", "| field | with a reference | suggested | precision | coverage | majority baseline "
             "precision / coverage |", "|---|---|---|---|---|---|"]
    for s in ours:
        p = by_field.get(s.field)
        base = f"{_pct(p.precision)} / {_pct(p.coverage)}" if p else "–"
        lines.append(f"| {s.field} | {s.reference} | {s.suggested} | {_pct(s.precision)} | {_pct(s.coverage)} | {base} |")
    total = Score("all fields", sum(s.reference for s in ours), sum(s.suggested for s in ours),
                  sum(s.correct for s in ours), sum(s.covered for s in ours))
    ptotal = Score("", sum(s.reference for s in peer), sum(s.suggested for s in peer), sum(s.correct for s in peer),
                   sum(s.covered for s in peer))
    lines.append(f"| **all fields** | {total.reference} | {total.suggested} | **{_pct(total.precision)}** | "
                 f"**{_pct(total.coverage)}** | {_pct(ptotal.precision)} / {_pct(ptotal.coverage)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    form = load(REPO / "queries" / "review.toml", root=REPO).extraction
    sets = {"example (shipped example extraction, titles only)": example_cases(),
            "fixtures (tests/fixtures/extract/suggestions.csv, titles and abstracts)": fixture_cases()}
    names = list(sets)
    command = shlex.join(["python", "-m", "benchmarks.extract", *(sys.argv[1:] if argv is None else argv)])
    parts = [f"## Extraction suggestions: precision and coverage\n\nCommand: `{command}`; commit "
             f"{git_head('pipeline/extract')}; {datetime.now(UTC):%Y-%m-%d %H:%M UTC}.\n"]
    totals = []
    for name in names:
        other = sets[names[1 - names.index(name)]]
        ours = score(sets[name], form)
        peer = score(sets[name], form, majority(other, form))
        parts.append(table(f"{name}: {len(sets[name])} works", ours, peer))
        correct, made = sum(s.correct for s in ours), sum(s.suggested for s in ours)
        totals.append(f"{name.split()[0]} precision {_pct(correct / made if made else None)}, coverage "
                      f"{_pct(sum(s.covered for s in ours) / max(1, sum(s.reference for s in ours)))}")
    text = "\n".join(parts)
    print(text)
    target = OUT / "extract.md"
    write_text_atomic(target, text)
    summary("bench-extract", "; ".join(totals) + f" -> {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
