"""`python -m pipeline simulate LABELLED OUT`: replay a labelled review in the app's order (for benchmarks)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.console import summary
from pipeline.errors import UsageError
from pipeline.files import write_bytes_atomic
from pipeline.prioritise import stopping
from pipeline.textio import csv_bytes


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `simulate` to the CLI."""
    p = sub.add_parser(
        "simulate", help="Replay a labelled review (ASReview/SYNERGY layout) in the model's order; write record_id,rank,stop",
        description="Screen a labelled file (record_id, title, abstract, label_included; CSV or xlsx) as the app "
                    "would: priors drawn with the seed as ASReview LAB draws them, then the model's order, retrained "
                    "as decisions come in. Writes record_id,rank,stop for every record in the order screened; stop "
                    "is 1 on the first rank at which the stopping rule says stop.")
    p.add_argument("labelled", type=Path, help="labelled file (.csv or .xlsx)")
    p.add_argument("out", type=Path, help="output CSV: record_id,rank,stop")
    p.add_argument("--seed", type=int, default=0, help="seed for the priors (as ASReview's --prior-seed); default 0")
    p.add_argument("--prior-included", type=int, default=1, help="random included records to start with (default 1)")
    p.add_argument("--prior-excluded", type=int, default=1, help="random excluded records to start with (default 1)")
    p.add_argument("--stop-target", type=float, default=stopping.DEFAULT_TARGET,
                   help="target recall of the stopping rule (default 0.95)")
    p.add_argument("--stop-confidence", type=float, default=stopping.DEFAULT_CONFIDENCE,
                   help="confidence of the stopping rule (default 0.95)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.prioritise import features, labelled, simulate  # scikit-learn loads only when needed

    started = time.perf_counter()
    if args.prior_included < 0 or args.prior_excluded < 0:
        raise UsageError("--prior-included and --prior-excluded must be 0 or more")
    try:
        rule = stopping.Rule(args.stop_target, args.stop_confidence)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    data = labelled.read(args.labelled)
    feats = features.build(data.texts)
    try:
        sim = simulate.run(feats, data.labels, seed=args.seed, prior_included=args.prior_included,
                           prior_excluded=args.prior_excluded, rule=rule)
    except ValueError as exc:
        raise UsageError(f"{args.labelled}: {exc}") from None
    rows = [(data.record_ids[row], rank, int(rank == sim.stop_rank))
            for rank, row in enumerate(sim.order.tolist(), start=1)]
    write_bytes_atomic(args.out, csv_bytes(["record_id", "rank", "stop"], rows, bom=False))
    stop = f"stopping rule met at rank {sim.stop_rank}" if sim.stop_rank else "stopping rule not met before the end"
    summary("simulate", f"{len(rows)} records ({int(data.labels.sum())} included) screened in model order, "
                        f"seed {args.seed}; {stop}; {sim.retrains} retrains in {time.perf_counter() - started:.1f} s "
                        f"-> {args.out}")
    return 0
