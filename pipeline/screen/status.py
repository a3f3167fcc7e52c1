"""`python -m pipeline status`: per stage and reviewer what is screened, what remains, and what to do next.

It reads the same files as `screen` and computes the same result, but writes nothing.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from pipeline.errors import InputError, UserError
from pipeline.layout import Layout
from pipeline.protocol import STAGES, Protocol
from pipeline.screen import engine
from pipeline.textio import printable

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


def next_step(layout: Layout, protocol: Protocol, result: engine.Result, stale: list[Path]) -> str:
    """One plain sentence: the next thing to do."""
    rel = layout.relative
    for stage in STAGES:
        behind_sheets = [p for p in stale if p.parent.name == stage]
        if behind_sheets:
            return (f"Run `make screen` (python -m pipeline screen) to add new {LABEL[stage]} studies to "
                    + ", ".join(rel(p) for p in behind_sheets) + ".")
        info = result.summary["stages"][stage]
        behind = {w: r["remaining"] for w, r in info["reviewers"].items() if r["remaining"]}
        if behind:
            todo = "; ".join(f"{w} has {n} to screen in {rel(layout.sheet(stage, w))}" for w, n in behind.items())
            return f"Screen {LABEL[stage]}: {todo}. Then run `make screen`."
        if info["conflicts"]["open"]:
            return (f"Settle {info['conflicts']['open']} open {LABEL[stage]} conflict(s) listed in "
                    f"{rel(layout.conflicts(stage))}: add a row per study to "
                    f"{rel(layout.resolutions(stage))} (study_id, decision, reason, resolved_by, notes), "
                    "then run `make screen`.")
        if not protocol.reviewers[stage] and info["studies"]:
            return f"Name the {LABEL[stage]} reviewers in {rel(protocol.path)} ([screening.{stage}] reviewers)."
    included = result.summary["stages"]["full_text"]["included"]
    return f"Screening is complete: {included} studies included. Run `make report`."


def print_status(layout: Layout, protocol: Protocol) -> int:
    """Print the status table and the next step to stdout; 1 when the sheets have problems."""
    out = Console(highlight=False, soft_wrap=True)
    try:
        inputs = engine.read_inputs(layout, protocol)
        result = engine.compute(inputs, protocol)
    except InputError as exc:
        out.print(f"{len(exc.problems)} problem(s) in the screening files:", markup=False)
        for problem in exc.problems:
            out.print(f"  {printable(problem)}", markup=False)
        out.print("Next: fix the problems above, then run `make screen`.", markup=False)
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
            table.add_row(LABEL[stage] if i == 0 else "", who + (" (example)" if r["example"] else ""),
                          f"{r['screened']}/{r['assigned']}", str(r["remaining"]),
                          str(open_conflicts_of(result, stage, who)), end_section=i == len(info["reviewers"]) - 1)
    out.print(table)
    for stage in STAGES:
        info = result.summary["stages"][stage]
        extra = f", {info['not_retrieved']} not retrieved" if stage == "full_text" else ""
        out.print(f"{LABEL[stage].capitalize()}: {info['studies']} studies, {info['included']} included, "
                  f"{info['excluded']} excluded{extra}, {info['pending']} pending; conflicts "
                  f"{info['conflicts']['open']} open, {info['conflicts']['resolved']} resolved.", markup=False)
    auto = result.summary["automation"]
    out.print(f"Automation: {auto['ineligible']} studies marked ineligible, {auto['overruled']} overruled.", markup=False)
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
    out.print("Next: " + next_step(layout, protocol, result, stale_sheets(inputs, result)), markup=False)
    return 0
