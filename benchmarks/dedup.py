"""`make bench-dedup`: our dedup against bib-dedupe, accuracy, wall time and peak memory, same run.

For every dataset in ../shared/benchmarks/dedup/ (records_pre_merged.csv + merged_record_ids.csv)
each tool runs as its own subprocess on the same CSV and writes `ID,cluster_id`:
- ours: `python -m pipeline dedup-csv IN OUT`;
- bib-dedupe: `benchmarks/bibdedupe_runner.py IN OUT` inside `.bench-venv/` (created here when
  missing, with the pinned bib-dedupe from PyPI), calling prep, block, match, cluster and merge as
  bib-dedupe's own evaluation does.
Accuracy is `benchmarks.dedup_metrics` (the bib-dedupe evaluation's per-record metric). Wall time is
measured around the subprocess; peak memory is the larger of the child's own high-water RSS and
the largest summed PSS of it and its worker processes (bib-dedupe forks some), sampled every 0.1 s. Then our 100,000-record generated set (benchmarks.generate); bib-dedupe on
it only with --with-bib-dedupe-scale, as it takes minutes.

Then, in this process, the out-of-sample check (benchmarks.dedup_train): for each dataset, the
thresholds are chosen on the other datasets and scored on it (leave one dataset out), beside the
in-sample figures (the shipped thresholds, chosen on all of them) and bib-dedupe's from this run;
and the learned pair classifiers (benchmarks.dedup_model) measured the same way, when
scikit-learn is installed.

Prints both tools' tables, the ratios (speed = bib-dedupe time / ours; memory = bib-dedupe peak /
ours) and the exact command, and writes the same as markdown to outputs/bench/dedup.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import dedup_train, generate, git_head
from benchmarks.dedup_metrics import Metrics, evaluate, read_record_ids
from pipeline.console import console, summary, warn
from pipeline.dedup import thresholds
from pipeline.errors import PipelineError
from pipeline.files import write_bytes_atomic, write_text_atomic
from pipeline.layout import Layout

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "benchmarks" / "dedup"
OUT = Layout.at(ROOT).bench
BENCH_VENV = ROOT / ".bench-venv"
BIB_DEDUPE = "bib-dedupe==0.11.0"
RUNNER = ROOT / "benchmarks" / "bibdedupe_runner.py"
OURS, THEIRS = "ours", "bib-dedupe"
# What the dedup engine aims for (the targets).
TARGET_SPEEDUP = 10.0
TARGET_SCALE_SECONDS = 60.0
TARGET_SCALE_BYTES = 2 * 1024**3
TARGET_SENSITIVITY_GAP = 0.005  # out of sample, ours may trail bib-dedupe's sensitivity by at most this


@dataclass
class Run:
    """One tool on one dataset: resources used and, when it finished, its accuracy."""

    tool: str
    dataset: str
    records: int
    seconds: float = 0.0
    peak_bytes: int = 0
    metrics: Metrics | None = None
    error: str = ""
    skipped: str = ""
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Report:
    """Every run of this benchmark: the real datasets, then the generated scale set."""

    runs: list[Run] = field(default_factory=list)
    scale_runs: list[Run] = field(default_factory=list)
    folds: list[dedup_train.Fold] = field(default_factory=list)
    model_folds: dict[str, list] = field(default_factory=dict)
    training_note: str = ""


def find(runs: list[Run], tool: str, dataset: str) -> Run | None:
    return next((r for r in runs if r.tool == tool and r.dataset == dataset), None)


# --- measuring a subprocess ------------------------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc/*/stat (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _proc_kb(pid: int, name: str, key: str) -> int:
    """One `key: N kB` value from /proc/<pid>/<name>, in bytes; 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/{name}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_pids(pid: int) -> list[int]:
    """A process and all its descendants."""
    children = _children_map()
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children.get(p, []))
    return pids


def memory_now(pid: int) -> int:
    """The process's high-water RSS; with worker processes, at least their summed PSS right now.

    VmHWM is exact and cheap for one process and its threads. Worker processes share pages with
    their parent, so their memory is summed as PSS (shared pages split between sharers), which is
    dear to read (page-table walk): done only while workers exist.
    """
    pids = tree_pids(pid)
    hwm = _proc_kb(pid, "status", "VmHWM:")
    if len(pids) == 1:
        return hwm
    return max(hwm, sum(_proc_kb(p, "smaps_rollup", "Pss:") or _proc_kb(p, "status", "VmRSS:") for p in pids))


def measure(cmd: Sequence[str], log: Path) -> tuple[float, int, int]:
    """Run `cmd` (stdout and stderr to `log`); return (wall seconds, peak bytes, exit code).

    Memory is sampled every 0.1 s, or less often when a sample is slow (at most ~10% of a core).
    Not getrusage: Linux carries the parent's peak RSS into a child's ru_maxrss across fork and exec.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    done = threading.Event()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)

        def poll() -> None:
            nonlocal peak
            while True:
                began = time.perf_counter()
                peak = max(peak, memory_now(proc.pid))
                if done.wait(max(0.1, 10 * (time.perf_counter() - began))):
                    return

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        code = proc.wait()
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
    return seconds, peak, code


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else "no output"


def run_tool(tool: str, dataset: str, folder: Path, work: Path) -> Run:
    """Run one tool on one benchmark folder, then score its prediction.

    The prediction and log go to `work` (this run's own temporary folder, so two benchmark runs at
    once cannot read each other's files); a failed run's log is kept in outputs/bench/dedup/.
    """
    records_csv, truth_csv = folder / "records_pre_merged.csv", folder / "merged_record_ids.csv"
    n = len(_ids(records_csv))
    pred, log = work / f"{folder.name}.{tool}.csv", work / f"{folder.name}.{tool}.log"
    if tool == OURS:
        cmd = [sys.executable, "-m", "pipeline", "dedup-csv", str(records_csv), str(pred)]
    else:
        cmd = [str(BENCH_VENV / "bin" / "python"), str(RUNNER), str(records_csv), str(pred)]
    console.print(f"  {tool:<10} {dataset} ({n:,} records) ...")
    seconds, peak, code = measure(cmd, log)
    run = Run(tool, dataset, n, seconds, peak, phases=read_phases(log))
    if code != 0:
        kept = OUT / "dedup" / log.name
        write_bytes_atomic(kept, log.read_bytes())
        run.error = f"exit {code}: {_last_line(log)} (log: {kept.relative_to(ROOT)})"
        return run
    try:
        run.metrics = evaluate(pred, truth_csv, records_csv)
    except PipelineError as exc:
        run.error = f"unusable output: {exc}"
    return run


def read_phases(log: Path) -> dict[str, float]:
    """The seconds per step the bib-dedupe runner prints (`bib-dedupe phases: prep=1.2 ...`), if any."""
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("bib-dedupe phases:"):
            return {k: float(v) for k, v in (item.split("=") for item in line.split(":", 1)[1].split())}
    return {}


def phase_rows(runs: list[Run]) -> list[list[str]]:
    """bib-dedupe's time per step, and the speed ratio without merge (which our dedup-csv has no part like)."""
    rows = []
    for theirs in runs:
        ours = find(runs, OURS, theirs.dataset)
        if theirs.tool != THEIRS or not theirs.phases or not ours or not ours.metrics:
            continue
        without_merge = theirs.seconds - theirs.phases.get("merge", 0.0)
        rows.append([theirs.dataset] + [f"{theirs.phases.get(k, 0.0):.1f}" for k in PHASES]
                    + [f"{without_merge / ours.seconds:.1f}x"])
    return rows


PHASES = ("read", "prep", "block", "match", "cluster", "merge")
_ID_CACHE: dict[Path, list[str]] = {}


def _ids(records_csv: Path) -> list[str]:
    if records_csv not in _ID_CACHE:
        _ID_CACHE[records_csv] = read_record_ids(records_csv)
    return _ID_CACHE[records_csv]


# --- the bib-dedupe environment --------------------------------------------------------------------

def ensure_bib_dedupe() -> str:
    """Create `.bench-venv/` with bib-dedupe when missing; return its installed version."""
    python = BENCH_VENV / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('bib-dedupe'))"]
    if python.exists():
        found = subprocess.run(probe, capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == BIB_DEDUPE.split("==")[1]:
            return found.stdout.strip()
    console.print(f"Installing {BIB_DEDUPE} into {BENCH_VENV.name}/ (once) ...")
    if not python.exists():
        subprocess.run([_base_python(), "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", BIB_DEDUPE],
                   check=True)
    # Import once so byte-compiling the fresh install is not timed as bib-dedupe's first run.
    subprocess.run([str(python), "-c", "import bib_dedupe.bib_dedupe"], check=True)
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def _base_python() -> str:
    """The interpreter this venv was made from, so the benchmark venv is a sibling, not a nested one."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(base) if base.exists() else sys.executable


# --- tables ------------------------------------------------------------------------------------------

def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


def _row(run: Run) -> list[str]:
    head = [run.dataset, run.tool, f"{run.records:,}"]
    if run.skipped:
        return head + [f"skipped: {run.skipped}"] + [""] * 9
    if run.metrics is None:
        return head + [f"FAILED: {run.error}"] + [""] * 7 + [f"{run.seconds:.1f}", _mb(run.peak_bytes)]
    m = run.metrics
    return head + [str(m.tp), str(m.fp), str(m.fn), str(m.tn), f"{m.sensitivity:.4f}", f"{m.specificity:.4f}",
                   f"{m.precision:.4f}", f"{m.f1:.4f}", f"{run.seconds:.1f}", _mb(run.peak_bytes)]


HEADER = ["dataset", "tool", "records", "TP", "FP", "FN", "TN", "sensitivity", "specificity", "precision", "F1",
          "time (s)", "peak memory"]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


ALL = "all datasets"


def comparable(runs: list[Run]) -> list[str]:
    """Datasets every tool that ran finished (a skipped tool does not count), so totals compare like with like."""
    names = dict.fromkeys(r.dataset for r in runs)
    return [d for d in names if all(r.metrics is not None for r in runs if r.dataset == d and not r.skipped)]


def totals(runs: list[Run], tool: str) -> Run | None:
    """One row summing counts, records and time over the comparable datasets (peak memory: the largest)."""
    keep = set(comparable(runs))
    done = [r for r in runs if r.tool == tool and r.metrics is not None and r.dataset in keep]
    if not done:
        return None
    metrics = done[0].metrics
    for r in done[1:]:
        metrics = metrics + r.metrics
    n_all = len({r.dataset for r in runs})
    label = ALL if len(keep) == n_all else f"{len(keep)} of {n_all} datasets (those both finished)"
    return Run(tool, label, sum(r.records for r in done), sum(r.seconds for r in done),
               max(r.peak_bytes for r in done), metrics)


def _ratio(theirs: Run | None, ours: Run | None) -> list[str]:
    if not theirs or not ours or theirs.skipped or ours.skipped or not theirs.metrics or not ours.metrics:
        return ["", ""]
    return [f"{theirs.seconds / ours.seconds:.1f}x", f"{theirs.peak_bytes / ours.peak_bytes:.1f}x"]


def ratio_rows(runs: list[Run], datasets: list[str]) -> list[list[str]]:
    """Per dataset: speed and memory ratios, and how our FP and sensitivity differ from bib-dedupe's."""
    rows = []
    for name in datasets:
        ours, theirs = find(runs, OURS, name), find(runs, THEIRS, name)
        diff = ""
        if ours and theirs and ours.metrics and theirs.metrics:
            diff = f"{ours.metrics.fp - theirs.metrics.fp:+d} / {ours.metrics.sensitivity - theirs.metrics.sensitivity:+.4f}"
        rows.append([name] + _ratio(theirs, ours) + [diff])
    return rows


def target_lines(report: Report) -> list[str]:
    """Each target of the dedup engine, met or not, from this run's numbers."""
    lines = []
    pairs = [(find(report.runs, OURS, r.dataset), r) for r in report.runs if r.tool == THEIRS and r.metrics]
    pairs = [(o, t) for o, t in pairs if o and o.metrics]
    if pairs:
        loo = {f.held_out: f.metrics for f in report.folds}
        if loo:
            short = [t.dataset for o, t in pairs if t.dataset in loo and not _loo_ok(loo[t.dataset], t.metrics)]
            checked = [t.dataset for _, t in pairs if t.dataset in loo]
            lines.append(f"- leave-one-dataset-out, on every dataset, FP <= bib-dedupe's and sensitivity >= bib-dedupe's "
                         f"- {TARGET_SENSITIVITY_GAP}: {'met' if not short else 'NOT met on ' + ', '.join(short)} "
                         f"({len(checked)} datasets)")
        worse = [o.dataset for o, t in pairs if o.metrics.fp > t.metrics.fp]
        lines.append(f"- in sample, FP no higher than bib-dedupe's on every dataset: {'met' if not worse else 'NOT met on ' + ', '.join(worse)}")
        ours_all = totals([o for o, _ in pairs], OURS)
        theirs_all = totals([t for _, t in pairs], THEIRS)
        ok = ours_all.metrics.sensitivity >= theirs_all.metrics.sensitivity - TARGET_SENSITIVITY_GAP
        lines.append(f"- in sample, overall sensitivity >= bib-dedupe's - {TARGET_SENSITIVITY_GAP}: {'met' if ok else 'NOT met'} "
                     f"({ours_all.metrics.sensitivity:.4f} vs {theirs_all.metrics.sensitivity:.4f})")
        speed = theirs_all.seconds / ours_all.seconds
        lines.append(f"- at least {TARGET_SPEEDUP:.0f}x faster overall: {'met' if speed >= TARGET_SPEEDUP else 'NOT met'} "
                     f"({speed:.1f}x)")
    failed = [r.dataset for r in report.runs + report.scale_runs if r.tool == OURS and r.error]
    if failed:
        lines.append(f"- ours FAILED on {', '.join(failed)}: the lines above cover the other datasets only")
    scale = next((r for r in report.scale_runs if r.tool == OURS and r.metrics), None)
    if scale:
        ok = scale.seconds < TARGET_SCALE_SECONDS and scale.peak_bytes < TARGET_SCALE_BYTES
        lines.append(f"- {scale.records:,} records in < {TARGET_SCALE_SECONDS:.0f} s and < 2 GB: "
                     f"{'met' if ok else 'NOT met'} ({scale.seconds:.1f} s, {_mb(scale.peak_bytes)})")
    return lines


def _loo_ok(ours: Metrics, theirs: Metrics) -> bool:
    return ours.fp <= theirs.fp and ours.sensitivity >= theirs.sensitivity - TARGET_SENSITIVITY_GAP


def _short(m: Metrics | None) -> str:
    return f"{m.fp} / {m.fn} / {m.sensitivity:.4f}" if m else ""


def loo_rows(report: Report) -> list[list[str]]:
    """Per dataset: bib-dedupe, ours in sample, ours leave-one-out (and what was chosen), target met."""
    rows = []
    total: dict[str, Metrics | None] = {"theirs": None, "ours": None, "loo": None}
    for fold in report.folds:
        theirs, ours = find(report.runs, THEIRS, fold.held_out), find(report.runs, OURS, fold.held_out)
        tm = theirs.metrics if theirs else None
        om = ours.metrics if ours else None
        for key, m in (("theirs", tm), ("ours", om), ("loo", fold.metrics)):
            if m is not None:
                total[key] = m if total[key] is None else total[key] + m
        verdict = ("met" if _loo_ok(fold.metrics, tm) else "NOT met") if tm else ""
        rows.append([fold.held_out, _short(tm), _short(om), _short(fold.metrics), dedup_train.describe(fold.chosen), verdict])
    if rows:
        rows.append([f"**{ALL}**", _short(total["theirs"]), _short(total["ours"]), _short(total["loo"]), "", ""])
    return rows


def model_rows(report: Report) -> list[list[str]]:
    """Leave-one-out rows of the rules next to each learned pair classifier."""
    rows = []
    for fold in report.folds:
        row = [fold.held_out, _short(fold.metrics)]
        for folds in report.model_folds.values():
            mf = next((f for f in folds if f.held_out == fold.held_out), None)
            row.append(f"{_short(mf.metrics)} (p >= {mf.cut})" if mf else "")
        rows.append(row)
    if rows:
        def total(ms: list[Metrics]) -> Metrics:
            return sum(ms[1:], ms[0])
        row = [f"**{ALL}**", _short(total([f.metrics for f in report.folds]))]
        row += [_short(total([f.metrics for f in folds])) for folds in report.model_folds.values()]
        rows.append(row)
    return rows


def render(report: Report, datasets: list[str], command: str, context: dict[str, str]) -> str:
    """The whole result as markdown (also what the terminal shows)."""
    both = [t for t in (totals(report.runs, OURS), totals(report.runs, THEIRS)) if t]
    rows = [_row(r) for r in report.runs + both]
    out = ["# Dedup benchmark: this project vs bib-dedupe", "",
           f"Command: `{command}`  ", *(f"{k}: {v}  " for k, v in context.items()), "",
           "## Real datasets (../shared/benchmarks/dedup)", "", _table(HEADER, rows), ""]
    ratio_header = ["dataset", "speed (bib-dedupe time / ours)", "memory (bib-dedupe peak / ours)",
                    "ours - bib-dedupe: FP / sensitivity"]
    names = datasets + ([both[0].dataset] if len(both) == 2 else [])
    out += ["## Ratios", "", _table(ratio_header, ratio_rows(report.runs + both, names)), ""]
    phases = phase_rows(report.runs + report.scale_runs)
    if phases:
        out += ["## bib-dedupe time per step (s)", "",
                "As its evaluation runs it; merge builds merged records, which our `dedup-csv` does not.", "",
                _table(["dataset", *PHASES, "speed without merge (bib-dedupe / ours)"], phases), ""]
    if report.scale_runs:
        scale_name = report.scale_runs[0].dataset
        out += [f"## Scale: generated set ({scale_name})", "", _table(HEADER, [_row(r) for r in report.scale_runs]),
                "", _table(ratio_header, ratio_rows(report.scale_runs, [scale_name])), ""]
    if report.folds:
        out += ["## Out of sample: leave one dataset out", "",
                "Everything chosen from data (the thresholds of `pipeline/dedup/thresholds.py`) is chosen on the other "
                "datasets and scored on the one in the row; in sample = the shipped thresholds, chosen on all of them "
                "(`make train-dedup`). Cells: FP / FN / sensitivity.", "",
                _table(["dataset", "bib-dedupe (this run)", "ours in sample", "ours leave-one-out",
                        "thresholds chosen on the others", "target"], loo_rows(report)), "",
                report.training_note, ""]
    if report.model_folds:
        out += ["## Learned pair classifiers (candidates), leave one dataset out", "",
                "The fuzzy rules replaced by a scikit-learn classifier over the same features (identifiers and vetoes "
                "unchanged); the model is fitted on the other datasets and its probability cut chosen there on "
                "out-of-fold predictions (benchmarks/dedup_model.py). Cells: FP / FN / sensitivity.", "",
                _table(["dataset", "rules", *report.model_folds], model_rows(report)), ""]
    targets = target_lines(report)
    if targets:
        out += ["## Targets", "", *targets, ""]
    out += ["Time is wall-clock seconds for the whole subprocess (start-up, reading, dedup, writing). Peak memory "
            "is the larger of the process's high-water RSS (VmHWM) and the summed PSS of it and its worker processes, "
            "sampled every 0.1 s. "
            "Metric: per record, as bib-dedupe's evaluation (see ../shared/README.md).", ""]
    return "\n".join(out)


# --- the run ------------------------------------------------------------------------------------------

def available(source: Path) -> list[str]:
    return sorted(p.name for p in source.iterdir()
                  if (p / "records_pre_merged.csv").is_file() and (p / "merged_record_ids.csv").is_file())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup", description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="", help="comma-separated dataset names (default: all)")
    parser.add_argument("--skip-bib-dedupe", action="store_true", help="run only this project's dedup")
    parser.add_argument("--scale", type=int, default=100_000, help="records in the generated set (0: skip)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated set")
    parser.add_argument("--with-bib-dedupe-scale", action="store_true",
                        help="also run bib-dedupe on the generated set (slow: minutes)")
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder of the benchmark datasets")
    parser.add_argument("--skip-loo", action="store_true", help="skip the leave-one-dataset-out tables")
    parser.add_argument("--skip-models", action="store_true", help="skip the learned pair classifiers")
    return parser.parse_args(argv)


def out_of_sample(report: Report, source: Path, datasets: list[str], with_models: bool) -> None:
    """Leave-one-dataset-out for the thresholds (and the learned classifiers), in this process."""
    console.print("[bold]leave one dataset out[/bold]")
    loaded, table = dedup_train.run(source, datasets)
    report.folds = dedup_train.leave_one_out(table, datasets)
    chosen, ships = dedup_train.choose(table, datasets), thresholds.shipped()
    state = "the same" if chosen == ships else "DIFFERENT: run `make train-dedup`"
    report.training_note = (f"Shipped thresholds: {dedup_train.describe(ships)}; training on these {len(datasets)} datasets "
                            f"now picks {dedup_train.describe(chosen)} ({state}).")
    if not with_models:
        return
    try:
        from benchmarks import dedup_model
    except ImportError as exc:  # scikit-learn is a dev dependency
        report.training_note += f" Learned classifiers skipped: {exc}."
        return
    for name in dedup_model.MODELS:
        console.print(f"  {name} ...", highlight=False)
        report.model_folds[name] = dedup_model.leave_one_out(loaded, name)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks.dedup" + ("".join(" " + shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])))
    if not args.source.is_dir():
        console.print(f"bench-dedup: skipped, {args.source} is absent (the shared benchmark data sits beside the checkout).")
        return 0
    names = available(args.source)
    datasets = [d for d in args.datasets.split(",") if d] or names
    unknown = [d for d in datasets if d not in names]
    if unknown:
        console.print(f"[red]error[/red]: unknown dataset(s) {', '.join(unknown)}; available: {', '.join(names)}")
        return 2
    context = {"machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                          f"Python {platform.python_version()}",
               "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
               "ours": f"commit {git_head('pipeline')}"}
    start_load = os.getloadavg()[0]
    with_bib = not args.skip_bib_dedupe
    if with_bib:
        try:
            context["bib-dedupe"] = ensure_bib_dedupe() + f" (in {BENCH_VENV.name}/)"
        except (subprocess.CalledProcessError, OSError) as exc:
            warn(f"bib-dedupe could not be installed ({exc}); running ours only")
            with_bib = False
    report = Report()
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        work = Path(tmp)
        for name in datasets:
            console.print(f"[bold]{name}[/bold]")
            report.runs.append(run_tool(OURS, name, args.source / name, work))
            if with_bib:
                report.runs.append(run_tool(THEIRS, name, args.source / name, work))
            else:
                report.runs.append(Run(THEIRS, name, len(_ids(args.source / name / "records_pre_merged.csv")),
                                       skipped="--skip-bib-dedupe"))
        if args.scale > 0:
            scale_name = f"generated {args.scale:,} (seed {args.seed})"
            folder = OUT / f"scale-{args.scale}-seed{args.seed}"
            console.print(f"[bold]{scale_name}[/bold]: generating into {folder.relative_to(ROOT)} ...")
            generate.write_dataset(folder, args.scale, args.seed, args.source)
            report.scale_runs.append(run_tool(OURS, scale_name, folder, work))
            if with_bib and args.with_bib_dedupe_scale:
                report.scale_runs.append(run_tool(THEIRS, scale_name, folder, work))
            else:
                reason = "--skip-bib-dedupe" if not with_bib else "slow (minutes); add --with-bib-dedupe-scale"
                report.scale_runs.append(Run(THEIRS, scale_name, args.scale, skipped=reason))
    if not args.skip_loo and len(datasets) > 1:
        out_of_sample(report, args.source, datasets, not args.skip_models)
    context["load average (1 min) at start / end"] = f"{start_load:.1f} / {os.getloadavg()[0]:.1f}"
    text = render(report, datasets, command, context)
    print(text)
    target = OUT / "dedup.md"
    write_text_atomic(target, text)
    failed = [r for r in report.runs + report.scale_runs if r.error]
    summary("bench-dedup", f"{len(datasets)} datasets{' + scale' if args.scale else ''}, "
                           f"{len(failed)} failed run(s) -> {target.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
