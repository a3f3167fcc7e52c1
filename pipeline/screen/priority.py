"""The screen stage's side of prioritisation: each reviewer's order, the stopping rule, model.json.

Glue between the engine's calls and outcomes and `pipeline.prioritise.stage` (which is pure).
When the protocol sets `stop = true` for a stage and the rule is met for every reviewer, the
studies no one has screened are excluded by the rule (`stopped`); PRISMA counts them apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipeline.contracts import Outcome
from pipeline.layout import Layout
from pipeline.prioritise import coldstart, stopping
from pipeline.prioritise import stage as prio
from pipeline.prioritise.features import record_text
from pipeline.protocol import Protocol
from pipeline.screen.decisions import MAYBE
from pipeline.screen.sheets import Table, column

SETTLED = (Outcome.INCLUDE, Outcome.EXCLUDE, Outcome.NOT_RETRIEVED)


@dataclass
class StagePriority:
    """One stage: every reviewer's order, the studies excluded by the stopping rule, the stamp."""

    orders: dict[str, prio.ReviewerOrder] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)
    stamp: dict[str, object] | None = None
    rule: stopping.Rule = stopping.DEFAULT_RULE
    stop_requested: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return bool(self.orders) and all(o.rule.met for o in self.orders.values())


def read_previous(layout: Layout, stages: Sequence[str]) -> dict[str, dict]:
    """Last run's model.json per stage (for the order reviewers screened in); {} when absent or unreadable."""
    out: dict[str, dict] = {}
    for stage in stages:
        try:
            out[stage] = json.loads(layout.model_stamp(stage).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            out[stage] = {}
    return out


def _seen_priority(table: Table, study_of: Mapping[str, str]) -> dict[str, float]:
    """The priority each study's row showed when the sheet was read (when the reviewer saw it)."""
    key_col, pr_col = column(table, "record_id", "study_id"), column(table, prio.PRIORITY)
    out: dict[str, float] = {}
    if not key_col or not pr_col:
        return out
    for row in table.rows:
        study = study_of.get(row.get(key_col, "").strip())
        try:
            value = float(row.get(pr_col, "").strip())
        except ValueError:
            continue
        if study is not None:
            out[study] = min(value, out.get(study, value))
    return out


def prioritise(stage: str, protocol: Protocol, studies: pl.DataFrame, entering: Sequence[str],
               made_by: Mapping[str, Mapping[str, Any]], finals: Mapping[str, str],
               tables: Mapping[str, Table], study_of: Mapping[str, str], previous: Mapping[str, Any]) -> StagePriority:
    """Order every reviewer's studies at `stage`; find what the stopping rule excludes if the team stops."""
    setting = protocol.stopping.get(stage)
    rule = stopping.Rule(setting.target_recall, setting.confidence) if setting else stopping.DEFAULT_RULE
    out = StagePriority(rule=rule, stop_requested=bool(setting and setting.stop))
    reviewers = protocol.reviewers[stage]
    ids = sorted(entering)
    if not ids or not reviewers:
        return out
    shown = {s["study_id"]: record_text(s) for s in studies.filter(pl.col("study_id").is_in(ids)).iter_rows(named=True)}
    feats, cold = prio.build_features([shown.get(s, "") for s in ids], coldstart.query_text(protocol))
    settled = {s: f for s, f in finals.items() if f in SETTLED}
    before = previous.get("reviewers", {}) if isinstance(previous, dict) else {}
    for who in reviewers:
        own = {s: (str(calls[who][0]) if isinstance(calls[who], tuple) else MAYBE)   # own copies disagree: unsure
               for s, calls in made_by.items() if who in calls}
        kept = before.get(who, {}).get("screening_order", []) if isinstance(before, dict) else []
        out.orders[who] = prio.order_reviewer(who, ids, feats, cold, own, settled, kept,
                                              _seen_priority(tables[who], study_of), rule)
    out.stamp = prio.stamp(stage, list(out.orders.values()), len(ids), rule)
    out.stamp["stop_requested"] = out.stop_requested
    if out.stop_requested:
        if out.met:
            anyone = {s for s, calls in made_by.items() if calls}
            out.stopped = {s for s in ids if s not in anyone and finals.get(s) == Outcome.PENDING}
        else:
            need = {w: o.rule.more_to_screen for w, o in out.orders.items() if not o.rule.met}
            out.warnings.append(f"{protocol.path}: screening.{stage}.stopping.stop is true but the stopping rule is not "
                                "met yet (" + "; ".join(f"{w}: {n if n is not None else 'all'} more to screen"
                                                        for w, n in need.items()) + "); nothing is excluded by it")
    out.stamp["stopped"] = len(out.stopped)
    return out


def apply(sp: StagePriority, who: str, table: Table, sheet: tuple[list[str], list[list[str]]],
          study_of: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """The regenerated sheet with its `priority` column (rows added this run in priority order)."""
    order = sp.orders.get(who)
    header, rows = sheet
    key_col = column(table, "record_id", "study_id") or "record_id"
    dec_col = column(table, "decision") or "decision"
    if key_col not in header or dec_col not in header:
        return sheet
    priority = {} if order is None else {s: p for s, p in order.priority.items() if s not in sp.stopped}
    return prio.apply_to_sheet(header, rows, len(table.rows), key_col, dec_col, study_of, priority)


def summary(sp: StagePriority) -> dict[str, object]:
    """summary.json's `prioritisation` entry for one stage."""
    return {
        "rule": stopping.rule_text(sp.rule),
        "stop_requested": sp.stop_requested,
        "met": sp.met,
        "excluded_by_stopping_rule": len(sp.stopped),
        "reviewers": {w: {"includes_found": sum(o.labels), "includes_left_at_most": o.most_left,
                          "method": o.method, "rule_met": o.rule.met, "more_to_screen": o.rule.more_to_screen}
                      for w, o in sp.orders.items()},
    }
