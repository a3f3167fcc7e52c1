"""`make bench-screen`: our prioritisation against ASReview LAB, same files, same seeds, same run.

For every dataset in ../shared/benchmarks/screening/ (ASReview/SYNERGY layout) and every seed, each
tool runs as its own subprocess on the same file:
- ours: `python -m pipeline simulate FILE OUT --seed S` (writes record_id,rank,stop);
- ASReview LAB: `asreview simulate FILE --ai elas_u4 --n-prior-included 1 --n-prior-excluded 1
  --seed S --prior-seed S -o P.asreview` inside `.bench-venv-asreview/` (created here when missing,
  pinned version); its order is read from the project file's `results` table (record_id = file row).
  ASReview stops at the last include by default; the rest of its order holds only excludes.
Both draw the same priors (checked per run). Metrics: benchmarks.screen_metrics. Two times per run:
wall time around each subprocess (start-up, reading the file and writing the result included), and
the in-process simulation time: for ASReview from its results table's per-label timestamps (the
priors' label to the last label: feature extraction and every retrain + re-rank until the last
include); for ours `features.build` + `simulate.run` timed here in the benchmark's process on the
same file and seed (whose order must equal the subprocess's). The stopping rule (ours only): the share of runs that stopped with
recall >= target, and the share of records left unscreened. Then one retrain + re-rank of 10,000
records (the app re-ranks after every decision). `--select` also compares the model candidates
in-process and chooses one by leave-one-dataset-out. Markdown to outputs/bench/screen.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks import git_head
from benchmarks.screen_metrics import Metrics, evaluate, stop_outcome
from pipeline.console import console, summary, warn
from pipeline.files import write_text_atomic
from pipeline.layout import Layout
from pipeline.prioritise import features, labelled, model, ranking, simulate, stopping

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "benchmarks" / "screening"
OUT = Layout.at(ROOT).bench
ASR_VENV = ROOT / ".bench-venv-asreview"
ASREVIEW = "asreview==3.0.8"
OURS, THEIRS = "ours", "ASReview LAB"
TARGET_SPEEDUP = 10.0
TARGET_RERANK_MS = 200.0
SCHEDULE_CANDIDATES = (0, 100)      # `--select`: retrain after every decision until this many are in


@dataclass
class Run:
    tool: str
    dataset: str
    seed: int
    seconds: float
    inner: float | None = None            # in-process simulation seconds (see the module docstring)
    metrics: Metrics | None = None
    stop_rank: int | None = None
    stop_ok: bool | None = None
    stop_recall: float | None = None
    left: float | None = None
    priors: tuple[int, ...] = ()
    error: str = ""


def ensure_asreview() -> Path:
    """The asreview executable in its own venv (installed here when missing)."""
    exe = ASR_VENV / "bin" / "asreview"
    if not exe.exists():
        console.print(f"Installing {ASREVIEW} into {ASR_VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(ASR_VENV)], check=True)
        subprocess.run([str(ASR_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", ASREVIEW], check=True)
    return exe


def ours_cmd(path: Path, out: Path, seed: int) -> list[str]:
    return [sys.executable, "-m", "pipeline", "simulate", str(path), str(out), "--seed", str(seed)]


def asreview_cmd(exe: Path, path: Path, out: Path, seed: int) -> list[str]:
    return [str(exe), "simulate", str(path), "--ai", "elas_u4", "--n-prior-included", "1",
            "--n-prior-excluded", "1", "--seed", str(seed), "--prior-seed", str(seed), "-o", str(out)]


def _timed(cmd: Sequence[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return seconds, "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["failed"])[-1][:200]


def warm_up() -> None:
    """Load every lazily imported module once, so no in-process time below includes an import."""
    texts = ["stem cell sclerosis", "hip asthma diet", "stem cell trial", "wound surgery child"]
    simulate.run(features.build(texts), np.array([1, 0, 1, 0]), 0)


def run_ours(data: labelled.Labelled, seed: int, work: Path, target: float) -> Run:
    out = work / f"ours-{seed}.csv"
    seconds, error = _timed(ours_cmd(data.path, out, seed), ROOT)
    run = Run(OURS, data.path.stem, seed, seconds, error=error)
    if error:
        return run
    row_of = {rid: i for i, rid in enumerate(data.record_ids)}
    lines = out.read_text(encoding="utf-8").splitlines()[1:]
    cells = [line.split(",") for line in lines if line.strip()]
    order = np.array([row_of[c[0]] for c in cells])
    stops = [int(c[1]) for c in cells if c[2].strip() == "1"]
    y = data.labels[order]
    run.metrics = evaluate(y, n_priors=2)
    run.priors = tuple(int(i) for i in order[:2])
    started = time.perf_counter()
    again = simulate.run(features.build(data.texts), data.labels, seed)
    run.inner = time.perf_counter() - started
    if again.order.tolist() != order.tolist():
        run.error = "the in-process simulation gave another order than the subprocess"
    run.stop_rank = stops[0] if stops else None
    run.stop_ok, run.stop_recall, run.left = stop_outcome(y, run.stop_rank, target)
    return run


def run_asreview(exe: Path, data: labelled.Labelled, seed: int, work: Path) -> Run:
    folder = work / f"asreview-{seed}"
    folder.mkdir()
    project = folder / "sim.asreview"
    seconds, error = _timed(asreview_cmd(exe, data.path, project, seed), folder)
    run = Run(THEIRS, data.path.stem, seed, seconds, error=error)
    if error:
        return run
    with zipfile.ZipFile(project) as z:
        z.extract("results.db", folder)
    with sqlite3.connect(folder / "results.db") as db:
        rows = db.execute("SELECT record_id, time FROM results ORDER BY rowid").fetchall()
    order = [r[0] for r in rows]
    run.inner = float(rows[-1][1] - rows[0][1]) if rows else None
    seen = set(order)
    order += [i for i in range(data.labels.size) if i not in seen]     # after the last include: excludes only
    run.metrics = evaluate(data.labels[np.array(order)], n_priors=2)
    run.priors = tuple(order[:2])
    return run


def rerank_ms(source: Path, n_records: int = 10_000, n_labelled: int = 1_000, repeats: int = 7) -> tuple[float, int]:
    """Median ms of one retrain + re-rank of `n_records` real records with `n_labelled` decisions."""
    texts: list[str] = []
    labels: list[int] = []
    for path in sorted(source.glob("*.csv")):
        d = labelled.read(path)
        texts += d.texts
        labels += d.labels.tolist()
        if len(texts) >= n_records:
            break
    texts, y = texts[:n_records], np.array(labels[:n_records])
    feats = features.build(texts)
    rng = np.random.RandomState(0)
    rows = np.concatenate([rng.choice(np.flatnonzero(y == 1), min(50, int(y.sum())), replace=False),
                           rng.choice(np.flatnonzero(y == 0), n_labelled - min(50, int(y.sum())), replace=False)])
    decided = {int(i): int(y[i]) for i in rows}
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        score, _ = ranking.scores(feats.matrix, decided, model.DEFAULT, np.zeros(len(texts)))
        ranking.order(score, rows)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times)), len(texts)


def candidates() -> dict[str, tuple[model.ModelSpec, simulate.Schedule]]:
    """The designs `--select` compares: each model on the shipped schedule, the shipped model on other schedules."""
    out = {spec.name: (spec, simulate.SCHEDULE) for spec in model.CANDIDATES.values()}
    for every in SCHEDULE_CANDIDATES:
        if every != simulate.SCHEDULE.every_until:
            out[f"{model.DEFAULT.name}, every decision until {every}"] = (
                model.DEFAULT, simulate.Schedule(every, simulate.SCHEDULE.fraction))
    return out


def select(datasets: list[labelled.Labelled], seeds: list[int]) -> tuple[list[str], dict[str, dict[str, Metrics]]]:
    """Every candidate's mean metrics per dataset (in-process), and the leave-one-dataset-out choice lines."""
    means: dict[str, dict[str, Metrics]] = {}
    for name, (spec, schedule) in candidates().items():
        means[name] = {}
        for data in datasets:
            feats = features.build(data.texts)
            ms = [evaluate(data.labels[simulate.run(feats, data.labels, seed, spec=spec, schedule=schedule).order], 2)
                  for seed in seeds]
            means[name][data.path.stem] = Metrics(*(float(np.mean([getattr(m, a) for m in ms]))
                                                    for a in ("wss95", "recall10", "atd")))
            console.print(f"  select {name} {data.path.stem}: WSS@95 {means[name][data.path.stem].wss95:.3f}")
    lines = []
    for held in (d.path.stem for d in datasets):
        pick = max(means, key=lambda m: np.mean([v.wss95 for k, v in means[m].items() if k != held]))
        mine, default = means[pick][held], means[model.DEFAULT.name][held]
        lines.append(f"| {held} | {pick} | {mine.wss95:.3f} | {mine.recall10:.3f} | {default.wss95:.3f} | "
                     f"{default.recall10:.3f} |")
    return lines, means


def _mean(runs: list[Run], attr: str) -> float:
    vals = [getattr(r.metrics, attr) for r in runs if r.metrics]
    return float(np.mean(vals)) if vals else float("nan")


def _mean_inner(runs: list[Run]) -> float:
    vals = [r.inner for r in runs if r.inner is not None]
    return float(np.mean(vals)) if vals else float("nan")


def markdown(runs: list[Run], rerank: tuple[float, int], seeds: list[int], cmd: str, selection: list[str] | None,
             rule: stopping.Rule) -> str:
    names = sorted({r.dataset for r in runs})
    lines = [
        "# Screening prioritisation benchmark: ours vs ASReview LAB", "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()} (shared, niced)",
        f"- commit: {git_head('pipeline')}",
        f"- command: `{cmd}`",
        f"- ours: `python -m pipeline simulate FILE OUT --seed S` (model {model.DEFAULT.name}, TF-IDF 1-2-grams, "
        f"{simulate.SCHEDULE.text()})",
        f"- ASReview LAB: `{ASREVIEW}`, `asreview simulate FILE --ai elas_u4 --n-prior-included 1 "
        "--n-prior-excluded 1 --seed S --prior-seed S -o P.asreview`",
        f"- seeds: {', '.join(map(str, seeds))}; metrics are means over seeds; WSS@95 and recall@10% higher is "
        "better, ATD (share of records screened per include found) lower is better; times are means over seeds: "
        "wall = the whole command (start-up included), in-process = the simulation alone (ASReview: from its "
        "per-label timestamps, priors to the last include; ours: TF-IDF + simulation, timed in-process)", "",
        "| dataset | records | includes | WSS@95 ours | WSS@95 ASReview | recall@10% ours | recall@10% ASReview | "
        "ATD ours | ATD ASReview | wall ours (s) | wall ASReview (s) | speed-up wall | in-process ours (s) | "
        "in-process ASReview (s) | speed-up in-process |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        ours = [r for r in runs if r.dataset == name and r.tool == OURS and r.metrics]
        theirs = [r for r in runs if r.dataset == name and r.tool == THEIRS and r.metrics]
        info = next(r for r in runs if r.dataset == name)
        t_o = float(np.mean([r.seconds for r in ours])) if ours else float("nan")
        t_t = float(np.mean([r.seconds for r in theirs])) if theirs else float("nan")
        n, k = getattr(info, "_n", 0), getattr(info, "_k", 0)
        i_o, i_t = _mean_inner(ours), _mean_inner(theirs)
        lines.append(f"| {name} | {n} | {k} | {_mean(ours, 'wss95'):.3f} | {_mean(theirs, 'wss95'):.3f} | "
                     f"{_mean(ours, 'recall10'):.3f} | {_mean(theirs, 'recall10'):.3f} | {_mean(ours, 'atd'):.3f} | "
                     f"{_mean(theirs, 'atd'):.3f} | {t_o:.1f} | {t_t:.1f} | {t_t / t_o:.1f}x | {i_o:.2f} | {i_t:.2f} | "
                     f"{i_t / i_o:.1f}x |")
    ok = [r for r in runs if r.tool == OURS and r.metrics]
    lines += ["", f"## Stopping rule: {stopping.rule_text(rule)}", "",
              "| dataset | runs | stopped with recall >= target | mean recall at stop | mean share left unscreened |",
              "|---|---:|---:|---:|---:|"]
    for name in names:
        rs = [r for r in ok if r.dataset == name]
        if rs:
            lines.append(f"| {name} | {len(rs)} | {sum(bool(r.stop_ok) for r in rs)}/{len(rs)} | "
                         f"{np.mean([r.stop_recall for r in rs]):.3f} | {np.mean([r.left for r in rs]):.1%} |")
    if ok:
        lines.append(f"| **all** | {len(ok)} | {sum(bool(r.stop_ok) for r in ok)}/{len(ok)} "
                     f"({np.mean([bool(r.stop_ok) for r in ok]):.0%}; promise: >= {rule.confidence:.0%}) | "
                     f"{np.mean([r.stop_recall for r in ok]):.3f} | {np.mean([r.left for r in ok]):.1%} |")
    lines += ["", "## One retrain + re-rank", "",
              f"{rerank[1]:,} records (the first datasets above, concatenated), 1,000 decisions: median "
              f"{rerank[0]:.0f} ms over 7 (target < {TARGET_RERANK_MS:.0f} ms; TF-IDF built once beforehand)."]
    if selection:
        lines += ["", "## Model choice, leave one dataset out", "",
                  "For each dataset: the candidate with the best mean WSS@95 on the other datasets, and its "
                  "WSS@95 and recall@10% on the held-out one (the shipped default's beside them).", "",
                  "| held-out dataset | chosen on the others | its WSS@95 | its recall@10% | default's WSS@95 | "
                  "default's recall@10% |", "|---|---|---:|---:|---:|---:|",
                  *selection]
    errors = [r for r in runs if r.error]
    if errors:
        lines += ["", "## Failed runs", ""] + [f"- {r.tool} {r.dataset} seed {r.seed}: {r.error}" for r in errors]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screen", description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="", help="comma-separated name parts (default: every dataset)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--without-asreview", action="store_true", help="ours only")
    parser.add_argument("--source", type=Path, default=SOURCE, help=f"folder of labelled CSVs (default {SOURCE})")
    parser.add_argument("--select", action="store_true", help="also compare the model candidates in-process (slow)")
    parser.add_argument("--select-seeds", type=int, default=2, help="seeds for --select (default 2)")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        warn(f"{args.source} is missing (the shared benchmark data sits beside the checkout): nothing to benchmark")
        return 0
    wanted = [w.strip().lower() for w in args.datasets.split(",") if w.strip()]
    paths = [p for p in sorted(args.source.glob("*.csv")) if not wanted or any(w in p.stem.lower() for w in wanted)]
    seeds = list(range(args.seeds))
    rule = stopping.Rule()
    exe = None if args.without_asreview else ensure_asreview()
    runs: list[Run] = []
    datasets = []
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "screen-runs.jsonl").unlink(missing_ok=True)
    warm_up()
    with tempfile.TemporaryDirectory(prefix="bench-screen-") as tmp:
        for path in paths:
            data = labelled.read(path)
            datasets.append(data)
            for seed in seeds:
                work = Path(tmp) / f"{path.stem}-{seed}"
                work.mkdir()
                pair = [run_ours(data, seed, work, rule.target)]
                if exe is not None:
                    pair.append(run_asreview(exe, data, seed, work))
                    if pair[0].priors and pair[1].priors and set(pair[0].priors) != set(pair[1].priors):
                        pair[1].error = f"different priors: ours {pair[0].priors}, ASReview {pair[1].priors}"
                with open(OUT / "screen-runs.jsonl", "a", encoding="utf-8") as log:   # partial results survive a kill
                    for r in pair:
                        log.write(json.dumps({"tool": r.tool, "dataset": r.dataset, "seed": r.seed, "seconds": r.seconds, "inner": r.inner,
                                              "metrics": r.metrics.__dict__ if r.metrics else None,
                                              "stop_rank": r.stop_rank, "stop_recall": r.stop_recall, "left": r.left,
                                              "error": r.error}) + "\n")
                for r in pair:
                    r._n, r._k = data.labels.size, int(data.labels.sum())  # type: ignore[attr-defined]
                    m = f"WSS@95 {r.metrics.wss95:.3f}" if r.metrics else f"FAILED {r.error}"
                    console.print(f"{path.stem} seed {seed} {r.tool}: {m}, {r.seconds:.1f} s ({r.inner or 0:.2f} s in-process)")
                runs += pair
    rerank = rerank_ms(args.source)
    selection = select(datasets, list(range(args.select_seeds)))[0] if args.select else None
    cmd = "make bench-screen" + (f" ARGS='{' '.join(shlex.quote(a) for a in (argv or sys.argv[1:]))}'"
                                 if (argv or sys.argv[1:]) else "")
    text = markdown(runs, rerank, seeds, cmd, selection, rule)
    write_text_atomic(OUT / "screen.md", text)
    console.print(text, markup=False)
    summary("bench-screen", f"{len(paths)} datasets x {len(seeds)} seeds; re-rank {rerank[0]:.0f} ms -> "
                            f"{OUT.relative_to(ROOT) / 'screen.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
