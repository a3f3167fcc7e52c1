"""PubMed efetch XML parse throughput: pipeline.search.pubmed_xml.parse vs Bio.Entrez.read.

Both parsers read the same file in the same run; the table gives records per second for each and
the ratio (ours / Bio.Entrez). Documents: each real NCBI response in ../shared/fixtures/entrez/
(skipped when ../shared is absent) and a larger synthetic one made by repeating those articles
(or this repo's own test fixtures) under new PMIDs, so timings are not dominated by start-up.
Bio.Entrez validates against the DTD a document names and downloads any DTD it does not bundle,
which fails offline: documents it cannot read are reported as such, never silently dropped.

Peak memory is the peak resident set size of a fresh process that imports both libraries and
parses the synthetic document with one parser (baseline: the same process parsing nothing).

    python -m benchmarks.parse [--articles 10000] [--min-time 0.5]
"""

from __future__ import annotations

import argparse
import copy
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
SHARED_PUBMED = REPO.parent / "shared" / "fixtures" / "entrez"
OWN_FIXTURES = REPO / "tests" / "fixtures" / "pubmed_xml"
DOCTYPE = (
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
FIRST_PMID = 90_000_000


def ours(path: Path) -> list[str]:
    """PMIDs from our parser (the whole records frame is built)."""
    from pipeline.search.pubmed_xml import parse

    return parse(path, source_file=path.name)["pmid"].to_list()


def biopython(path: Path) -> list[str]:
    """PMIDs from Bio.Entrez.read (the whole nested record structure is built)."""
    from Bio import Entrez

    with open(path, "rb") as handle:
        result = Entrez.read(handle)
    pmids = [str(a["MedlineCitation"]["PMID"]) for a in result["PubmedArticle"]]
    return pmids + [str(b["BookDocument"]["PMID"]) for b in result["PubmedBookArticle"]]


def rate(parser: Callable[[Path], list[str]], path: Path, min_time: float) -> tuple[float, list[str]]:
    """Best records/second over repeated runs lasting at least `min_time` seconds (CPU time)."""
    best, spent, pmids = float("inf"), 0.0, []
    while spent < min_time or best == float("inf"):
        start = time.process_time()
        pmids = parser(path)
        elapsed = time.process_time() - start
        best, spent = min(best, elapsed), spent + elapsed
    return len(pmids) / best, pmids


def biopython_reads(path: Path) -> str | None:
    """None when Bio.Entrez.read can read `path` offline, else why not (one line)."""
    try:
        biopython(path)
    except Exception as exc:  # whatever Bio.Entrez raises (ValidationError, URLError, ...) is the finding
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:100]}"
    return None


def seed_documents() -> list[Path]:
    """Real responses from ../shared when present, else this repo's own fixtures Bio.Entrez can read."""
    if SHARED_PUBMED.is_dir():
        return sorted(SHARED_PUBMED.glob("pubmed*.xml"))
    return [p for p in sorted(OWN_FIXTURES.glob("*.xml")) if biopython_reads(p) is None]


def synthetic(seeds: list[Path], articles: int, target: Path) -> Path:
    """Write `articles` articles, cycling through those in `seeds` with fresh PMIDs, to `target`."""
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    pool = [a for s in seeds for a in etree.parse(str(s), parser).getroot() if a.tag == "PubmedArticle"]
    with open(target, "wb") as out:
        out.write(b'<?xml version="1.0" ?>\n' + DOCTYPE + b"\n<PubmedArticleSet>\n")
        for i in range(articles):
            article = copy.deepcopy(pool[i % len(pool)])
            article.find("MedlineCitation/PMID").text = str(FIRST_PMID + i)
            for item in article.iterfind("PubmedData/ArticleIdList/ArticleId[@IdType='pubmed']"):
                item.text = str(FIRST_PMID + i)
            out.write(etree.tostring(article) + b"\n")
        out.write(b"</PubmedArticleSet>\n")
    return target


def peak_rss_mb(which: str, path: Path) -> float:
    """Peak RSS (MiB, Linux VmHWM) of a fresh process importing both parsers and running `which` on `path`.

    VmHWM rather than ru_maxrss: the latter keeps the forked parent's size across exec."""
    code = (
        "from pathlib import Path; import benchmarks.parse as b; "
        "import Bio.Entrez, pipeline.search.pubmed_xml; "
        f"which = {which!r}; path = Path({str(path)!r}); "
        "getattr(b, which)(path) if which != 'baseline' else None; "
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024  # VmHWM is in kB


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--articles", type=int, default=10_000, help="size of the synthetic document")
    args.add_argument("--min-time", type=float, default=0.5, help="CPU seconds to repeat each small timing for")
    args.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    opts = args.parse_args(argv)

    print("command:", shlex.join(["python", "-m", "benchmarks.parse", *(sys.argv[1:] if argv is None else argv)]))
    seeds = seed_documents()
    if not SHARED_PUBMED.is_dir():
        print(f"note: {SHARED_PUBMED} absent; the real NCBI responses are skipped, synthetic data from {OWN_FIXTURES}")
    if not seeds:
        print("no PubMed XML to benchmark on")
        return 1
    import Bio

    rows: list[tuple[str, int, float, float | None, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        big = synthetic(seeds, opts.articles, Path(tmp) / f"synthetic-{opts.articles}.xml")
        documents = (seeds if SHARED_PUBMED.is_dir() else []) + [big]
        for path in documents:
            ours_rate, our_pmids = rate(ours, path, opts.min_time)
            problem = biopython_reads(path)
            if problem:
                rows.append((path.name, len(our_pmids), ours_rate, None, f"Bio.Entrez cannot read it offline ({problem})"))
                continue
            bio_rate, bio_pmids = rate(biopython, path, opts.min_time)
            note = "" if bio_pmids == our_pmids else "PMIDs DIFFER between the parsers"
            rows.append((path.name, len(our_pmids), ours_rate, bio_rate, note))
        memory = None if opts.no_memory else {w: peak_rss_mb(w, big) for w in ("baseline", "ours", "biopython")}
        size_mb = big.stat().st_size / 2**20

    print(f"Bio.Entrez from biopython {Bio.__version__}; CPU time, best of repeated runs; python {sys.version.split()[0]}")
    print(f"{'file':<26} {'articles':>8} {'ours rec/s':>11} {'Bio.Entrez rec/s':>17} {'ratio':>7}  note")
    for name, count, our_rate, bio_rate, note in rows:
        bio = f"{bio_rate:17,.0f}" if bio_rate else f"{'-':>17}"
        ratio = f"{our_rate / bio_rate:6.1f}x" if bio_rate else f"{'-':>7}"
        print(f"{name:<26} {count:>8,} {our_rate:11,.0f} {bio} {ratio}  {note}")
    total_ours = [r for r in rows if r[3]]
    if memory:
        base = memory["baseline"]
        print(
            f"peak RSS on the synthetic document ({size_mb:.0f} MiB XML): baseline {base:.0f} MiB; "
            f"ours +{memory['ours'] - base:.0f} MiB; Bio.Entrez +{memory['biopython'] - base:.0f} MiB"
        )
    return 0 if total_ours and all(not r[4] or "cannot read" in r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
