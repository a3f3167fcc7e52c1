"""`python -m pipeline status`: per stage and reviewer what is screened, what remains, and what to do next.

It reads the same files as `screen` and computes the same result, but writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from pipeline import hints
from pipeline.errors import InputError, UserError
from pipeline.layout import Layout
from pipeline.protocol import STAGES, Protocol
from pipeline.screen import engine
from pipeline.textio import plural, printable

LABEL = {"title_abstract": "title/abstract", "full_text": "full text"}


def stale_sheets(inputs: engine.Inputs, result: engine.Result) -> list[Path]:
    """Sheets `screen` would create or add studies to (refreshed cells alone do not count)."""
    return [inputs.sheets[key].path for key, (_, rows) in result.sheets.items()
            if not inputs.sheets[key].exists or len(rows) > len(inputs.sheets[key].rows)]


def open_conflicts_of(result: engine.Result, stage: str, reviewer: str) -> int:
    """Open conflicts at `stage` in which `reviewer` made a call."""
    header, rows = result.conflicts[stage]
    at, status = header.index(reviewer), header.index("status")
    return sum(1 for r in rows if r[status] == "open" and r[at])


def rule_cell(p: dict) -> str:
    """'met', 'N more to screen' or 'not reachable' for one reviewer."""
    if p.get("rule_met"):
        return "stopping rule met"
    more = p.get("more_to_screen")
    return "stopping rule not reachable" if more is None else f"stopping rule: {more} more to screen with no include"


def prioritisation_lines(layout: Layout, protocol: Protocol, stage: str, prio: dict | None, pending: int) -> list[str]:
    """Per reviewer includes found, the bound on includes left and the rule; then what the team can do."""
    if not prio or not prio.get("reviewers"):
        return []
    name = LABEL[stage].capitalize()
    lines = [f"{name}, {who}: {r['includes_found']} includes found, at most {r['includes_left_at_most']} left "
             f"(95% bound); {rule_cell(r)}." for who, r in prio["reviewers"].items()]
    key = f"[screening.{stage}.stopping]"
    if prio["excluded_by_stopping_rule"]:
        lines.append(f"{name}: stopped by the rule ({prio['rule']}); {prio['excluded_by_stopping_rule']} unscreened "
                     "studies are excluded by it.")
    elif not pending:
        pass
    elif prio["met"]:
        lines.append(f"{name}: the stopping rule is met for every reviewer ({prio['rule']}); to stop, set "
                     f"stop = true under {key} in {layout.relative(protocol.path)} and run `{hints.make('screen', layout)}`.")
    else:
        lines.append(f"{name}: the stopping rule is not met yet ({prio['rule']}); screen in priority order, or a "
                     "random sample of the rest, until it is.")
    return lines


def next_step(layout: Layout, protocol: Protocol, result: engine.Result, stale: list[Path]) -> str:
    """One plain sentence: the next thing to do."""
    rel = layout.relative
    for stage in STAGES:
        behind_sheets = [p for p in stale if p.parent.name == stage]
        if behind_sheets:
            return (f"Run `{hints.make('screen', layout)}` ({hints.python('screen', layout)}) to add new {LABEL[stage]} studies to "
                    + ", ".join(rel(p) for p in behind_sheets) + ".")
        info = result.summary["stages"][stage]
        behind = {w: r["remaining"] for w, r in info["reviewers"].items() if r["remaining"]}
        if behind:
            todo = "; ".join(f"{w} has {n} to screen in {rel(layout.sheet(stage, w))}" for w, n in behind.items())
            return f"Screen {LABEL[stage]}: {todo}. Then run `{hints.make('screen', layout)}`."
        if info["conflicts"]["open"]:
            return (f"Settle {info['conflicts']['open']} open {LABEL[stage]} conflict(s) listed in "
                    f"{rel(layout.conflicts(stage))}: add a row per study to "
                    f"{rel(layout.resolutions(stage))} (study_id, decision, reason, resolved_by, notes), "
                    f"then run `{hints.make('screen', layout)}`.")
        if not protocol.reviewers[stage] and info["studies"]:
            return f"Name the {LABEL[stage]} reviewers in {rel(protocol.path)} ([screening.{stage}] reviewers)."
    if not engine.final_is_written(layout, result):
        return (f"Run `{hints.make('screen', layout)}` to record the decisions in {rel(layout.final)} "
                "(the sheets changed since it was written).")
    from pipeline.extract.status import next_step as extraction_step

    included = result.summary["stages"]["full_text"]["included"]
    return (f"Screening is complete: {included} {'report' if included == 1 else 'reports'} included at full text. "
            + extraction_step(layout, protocol, included))


def print_status(layout: Layout, protocol: Protocol) -> int:
    """Print the status table and the next step to stdout; 1 when the sheets have problems."""
    out = Console(highlight=False, soft_wrap=True, emoji=False)
    try:
        inputs = engine.read_inputs(layout, protocol)
        result = engine.compute(inputs, protocol)
    except InputError as exc:
        out.print(f"{len(exc.problems)} problem(s) in the screening files:", markup=False)
        for problem in exc.problems:
            out.print(f"  {printable(problem)}", markup=False)
        out.print(f"Next: fix the problems above, then run `{hints.make('screen', layout)}`.", markup=False)
        return 1
    except UserError as exc:
        out.print(f"Next: {printable(exc)}", markup=False)
        return 0

    rel = layout.relative
    table = RichTable(title="Screening status", caption="conflicts: open conflicts in which the reviewer made a call")
    table.add_column("stage")
    table.add_column("reviewer")
    for name in ("screened", "remaining", "conflicts"):
        table.add_column(name, justify="right", no_wrap=True)
    for stage in STAGES:
        info = result.summary["stages"][stage]
        for i, (who, r) in enumerate(info["reviewers"].items()):
            table.add_row(LABEL[stage] if i == 0 else "", Text(who + (" (example)" if r["example"] else "")),
                          f"{r['screened']}/{r['assigned']}", str(r["remaining"]),
                          str(open_conflicts_of(result, stage, who)), end_section=i == len(info["reviewers"]) - 1)
    out.print(table)
    for stage in STAGES:
        info = result.summary["stages"][stage]
        extra = f", {info['not_retrieved']} not retrieved" if stage == "full_text" else ""
        out.print(f"{LABEL[stage].capitalize()}: {info['studies']} studies, {info['included']} included, "
                  f"{info['excluded']} excluded{extra}, {info['pending']} pending; conflicts "
                  f"{info['conflicts']['open']} open, {info['conflicts']['resolved']} resolved.", markup=False)
    for stage in STAGES:
        info = result.summary["stages"][stage]
        for line in prioritisation_lines(layout, protocol, stage, info.get("prioritisation"), info["pending"]):
            out.print(line, markup=False)
    auto = result.summary["automation"]
    out.print(f"Automation: {plural(auto['ineligible'], 'study', 'studies')} marked ineligible, {auto['overruled']} overruled.",
              markup=False)
    for stage in STAGES:
        for pair in result.summary["stages"][stage]["agreement"]["pairs"]:
            if pair["kappa"] is not None:
                out.print(f"Agreement at {LABEL[stage]}, {pair['a']} vs {pair['b']}: {pair['percent']}% over {pair['n']}, "
                          f"Cohen's kappa {pair['kappa']} (95% CI {pair['ci_low']} to {pair['ci_high']}).", markup=False)
    if result.orphans:
        out.print(f"{len(result.orphans)} orphaned sheet row(s): their records are gone (see {rel(layout.orphans)}).",
                  markup=False)
    for warning in result.warnings:
        out.print(f"Warning: {printable(warning)}", markup=False)
    step = next_step(layout, protocol, result, stale_sheets(inputs, result))
    retracted = retraction_lines(layout, protocol, inputs.studies, result.final)
    for line in retracted.lines:
        out.print(printable(line), markup=False)
    duplicates = duplicate_lines(layout, inputs.studies, result.final)
    for line in duplicates:
        out.print(printable(line), markup=False)
    if len(duplicates) > 1 and step.startswith("Screening is complete"):     # first: they change what is checked
        step = ("Screening is complete, but possible duplicates among the included studies are not settled: add one "
                f"of the two lines printed above for each pair, then run `{hints.make('review', layout)}`.")
    elif retracted.blocking and step.startswith("Screening is complete"):
        step = f"Screening is complete, but the review is not: {retracted.blocking[0]}."
    out.print("Next: " + printable(step), markup=False)
    return 0


@dataclass(frozen=True)
class RetractionLines:
    lines: list[str]
    blocking: list[str]


def retraction_lines(layout: Layout, protocol: Protocol, studies: pl.DataFrame, final: pl.DataFrame) -> RetractionLines:
    """The retraction check's state for `make status`: when checked, every flag, what still blocks."""
    from pipeline.check.stage import describe, load_assessment

    try:
        found = load_assessment(layout, protocol, studies, final)
    except InputError as exc:
        return RetractionLines([f"Retraction check: {exc}"], [])
    if found is None:
        return RetractionLines([], [])
    lines = describe(found)
    lines += [f"Warning: {problem}" for problem in found.blocking]
    return RetractionLines(lines, found.blocking)


def duplicate_lines(layout: Layout, studies: pl.DataFrame, final: pl.DataFrame) -> list[str]:
    """Possible duplicates among included studies for `make status`: how many, each pair with its
    reason, and the two decisions.csv rows that settle it (merge, or keep apart); none: no lines."""
    from pipeline.dedup.stage import included_duplicates
    from pipeline.report.exports import included

    where = layout.relative(layout.dedup_decisions)
    try:
        pairs = included_duplicates(layout, included(studies, final))
    except InputError as exc:
        return [f"Possible duplicates among included studies: not checked, {where} has problems: {exc}"]
    if not pairs.height:
        return []
    lines = [f"Possible duplicates among included studies: {pairs.height} "
             f"{'pair' if pairs.height == 1 else 'pairs'}. Settle each by adding one of its two lines to {where} "
             f"(the first merges the two, the second keeps them apart), then run `{hints.make('review', layout)}`:"]
    for p in pairs.iter_rows(named=True):
        lines.append(f"  {p['study_id_a']} ({_short(p['title_a'])}) and {p['study_id_b']} ({_short(p['title_b'])}): "
                     f"{p['reason']}")
        lines.append(f"    merge:      {p['merge']}")
        lines.append(f"    keep apart: {p['keep_apart']}")
    return lines


def _short(title: str | None, width: int = 70) -> str:
    """A title on one line, cut to `width` characters."""
    text = " ".join((title or "no title").split())
    return text if len(text) <= width else text[: width - 1] + "…"
