"""Screening app load run: two reviewers x N decisions over HTTP on 127.0.0.1, on sheets of 5,000 studies.

What is timed: one decision as the page makes it, a POST to `/decide` measured at the client,
from sending to the reply with the next study; that includes the atomic write of the reviewer's
whole sheet (temp file, fsync, rename, folder fsync) under its lock and the re-ranking of the
unscreened studies. Both reviewers decide at the same time, each on their own keep-alive
connection, against a real `python -m pipeline app` process. Afterwards every decision sent must
be in the sheets, exactly.

Peer, same run, same sheet: what the screen stage does to write a sheet (`sheets.read_table`,
`sheets.render` of every row, `write_if_unchanged`), i.e. a naive app that rewrites the sheet
from scratch on every decision. Target (issue 14): p95 < 50 ms on 2 cores with 5,000 studies.

The studies are generated (deterministic for a seed): titles and ~1,200-character abstracts of
domain words, authors, journals, years, keywords and MeSH terms, a DOI and PMID each.

    python -m benchmarks.app [--studies 5000] [--decisions 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from benchmarks import git_head
from pipeline import files, records
from pipeline.console import console, summary
from pipeline.layout import Layout
from pipeline.protocol import load
from pipeline.screen import engine, sheets

REPO = Path(__file__).resolve().parents[1]
OUT = Layout.at(REPO).bench
TARGET_P95_MS = 50.0
WORDS = ["mesenchymal", "stem", "stromal", "cells", "multiple", "sclerosis", "relapsing", "remitting", "progressive", "intrathecal", "intravenous", "transplantation", "autologous", "bone", "marrow", "adipose", "umbilical", "cord", "Wharton", "jelly", "exosomes", "extracellular", "vesicles", "EDSS", "disability", "relapse", "lesion", "gadolinium", "MRI", "regulatory", "T", "cells", "cytokine", "safety", "adverse", "events", "trial", "randomised", "placebo", "phase", "open-label", "cohort", "patients", "mice", "experimental", "autoimmune", "encephalomyelitis", "demyelination", "remyelination", "neuroprotection", "immunomodulation", "outcome", "follow-up", "months", "baseline"]
PROTOCOL = """[review]
title = "App benchmark"
[screening.highlight]
include = ["mesenchymal", "intrathecal", "EAE"]
exclude = ["review", "in vitro"]
[screening.title_abstract]
reviewers = ["alice", "bob"]
[screening.full_text]
reviewers = ["alice", "bob"]
"""


def studies(n: int, seed: int) -> pl.DataFrame:
    """`n` plausible studies, as dedup writes studies.parquet."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        words = lambda k: " ".join(rnd.choice(WORDS) for _ in range(k))  # noqa: E731
        rows.append({"record_id": f"bench:{i:06d}", "source": "bench", "pmid": str(30_000_000 + i),
                     "doi": f"10.5555/bench.{i}", "title": words(rnd.randint(8, 18)).capitalize(),
                     "abstract": ". ".join(words(rnd.randint(12, 22)).capitalize() for _ in range(10)) + ".",
                     "authors": [f"Author{rnd.randint(1, 999)} {chr(65 + rnd.randint(0, 25))}" for _ in range(rnd.randint(1, 8))],
                     "year": rnd.randint(1995, 2026), "journal": f"Journal of {rnd.choice(WORDS).capitalize()}",
                     "keywords": [rnd.choice(WORDS) for _ in range(4)], "mesh": [rnd.choice(WORDS).capitalize() for _ in range(3)]})
    frame = records.conform(pl.DataFrame(rows))
    return frame.with_columns(
        pl.col("record_id").alias("study_id"), pl.concat_list(pl.col("record_id")).alias("member_ids"),
        pl.concat_list(pl.col("source")).alias("sources"), pl.lit(1, dtype=pl.Int32).alias("n_members"),
    ).select("study_id", *records.RECORD_SCHEMA, "member_ids", "sources", "n_members").sort("study_id")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Reviewer(threading.Thread):
    """One reviewer's page: decide the study shown, take the next one from the reply, N times."""

    def __init__(self, port: int, who: str, decisions: int, seed: int):
        super().__init__(name=who)
        self.port, self.who, self.n = port, who, decisions
        self.rnd = random.Random(f"{seed}-{who}")
        self.latencies: list[float] = []
        self.sent: dict[str, str] = {}
        self.error: str | None = None

    def run(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            head = {"Host": f"127.0.0.1:{self.port}"}
            conn.request("GET", f"/screen/title_abstract/{self.who}", headers=head)
            page = conn.getresponse().read().decode()
            found = re.search(r'data-csrf="([0-9a-f]+)"', page)
            assert found, "no CSRF token in the page"
            post = {**head, "Content-Type": "application/json", "X-CSRF-Token": found.group(1)}
            conn.request("GET", f"/api/screen/title_abstract/{self.who}/study", headers=head)
            view = json.loads(conn.getresponse().read())
            for _ in range(self.n):
                study = view["study"]
                decision = self.rnd.choice(("include", "exclude", "exclude", "exclude", "maybe"))
                body = json.dumps({"key": study["key"], "decision": decision, "reason": "", "expected": study["cells"]})
                start = time.perf_counter()
                conn.request("POST", f"/api/screen/title_abstract/{self.who}/decide", body=body, headers=post)
                reply = conn.getresponse()
                data = reply.read()
                self.latencies.append((time.perf_counter() - start) * 1000)
                if reply.status != 200:
                    raise RuntimeError(f"{self.who}: HTTP {reply.status}: {data[:200]!r}")
                self.sent[study["key"]] = decision
                view = json.loads(data)
        except Exception as exc:  # reported by the main thread
            self.error = f"{type(exc).__name__}: {exc}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def naive_write_ms(path: Path, repeat: int) -> list[float]:
    """The peer: rewrite the sheet from scratch as the screen stage does (read, render all, write)."""
    out = []
    for i in range(repeat):
        start = time.perf_counter()
        table = sheets.read_table(path)
        body = [[r.get(h, "") for h in table.header] for r in table.rows]
        body[i][table.header.index("notes")] = f"peer {i}"
        sheets.write_if_unchanged(path, sheets.render(table.header, body, table.delimiter, table.encoding), table.fingerprint)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app", description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=5000)
    parser.add_argument("--decisions", type=int, default=2000, help="per reviewer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peer-repeat", type=int, default=30)
    args = parser.parse_args(argv)
    if args.decisions > args.studies:
        parser.error("--decisions cannot exceed --studies")
    started = datetime.now(UTC)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        root = Path(tmp)
        layout = Layout.at(root)
        files.write_parquet_atomic(layout.studies, studies(args.studies, args.seed))
        (root / "queries").mkdir()
        (root / "queries" / "review.toml").write_text(PROTOCOL, encoding="utf-8")
        protocol = load(root / "queries" / "review.toml", root=root)
        engine.run(layout, protocol)
        sheet_size = layout.sheet("title_abstract", "alice").stat().st_size
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "app", "--root", str(root), "--port", str(port)],
                                  cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the app did not start: " + (server.stdout.read() if server.stdout else "")) from None
                    time.sleep(0.1)
            reviewers = [Reviewer(port, who, args.decisions, args.seed) for who in ("alice", "bob")]
            console.print(f"bench-app: 2 reviewers x {args.decisions} decisions on {args.studies} studies "
                          f"(sheet {sheet_size / 1e6:.1f} MB each) ...")
            wall = time.perf_counter()
            for r in reviewers:
                r.start()
            for r in reviewers:
                r.join(timeout=1800)
            wall = time.perf_counter() - wall
        finally:
            server.terminate()
            server.wait(timeout=30)
        errors = [r.error for r in reviewers if r.error]
        if errors:
            raise SystemExit("bench-app failed: " + "; ".join(errors))
        # Every decision sent is in the sheets, exactly; nothing else is decided.
        for r in reviewers:
            table = sheets.read_table(layout.sheet("title_abstract", r.who))
            found = {row["record_id"]: row["decision"] for row in table.rows if row["decision"]}
            if found != r.sent or len(found) != args.decisions:
                raise SystemExit(f"bench-app: {r.who}'s sheet holds {len(found)} decisions, "
                                 f"{sum(found.get(k) == v for k, v in r.sent.items())} of the {len(r.sent)} sent")
        peer = naive_write_ms(layout.sheet("title_abstract", "alice"), args.peer_repeat)
    lat = [x for r in reviewers for x in r.latencies]
    p50, p95, worst = percentile(lat, 50), percentile(lat, 95), max(lat)
    peer50, peer95 = statistics.median(peer), percentile(peer, 95)
    verdict = "met" if p95 < TARGET_P95_MS else "NOT met"
    table = "\n".join([
        "| measure | ours (app decision over HTTP) | peer: whole-sheet rewrite as the screen stage does (no HTTP) | ratio |",
        "|---|---|---|---|",
        f"| p50 latency | {p50:.1f} ms | {peer50:.1f} ms | {peer50 / p50:.1f}× |",
        f"| p95 latency | {p95:.1f} ms | {peer95:.1f} ms | {peer95 / p95:.1f}× |",
        f"| max latency | {worst:.1f} ms | {max(peer):.1f} ms | |",
        f"| decisions | {len(lat):,} (2 reviewers at once) | {len(peer)} | |",
        f"| throughput | {len(lat) / wall:.0f} decisions/s | {1000 / peer50:.0f} writes/s | |",
    ])
    context = (f"Run of {started:%Y-%m-%d %H:%M} UTC (commit {git_head('pipeline')}, {platform.machine()}, "
               f"{os.cpu_count()} cores, load average {load_start:.1f} / {os.getloadavg()[0]:.1f} at start / end); "
               f"{args.studies:,} studies, sheets of {sheet_size / 1e6:.1f} MB; command: "
               f"`{shlex.join(['python', '-m', 'benchmarks.app', *(argv if argv is not None else sys.argv[1:])])}`")
    text = f"{context}\n\n{table}\n\nTarget p95 < {TARGET_P95_MS:.0f} ms: {verdict}. Every one of the {len(lat):,} decisions was found in the sheets afterwards.\n"
    console.print(text, markup=False, soft_wrap=True)
    files.write_text_atomic(OUT / "app.md", text)
    summary("bench-app", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(lat):,} decisions (target p95 < 50 ms: {verdict}); "
                         f"wrote {OUT.relative_to(REPO)}/app.md")
    return 0 if p95 < TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
