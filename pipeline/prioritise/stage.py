"""Prioritise one screening stage: each reviewer's order, their sheet's `priority` column, the stamp.

Blinding: a reviewer's order is trained on their own calls and on settled final decisions only
(agreement of every reviewer, or a resolution), never on another reviewer's open calls.
`priority` is 1 for the study to screen next; screened rows have none. Rows already in a sheet stay
where they are (a reviewer may have sorted or moved them); rows the pipeline adds are appended in
priority order. The stopping rule runs on each reviewer's calls in the order they made them: the
order is kept in model.json from run to run, and calls new since the last run are placed by the
priority they had when the reviewer saw them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline.prioritise import coldstart, features, model, ranking, stopping

PRIORITY = "priority"
POSITIVE = ("include", "maybe")        # a maybe counts as an include for the stopping rule (the cautious side)
NEGATIVE = ("exclude", "not_retrieved")


@dataclass
class ReviewerOrder:
    """One reviewer's ranking and rule state at one stage."""

    reviewer: str
    priority: dict[str, int]               # unscreened study -> 1-based priority
    method: str
    training: dict[str, int]               # study -> 1/0 the model was trained on
    history: list[str]                     # studies this reviewer screened, in the order screened
    labels: list[int]                      # their label, same order (1 include or maybe, 0 exclude)
    rule: stopping.State
    most_left: int
    checksum: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _sha(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def training_set(own: Mapping[str, str], settled: Mapping[str, str]) -> dict[str, int]:
    """1/0 labels from a reviewer's own calls and the settled finals (which win where both exist)."""
    out: dict[str, int] = {}
    for source in (own, settled):
        for study, decision in source.items():
            if decision == "include":
                out[study] = 1
            elif decision in NEGATIVE:
                out[study] = 0
    return out


def screening_history(previous: Sequence[str], own: Mapping[str, str], seen_priority: Mapping[str, float]) -> list[str]:
    """Studies the reviewer has called, in the order called: the kept order, then new calls by the priority they had."""
    kept = [s for s in previous if s in own]
    known = set(kept)
    new = sorted((s for s in own if s not in known), key=lambda s: (seen_priority.get(s, float("inf")), s))
    return kept + new


def order_reviewer(reviewer: str, study_ids: Sequence[str], feats: features.Features, cold: np.ndarray,
                   own: Mapping[str, str], settled: Mapping[str, str], previous: Sequence[str],
                   seen_priority: Mapping[str, float], rule: stopping.Rule,
                   spec: model.ModelSpec = model.DEFAULT) -> ReviewerOrder:
    """Rank the stage's studies for one reviewer from what they may see (blinding) and test the rule."""
    row_of = {s: i for i, s in enumerate(study_ids)}
    train = training_set({s: d for s, d in own.items() if s in row_of}, {s: d for s, d in settled.items() if s in row_of})
    decided = {row_of[s]: v for s, v in sorted(train.items())}
    score, method = ranking.scores(feats.matrix, decided, spec, cold)
    done = {s for s in own if s in row_of} | {s for s in settled if s in row_of}   # settled: nothing to screen
    ranked = [study_ids[i] for i in ranking.order(score) if study_ids[i] not in done]
    history = screening_history(previous, {s: d for s, d in own.items() if s in row_of}, seen_priority)
    final = {**own, **settled}
    labels = [1 if final.get(s) in POSITIVE else 0 for s in history]
    total = len(study_ids)
    arr = np.asarray(labels, dtype=np.int64)
    state = stopping.state(arr, total, rule)
    left = stopping.most_left(arr, total, rule)
    order = ReviewerOrder(reviewer, {s: i for i, s in enumerate(ranked, start=1)}, method, train, history,
                          labels, state, left)
    order.checksum = _sha({"model": spec.stamp(), "features": _settings(), "training": sorted(train.items()),
                           "texts": _sha([str(x) for x in study_ids]), "ranking": ranked})
    return order


def _settings() -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in features.SETTINGS.items()}


def build_features(texts: Sequence[str], query: str) -> tuple[features.Features, np.ndarray]:
    """TF-IDF over the stage's studies and the cold-start scores against the protocol's text."""
    feats = features.build(texts)
    return feats, coldstart.scores(feats, query)


def apply_to_sheet(header: list[str], rows: list[list[str]], n_kept: int, key_col: str, decision_col: str,
                   study_of: Mapping[str, str], priority: Mapping[str, int]) -> tuple[list[str], list[list[str]]]:
    """Fill the `priority` column; rows from `n_kept` on (added by the pipeline) go in priority order."""
    header = list(header)
    lower = [h.strip().lower() for h in header]
    if PRIORITY in lower:
        at = lower.index(PRIORITY)
    else:                                   # a new sheet gets it first (to sort by); an old one at the end
        at = 0 if n_kept == 0 else len(header)
        header.insert(at, PRIORITY)
        rows = [r[:at] + [""] + r[at:] for r in rows]
    key_at, dec_at = header.index(key_col), header.index(decision_col)
    out = []
    for r in rows:
        r = list(r) + [""] * (len(header) - len(r))
        study = study_of.get(r[key_at].strip())
        rank = priority.get(study) if study and not r[dec_at].strip() else None
        r[at] = str(rank) if rank else ""
        out.append(r)
    kept, added = out[:n_kept], out[n_kept:]
    added.sort(key=lambda r: (int(r[at]) if r[at] else len(priority) + 1))
    return header, kept + added


def stamp(stage: str, orders: Sequence[ReviewerOrder], n_studies: int, rule: stopping.Rule,
          spec: model.ModelSpec = model.DEFAULT) -> dict[str, object]:
    """model.json: how each reviewer's order was made, enough to reproduce it, and the rule's state."""
    return {
        "stage": stage,
        "studies": n_studies,
        "model": spec.stamp(),
        "features": _settings() | {"fields": list(features.TEXT_FIELDS)},
        "cold_start": ranking.COLD_START,
        "blinding": "each reviewer's order is trained on their own calls and on settled final decisions only",
        "stopping_rule": rule.stamp(),
        "reviewers": {
            o.reviewer: {
                "method": o.method,
                "training_decisions": len(o.training),
                "training_includes": sum(o.training.values()),
                "checksum": o.checksum,
                "screened": len(o.history),
                "includes_found": sum(o.labels),
                "includes_left_at_most": o.most_left,
                "rule_met": o.rule.met,
                "rule_p_value": round(o.rule.p_value, 6),
                "more_to_screen": o.rule.more_to_screen,
                "screening_order": o.history,
                "screening_labels": o.labels,
            } for o in orders
        },
    }
