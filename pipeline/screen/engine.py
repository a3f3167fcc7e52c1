"""The screen stage end to end: read people's files, derive every decision, write sheets and outputs.

`compute` is pure (inputs in, `Result` out) and raises one InputError listing every problem in every
sheet, resolution and override file; nothing is written then. `run` writes the outputs and the
refreshed sheets; if a person saved a sheet while we worked, everything is re-read and recomputed
instead of overwriting their file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import hints
from pipeline.contracts import (
    FINAL_COLUMNS,
    FINAL_SCHEMA,
    INELIGIBLE,
    ORPHAN_COLUMNS,
    STUDY_SCHEMA,
    UNDECIDED,
    AutomationSummary,
    Outcome,
    ReviewerProgress,
    ScreeningSummary,
    StageSummary,
)
from pipeline.errors import ConcurrentChange, InputError, Problem, UserError
from pipeline.files import locked, read_parquet, transaction, write_text_atomic
from pipeline.imports import prior_screening
from pipeline.layout import Layout
from pipeline.progress import Progress
from pipeline.protocol import STAGES, Protocol
from pipeline.screen import agreement, automation, conflicts, merge, priority
from pipeline.screen.decisions import (
    KEY_COLUMNS,
    STAGE_DECISIONS,
    STAGE_LABELS,
    Call,
    sheet_calls,
)
from pipeline.screen.sheets import Table, column, read_table, render, write_if_unchanged
from pipeline.textio import csv_bytes, write_csv_atomic

RESERVED_NAMES = ("conflicts", "resolutions")
ATTEMPTS = 3
TA_OPEN = UNDECIDED   # title/abstract outcomes that may still become include


@dataclass
class Inputs:
    """Everything the stage reads: the studies table and every file people write."""

    studies: pl.DataFrame
    sheets: dict[tuple[str, str], Table]
    resolutions: dict[str, Table]
    overrides: Table
    strays: list[Path] = field(default_factory=list)   # sheets of people the protocol does not name
    prior: list[prior_screening.PriorDecision] = field(default_factory=list)  # [[screening.imported]]
    id_register: str = "outputs/records/id_register.csv"  # named in the error for a decision whose record is gone
    models: dict[str, dict] = field(default_factory=dict)  # last run's model.json per stage (screening order)


@dataclass
class Result:
    """Everything the stage writes, computed from `Inputs`."""

    automation: pl.DataFrame
    final: pl.DataFrame
    screening: ScreeningSummary
    conflicts: dict[str, tuple[list[str], list[list[str]]]]
    sheets: dict[tuple[str, str], tuple[list[str], list[list[str]]]]
    orphans: list[list[object]]
    warnings: list[str]
    priority: dict[str, priority.StagePriority] = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        """summary.json's content."""
        return self.screening.to_json()


@dataclass
class ScreenResult(Result):
    """What `run` computed and which files it changed."""

    changed: list[Path] = field(default_factory=list)

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        ta, ft = self.screening.stages["title_abstract"], self.screening.stages["full_text"]
        return (f"{self.screening.automation.ineligible} ineligible by automation; title/abstract "
                f"{ta.included} included, {ta.excluded} excluded, {ta.pending} pending "
                f"({ta.conflicts_open} conflicts); full text {ft.included} included, "
                f"{ft.excluded} excluded, {ft.not_retrieved} not retrieved, {ft.pending} pending; "
                f"{len(self.changed)} files updated under {layout.relative(layout.screening)}/")


def check_reviewers(protocol: Protocol) -> None:
    """Reviewer names become file names next to conflicts.csv and resolutions.csv."""
    clash = [n for names in protocol.reviewers.values() for n in names if n.lower() in RESERVED_NAMES]
    if clash:
        raise UserError(f"{protocol.path}: reviewer name(s) {', '.join(clash)} are reserved for "
                            f"{', '.join(f'{r}.csv' for r in RESERVED_NAMES)}; rename them")


def read_inputs(layout: Layout, protocol: Protocol) -> Inputs:
    """Read studies.parquet and every people's file of the screen stage."""
    if not layout.studies.exists():
        raise UserError(f"{layout.studies} is missing: run `{hints.python('dedup', layout)}` "
                        f"({hints.make('dedup', layout)}) first")
    check_reviewers(protocol)
    studies = read_parquet(layout.studies, f"run `{hints.make('dedup', layout)}` ({hints.python('dedup', layout)}) "
                           "to write it again",
                           schema=STUDY_SCHEMA).sort("study_id")
    sheets = {(stage, who): read_table(layout.sheet(stage, who)) for stage in STAGES for who in protocol.reviewers[stage]}
    strays = sorted(p for stage in STAGES for p in layout.screening_stage(stage).glob("*.csv")
                    if p.stem not in RESERVED_NAMES and p.stem not in protocol.reviewers[stage])
    return Inputs(studies, sheets, {s: read_table(layout.resolutions(s)) for s in STAGES},
                  read_table(layout.automation_overrides), strays, prior_screening.read_all(protocol, layout.relative),
                  layout.relative(layout.id_register), priority.read_previous(layout, STAGES))


def compute(inputs: Inputs, protocol: Protocol) -> Result:
    """Derive automation, every stage's outcomes, conflicts, agreement, final.csv and the new sheets."""
    studies = inputs.studies
    study_of = merge.study_map(studies)
    shown = merge.display(studies)
    titles = {k: v["title"] for k, v in shown.items()}
    problems: list[Problem] = []
    warnings = [f"{p} belongs to no reviewer named in the protocol; it is left alone and not counted"
                for p in inputs.strays]
    warnings += [t.warning for t in (*inputs.sheets.values(), *inputs.resolutions.values(), inputs.overrides) if t.warning]

    marked, rule_problems = automation.evaluate(studies, protocol.automation, str(protocol.path))
    problems += rule_problems
    overrides, override_problems = automation.read_overrides(inputs.overrides, study_of)
    problems += override_problems
    marked = automation.apply_overrides(marked, overrides)
    warnings += [f"{inputs.overrides.path}: {s} is not marked by any automation rule; its override has no effect"
                 for s in sorted(set(overrides) - set(marked["study_id"]))]
    ineligible = dict(marked.filter(~pl.col("overruled")).select("study_id", "rule").iter_rows())
    imported, prior_warnings, prior_problems = prior_screening.attach(inputs.prior, studies, protocol.exclusion_reasons)
    warnings += prior_warnings
    problems += prior_problems
    prefills: dict[tuple[str, str], dict[str, prior_screening.Prior]] = {}

    entering = {"title_abstract": [s for s in studies["study_id"] if s not in ineligible]}
    outcomes: dict[str, dict[str, conflicts.Outcome]] = {}
    made_by_stage: dict[str, dict] = {}
    prio: dict[str, priority.StagePriority] = {}
    orphans: list[list[object]] = []
    waiting: set[tuple[str, str]] = set()   # (sheet, study): full-text calls waiting for title/abstract
    flags_by_stage = {"title_abstract": {s: f"ineligible (automation: {r}); not screened" for s, r in ineligible.items()}}
    for stage in STAGES:
        reviewers = protocol.reviewers[stage]
        if stage == "full_text":
            ta = outcomes["title_abstract"]
            entering["full_text"] = [s for s in entering["title_abstract"] if ta[s].final == Outcome.INCLUDE]
            flags_by_stage["full_text"] = {
                s: "waiting for the title/abstract decision; a full-text decision here counts once it is included"
                if s in ta and ta[s].final in TA_OPEN else "not included at title/abstract; not screened at full text"
                for s in studies["study_id"] if s not in set(entering["full_text"])}
        in_stage = set(entering[stage])
        calls: list[Call] = []
        stage_problems: list[Problem] = []
        for who in reviewers:
            table = inputs.sheets[(stage, who)]
            made, lost, found = sheet_calls(table, stage, who, study_of, protocol.exclusion_reasons)
            stage_problems += found
            dec_col = column(table, "decision")
            for number, key, last in lost:
                decision = table.rows[table.row_numbers.index(number)][dec_col] if dec_col else ""
                if decision.strip():
                    stage_problems.append(Problem(
                        str(table.path), f"the decision on record {key!r} (last in study {last!r}) has no record any "
                        "more: no source holds it. If an import file or its column mapping changed, restore it "
                        f"({inputs.id_register} keeps every id a record had); if the record left the review on purpose, "
                        "clear this decision cell (the row stays, marked orphaned)", number, column(table, *KEY_COLUMNS)))
                orphans.append([stage, who, number, key, last, decision])
            decided = {call.study_id for call in made}
            mine = imported.get((stage, who), {})
            prefills[(stage, who)] = {study: p for study, p in mine.items() if study in in_stage and study not in decided}
            outside = sorted(p.origin for study, p in mine.items() if study not in in_stage)
            if outside:
                warnings.append(f"{len(outside)} imported {STAGE_LABELS[stage]} decision(s) of {who} are for studies not "
                                f"screened at this stage ({', '.join(outside[:3])}{' ...' if len(outside) > 3 else ''}); not carried over")
            made += [Call(who, study, study, 0, p.decision, p.reason, p.note) for study, p in prefills[(stage, who)].items()]
            for call in made:
                if call.study_id in in_stage:
                    calls.append(call)
                elif stage == "full_text" and not problems:
                    state = ta[call.study_id].final if call.study_id in ta else "ineligible by automation"
                    if state in TA_OPEN:  # e.g. a second title/abstract reviewer joined: the call waits
                        waiting.add((str(table.path), call.study_id))
                        continue
                    stage_problems.append(Problem(str(table.path), f"study {call.study_id!r} is not included at "
                                          f"title/abstract (it is {state}); clear this decision or settle the "
                                          "title/abstract decision first", call.row, dec_col))
        res, res_problems = conflicts.read_resolutions(inputs.resolutions[stage], stage, study_of, in_stage,
                                                       protocol.exclusion_reasons)
        problems += stage_problems + res_problems
        made_by = conflicts.reviewer_calls(calls)
        made_by_stage[stage] = made_by
        outcomes[stage] = {s: conflicts.outcome(s, reviewers, made_by.get(s, {}), res.get(s)) for s in entering[stage]}
        if not problems:
            prio[stage] = priority.prioritise(stage, protocol, studies, entering[stage], made_by,
                                              {s: o.final for s, o in outcomes[stage].items()},
                                              {w: inputs.sheets[(stage, w)] for w in reviewers}, study_of,
                                              inputs.models.get(stage, {}))
            warnings += prio[stage].warnings
            for s in prio[stage].stopped:   # the team stopped by the rule: no one screened these
                outcomes[stage][s] = dataclasses.replace(outcomes[stage][s], final=Outcome.EXCLUDE.value)
    if problems:
        raise InputError(problems)
    for path in sorted({p for p, _ in waiting}):
        n = sum(1 for p, _ in waiting if p == path)
        warnings.append(f"{path}: {n} full-text decision(s) wait for title/abstract decisions still pending or in "
                        "conflict; they count once those studies are included")

    sheets = {}
    for stage in STAGES:
        for who in protocol.reviewers[stage]:
            table = inputs.sheets[(stage, who)]
            if stage == "full_text" and not entering[stage] and not table.exists:
                continue
            sheet = merge.regenerate(table, stage, study_of, shown, entering[stage], flags_by_stage[stage],
                                     prefills.get((stage, who), {}))
            sheets[(stage, who)] = priority.apply(prio[stage], who, table, sheet, study_of)
    conflict_files = {s: conflicts.conflict_rows(list(outcomes[s].values()), protocol.reviewers[s], titles) for s in STAGES}
    stopped = {stage: prio[stage].stopped for stage in STAGES}
    final = final_table(studies, ineligible, outcomes, set(protocol.example_reviewers), stopped)
    summary = build_summary(protocol, marked, entering, outcomes, made_by_stage)
    for stage in STAGES:
        summary.stages[stage] = dataclasses.replace(summary.stages[stage], prioritisation=priority.summary(prio[stage]))
    return Result(marked, final, summary, conflict_files, sheets, orphans, warnings, prio)


def final_table(studies: pl.DataFrame, ineligible: dict[str, str], outcomes: dict[str, dict[str, conflicts.Outcome]],
                examples: set[str], stopped: dict[str, set[str]] | None = None) -> pl.DataFrame:
    """final.csv: one row per study, the derived decision at each stage it reached."""
    rows = []
    for study in studies["study_id"]:
        ta = outcomes["title_abstract"].get(study)
        ft = outcomes["full_text"].get(study)
        deciders = set((ta.deciders if ta else ()) + (ft.deciders if ft else ()))
        rows.append({
            "study_id": study,
            "automation": INELIGIBLE if study in ineligible else "",
            "title_abstract": ta.final if ta else "",
            "full_text": ft.final if ft else "",
            "full_text_reason": ft.reason if ft and ft.final == Outcome.EXCLUDE else "",
            "example": bool(deciders) and deciders <= examples,
            "stopped": next((stage for stage, ids in (stopped or {}).items() if study in ids), ""),
        })
    return pl.DataFrame(rows, schema=FINAL_SCHEMA).sort("study_id")


def build_summary(protocol: Protocol, marked: pl.DataFrame, entering: dict[str, list[str]],
                  outcomes: dict[str, dict[str, conflicts.Outcome]], made_by_stage: dict[str, dict]) -> ScreeningSummary:
    """summary.json (`pipeline.contracts.ScreeningSummary`)."""
    active = marked.filter(~pl.col("overruled"))
    by_rule = {rule.name: active.filter(pl.col("rule") == rule.name).height for rule in protocol.automation}
    stages: dict[str, StageSummary] = {}
    for stage in STAGES:
        finals = [o.final for o in outcomes[stage].values()]
        reviewers = protocol.reviewers[stage]
        made_by = made_by_stage[stage]
        in_stage = entering[stage]
        people = {}
        for who in reviewers:
            screened = sum(1 for s in in_stage if who in made_by.get(s, {}))
            people[who] = ReviewerProgress(len(in_stage), screened, len(in_stage) - screened,
                                           who in protocol.example_reviewers)
        definite = {s: {w: c[0] for w, c in made_by.get(s, {}).items() if c != conflicts.SELF} for s in in_stage}
        pending = sum(f in UNDECIDED for f in finals)
        not_retrieved = by_reason = None
        if stage == "full_text":
            not_retrieved = finals.count(Outcome.NOT_RETRIEVED)
            reasons = [o.reason for o in outcomes[stage].values() if o.final == Outcome.EXCLUDE]
            by_reason = {r: reasons.count(r) for r in protocol.exclusion_reasons if r in reasons}
        stages[stage] = StageSummary(
            studies=len(in_stage), included=finals.count(Outcome.INCLUDE), excluded=finals.count(Outcome.EXCLUDE),
            pending=pending,
            complete=pending == 0 and (stage == "title_abstract" or stages["title_abstract"].complete),
            conflicts_open=finals.count(Outcome.CONFLICT),
            conflicts_resolved=sum(1 for o in outcomes[stage].values() if o.issue and o.resolution),
            reviewers=people, agreement=agreement.stage_agreement(definite, reviewers, STAGE_DECISIONS[stage]),
            not_retrieved=not_retrieved, excluded_by_reason=by_reason)
    return ScreeningSummary(AutomationSummary(active.height, marked.height - active.height, by_rule), stages)


def _bool(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.with_columns(pl.when(pl.col(name)).then(pl.lit("true")).otherwise(pl.lit("false")).alias(name))


def people_paths(layout: Layout, inputs: Inputs, result: Result) -> list[Path]:
    """The people's files `write` may write: every sheet it refreshes, resolutions and overrides files."""
    paths = [inputs.sheets[key].path for key in result.sheets]
    paths += [layout.automation_overrides] + [layout.resolutions(s) for s in STAGES if any(k[0] == s for k in result.sheets)]
    return sorted(set(paths))


def final_rows(result: Result) -> list[tuple[object, ...]]:
    """final.csv's rows as `write` writes them."""
    return list(_bool(result.final, "example").rows())


def final_is_written(layout: Layout, result: Result) -> bool:
    """Whether final.csv holds what the sheets say now (else the screen stage has not run since they changed)."""
    try:
        return layout.final.read_bytes() == csv_bytes(list(FINAL_COLUMNS), final_rows(result))
    except OSError:
        return False


def write(layout: Layout, inputs: Inputs, result: Result) -> list[Path]:
    """Write sheets (only if unchanged on disk since read) and every generated file; return what changed."""
    changed: list[Path] = []
    for (stage, who), (header, rows) in result.sheets.items():
        table = inputs.sheets[(stage, who)]
        if write_if_unchanged(table.path, render(header, rows, table.delimiter, table.encoding), table.fingerprint):
            changed.append(table.path)
    people_files = [(layout.automation_overrides, inputs.overrides, automation.OVERRIDE_HEADER)]
    people_files += [(layout.resolutions(s), inputs.resolutions[s], conflicts.RESOLUTION_HEADER)
                     for s in STAGES if any(k[0] == s for k in result.sheets)]
    for path, table, header in people_files:
        if not table.exists and write_if_unchanged(path, render(header, []), ""):
            changed.append(path)
    generated: list[tuple[Path, list[str], Sequence[Sequence[object]]]] = [
        (layout.automation, list(automation.AUTOMATION_SCHEMA), _bool(result.automation, "overruled").rows()),
        (layout.final, list(FINAL_COLUMNS), final_rows(result)),
        (layout.orphans, ORPHAN_COLUMNS, result.orphans),
    ]
    generated += [(layout.conflicts(stage), *result.conflicts[stage]) for stage in STAGES]
    for path, header, body in generated:
        if write_csv_atomic(path, header, body):
            changed.append(path)
    text = json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n"
    if write_text_atomic(layout.screening_summary, text):
        changed.append(layout.screening_summary)
    for stage, sp in result.priority.items():
        if sp.stamp is not None and write_text_atomic(layout.model_stamp(stage),
                                                      json.dumps(sp.stamp, indent=2, ensure_ascii=False) + "\n"):
            changed.append(layout.model_stamp(stage))
    return changed


def run(layout: Layout, protocol: Protocol, *, progress: Progress | None = None) -> ScreenResult:
    """Read, compute and write; start over when a person saves a sheet in the meantime.

    Screening takes well under a second, so `progress` is accepted for the common signature only.
    """
    for _ in range(ATTEMPTS):
        inputs = read_inputs(layout, protocol)
        result = compute(inputs, protocol)
        try:
            # The screening app takes these locks too: no sheet changes between the check and the rename.
            with contextlib.ExitStack() as locks:
                for path in people_paths(layout, inputs, result):
                    locks.enter_context(locked(path))
                with transaction():          # every file or none: a full disk leaves all as they were
                    changed = write(layout, inputs, result)
        except ConcurrentChange:
            continue
        return ScreenResult(**{f: getattr(result, f) for f in Result.__dataclass_fields__}, changed=changed)
    raise UserError(f"sheets under {layout.screening} kept changing while screening ran; "
                    f"save and close them, then run `{hints.python('screen', layout)}` again")
