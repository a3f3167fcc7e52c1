"""Build a large duplicate-detection benchmark (e.g. 100,000 records) from the real shared datasets.

The output has the benchmark layout (`records_pre_merged.csv` + `merged_record_ids.csv`), so every
tool and `benchmarks.dedup_metrics` read it like the real datasets. It is deterministic: the same
datasets, N and seed give the same bytes.

How it is built:
1. Every real record of the chosen datasets, with its real ground truth (the hard, real cases).
2. New works until N records: each takes journal, volume, issue, year and entry type from one real
   record, spliced title and abstract halves from two others and the authors of a fourth, plus fresh
   pages and DOI, so it is plausible but matches no real work. Each new work gets a duplicate group
   size drawn from the real datasets' distribution, and its extra copies carry the errors seen between
   real duplicates: typos, upper-case titles, journal abbreviations (learned from real duplicate
   groups, else ISO-like), re-formatted authors and pages, dropped DOI/abstract/issue/pages, DOI URL
   prefixes, a year one off; and, more rarely, the export quirks of real Ovid/Embase/EndNote files:
   volume, issue and pages inside the journal field, issues and pages a spreadsheet turned into
   dates, a database record number as issue, DOI fields with a PII and tags, glued author lists,
   bracketed (translated) titles or a language tag, a subtitle cut off.
3. Look-alike works that are not duplicates: series of one recurring item ("Editorial", "Issue
   Information", ...) by one editor in consecutive issues, and pairs of titles one number or letter
   apart ("... Part 1" / "... Part 2") on consecutive pages; each a work of its own.
Records are then shuffled and renumbered `id_0000001`..., so IDs say nothing about groups.

Usage: python -m benchmarks.generate N OUTDIR [--seed 1] [--source ../shared/benchmarks/dedup]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.console import summary
from pipeline.files import write_text_atomic

COLUMNS = ("ID", "ENTRYTYPE", "author", "year", "title", "journal", "volume", "number", "pages",
           "abstract", "doi", "isbn", "url")
DEFAULT_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "dedup"
# special_cases is a dozen hand-made edge cases, not a sample of real exports.
DEFAULT_DATASETS = ("cardiac", "cytology_screening", "diabetes", "neuroimaging", "stroke")
STOPWORDS = {"of", "the", "and", "&", "for", "in", "on", "de", "la", "und", "der"}

Record = dict[str, str]


@dataclass
class Pool:
    """The real records grouped into works, and what real duplicates teach about variation."""

    works: list[list[Record]]
    journal_variants: dict[str, list[str]]
    group_sizes: list[int]


def load_pool(source: Path, datasets: Sequence[str]) -> Pool:
    """Read the real datasets: each work is the list of its records (a true group, or one record)."""
    works: list[list[Record]] = []
    for name in datasets:
        folder = Path(source) / name
        frame = pl.read_csv(folder / "records_pre_merged.csv", infer_schema=False, encoding="utf8-lossy")
        frame = frame.with_columns([pl.lit(None, pl.Utf8).alias(c) for c in COLUMNS if c not in frame.columns])
        rows = {r["ID"]: {c: (r[c] or "") for c in COLUMNS} for r in frame.select(COLUMNS).iter_rows(named=True)}
        truth = pl.read_csv(folder / "merged_record_ids.csv", infer_schema=False)["merged_ids"].to_list()
        grouped: set[str] = set()
        for cell in truth:
            ids = [i for i in (cell or "").split(";") if i]
            grouped.update(ids)
            works.append([rows[i] for i in ids])
        works.extend([record] for record_id, record in rows.items() if record_id not in grouped)
    variants: dict[str, set[str]] = defaultdict(set)
    for work in works:
        names = {r["journal"] for r in work if r["journal"]}
        for journal in names:
            variants[journal].update(names - {journal})
    return Pool(works=works, journal_variants={k: sorted(v) for k, v in sorted(variants.items()) if v},
                group_sizes=[len(w) for w in works])


def generate(pool: Pool, n: int, seed: int) -> tuple[list[Record], list[list[str]]]:
    """N records (real ones first, then new works with perturbed copies) and their true duplicate groups."""
    rng = random.Random(seed)
    works: list[list[Record]] = []
    total = 0
    real = list(pool.works)
    rng.shuffle(real)
    for work in real:
        if total + len(work) > n:
            break
        works.append([dict(r) for r in work])
        total += len(work)
    titles = {_key(r["title"]) for w in pool.works for r in w}
    flat = [r for w in pool.works for r in w]
    serial = 0
    while total < n:
        serial += 1
        if rng.random() < LOOKALIKE_RATE:
            title = new_work(flat, rng, serial, titles)["title"]
            for work in lookalikes(rng.choice(flat), rng, serial, title)[: n - total]:
                works.append([work])
                total += 1
            continue
        base = new_work(flat, rng, serial, titles)
        size = min(rng.choice(pool.group_sizes), n - total)
        works.append([base] + [perturb(base, rng, pool.journal_variants) for _ in range(size - 1)])
        total += size
    return _number(works, rng)


LOOKALIKE_RATE = 0.01  # share of new works that start a series of look-alike (different) works
RECURRING = ("Editorial", "Editor's Comments", "Editorial Introduction", "Remarks from the Editor", "Issue Information",
             "Correction", "Preface", "In This Issue")
NUMBERED = (("Part 1", "Part 2"), ("Part I", "Part II"), ("Study 1", "Study 2"), ("Case A", "Case B"), ("1", "2"))


def lookalikes(template: Record, rng: random.Random, serial: int, title: str) -> list[Record]:
    """Different works that look alike: one recurring item in 2-5 issues (or years) of the template's
    journal, or a pair of new works titled `title` plus "Part 1" / "Part 2" (and the like)."""
    base = {c: "" for c in COLUMNS}
    base.update(ENTRYTYPE="article", journal=template["journal"], volume=template["volume"], year=template["year"],
                author=template["author"].split(" and ")[0])
    prefix = re.search(r"10\.\d{4,9}", template["doi"])
    out = []
    if rng.random() < 0.6:
        title, by_year = rng.choice(RECURRING), rng.random() < 0.3
        for k in range(rng.randint(2, 5)):
            r = dict(base, title=title, number=str(k + 1), pages=f"{1 + 10 * k}-{2 + 10 * k}" if rng.random() < 0.5 else "")
            if by_year and r["year"].isdigit():
                r.update(year=str(int(r["year"]) + k), volume="", number="")
            if prefix and rng.random() < 0.7:
                r["doi"] = f"{prefix.group(0)}/recurring.{serial:06d}.{k}"
            out.append(r)
        return out
    first, second = rng.choice(NUMBERED)
    title = title.rstrip(".")
    start = rng.randint(1, 2000)
    for k, tag in enumerate((first, second)):
        r = dict(base, author=template["author"], title=f"{title}: {tag}" if tag[0].isalpha() else f"{title} {tag}",
                 number=template["number"], pages=f"{start + 10 * k}-{start + 10 * k + 9}", abstract="")
        if prefix:
            r["doi"] = f"{prefix.group(0)}/numbered.{serial:06d}.{k}"
        out.append(r)
    return out


def _number(works: list[list[Record]], rng: random.Random) -> tuple[list[Record], list[list[str]]]:
    """Shuffle all records, give them fresh IDs, and list the groups of two or more by those IDs."""
    tagged = [(w, r) for w, work in enumerate(works) for r in work]
    rng.shuffle(tagged)
    members: dict[int, list[str]] = defaultdict(list)
    records: list[Record] = []
    for i, (w, record) in enumerate(tagged, start=1):
        record = {**record, "ID": f"id_{i:07d}"}
        records.append(record)
        members[w].append(record["ID"])
    groups = sorted(ids for ids in members.values() if len(ids) > 1)
    return records, groups


def new_work(flat: list[Record], rng: random.Random, serial: int, titles: set[str]) -> Record:
    """A plausible new work assembled from four real records; its title matches no title seen so far."""
    template, people = rng.choice(flat), rng.choice(flat)
    for attempt in range(1000):
        first, second = rng.choice(flat), rng.choice(flat)
        title = _splice(first["title"].split(), second["title"].split(), rng)
        if attempt >= 100:  # a small pool runs out of two-part titles: add a third part
            middle = rng.choice(flat)["title"].split()
            title = title + " " + " ".join(rng.sample(middle, min(3, len(middle))))
        if len(title.split()) >= 4 and _key(title) not in titles:
            break
    else:
        title = f"{title} (report {serial})"
    titles.add(_key(title))
    abstract = _splice(_sentences(first["abstract"]), _sentences(second["abstract"]), rng)
    record = {c: "" for c in COLUMNS}
    record.update(ENTRYTYPE=template["ENTRYTYPE"] or "article", author=people["author"], year=template["year"],
                  title=title, journal=template["journal"], volume=template["volume"],
                  number=template["number"], abstract=abstract, pages=_fresh_pages(template["pages"], rng))
    prefix = re.search(r"10\.\d{4,9}", template["doi"])
    if prefix:
        record["doi"] = f"{prefix.group(0)}/bench.{template['year'] or 'x'}.{serial:06d}"
    return record


def _splice(left: list[str], right: list[str], rng: random.Random) -> str:
    """The start of one word (or sentence) list joined to the end of another, cut near their middles."""
    cut_left = max(1, (len(left) + 1) // 2 + rng.randint(-1, 1))
    cut_right = min(len(right), max(0, len(right) // 2 + rng.randint(-1, 1)))
    return " ".join(left[:cut_left] + right[cut_right:]).strip()


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s] if text else []


def _key(title: str) -> str:
    return re.sub(r"[^a-z0-9]", "", title.lower())


def _fresh_pages(pages: str, rng: random.Random) -> str:
    """A new page range as long as the template's, so journal+volume+pages point at another article."""
    match = re.fullmatch(r"(\d+)\s*-+\s*(\d+)", pages)
    length = 8
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        if len(match.group(2)) < len(match.group(1)):
            end = int(match.group(1)[: len(match.group(1)) - len(match.group(2))] + match.group(2))
        length = max(0, end - start)
    elif not pages:
        return ""
    start = rng.randint(1, 3000)
    return f"{start}-{start + length}"


# --- perturbations: the differences real duplicate records show --------------------------------

def perturb(base: Record, rng: random.Random, journal_variants: dict[str, list[str]]) -> Record:
    """A duplicate of `base` as another database would export it."""
    r = dict(base)
    if rng.random() < 0.25:
        r["title"] = typo(r["title"], rng)
    if rng.random() < 0.1:
        r["title"] = r["title"].upper()
    if rng.random() < 0.15:
        r["title"] = r["title"][:-1] if r["title"].endswith(".") else r["title"] + "."
    if rng.random() < 0.4:
        r["author"] = reformat_authors(r["author"], rng)
    if r["journal"] and rng.random() < 0.4:
        options = journal_variants.get(r["journal"]) or [abbreviate_journal(r["journal"])]
        r["journal"] = rng.choice(options)
    if rng.random() < 0.3:
        r["pages"] = reformat_pages(r["pages"], rng)
    if r["doi"] and rng.random() < 0.2:
        r["doi"] = rng.choice(["https://doi.org/", "http://dx.doi.org/", "doi:"]) + r["doi"]
    for field, p in (("doi", 0.3), ("abstract", 0.3), ("number", 0.2), ("pages", 0.1), ("volume", 0.05)):
        if rng.random() < p:
            r[field] = ""
    if r["year"].isdigit() and rng.random() < 0.03:
        r["year"] = str(int(r["year"]) + rng.choice([-1, 1]))
    return export_quirk(r, rng) if rng.random() < QUIRK_RATE else r


QUIRK_RATE = 0.15  # share of copies with one of the export quirks below
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def export_quirk(r: Record, rng: random.Random) -> Record:
    """One quirk of real exports (Ovid/Embase, EndNote, a spreadsheet on the way)."""
    r = dict(r)
    kind = rng.randrange(7)
    if kind == 0 and r["journal"] and r["volume"].isdigit():  # Ovid: "Brain Res Bull.82 (5-6) ()(pp 243-246)"
        r["journal"] = f"{r['journal']}.{r['volume']} ({r['number']}) ()(pp {r['pages']})"
        r.update(volume="", number="", pages="")
    elif kind == 1:  # a spreadsheet made dates of small ranges: "5-6" -> "05-Jun", "1-13" -> "Jan-13"
        r["number"] = _as_date(r["number"], day_first=True)
        r["pages"] = _as_date(r["pages"], day_first=False)
    elif kind == 2:  # the issue holds a database record number
        r["number"] = str(rng.randint(1000, 9999))
    elif kind == 3 and r["doi"]:
        bare = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", r["doi"])
        r["doi"] = f"S{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}({rng.randint(10, 99)})0{rng.randint(1000, 9999)}-1 [pii];{bare} [doi]"
    elif kind == 4:  # glued: "KoksalM.BilgeS.S."
        people = split_authors(r["author"])
        if people:
            r["author"] = "".join(f"{last}{'.'.join(initials)}." for last, initials in people)
    elif kind == 5:
        r["title"] = f"[{r['title'].rstrip('.')}]" if rng.random() < 0.5 else f"{r['title'].rstrip('.')}. LA: Chi"
    elif kind == 6 and ": " in r["title"]:
        r["title"] = r["title"].split(": ")[0]
    return r


def _as_date(text: str, day_first: bool) -> str:
    """What a spreadsheet shows for a small range: "5-6" -> "05-Jun" (day first) or "1-13" -> "Jan-13"."""
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
    if not m:
        return text
    a, b = int(m.group(1)), int(m.group(2))
    if day_first and 1 <= b <= 12 and 1 <= a <= 31:
        return f"{a:02d}-{_MONTH_NAMES[b - 1]}"
    if not day_first and 1 <= a <= 12:
        return f"{_MONTH_NAMES[a - 1]}-{b:02d}"
    return text


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip in a word of four letters or more: swap, drop or double a letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:
        w = w[:j] + w[j + 1:]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def split_authors(text: str) -> list[tuple[str, str]]:
    """(last name, initials) pairs from the formats in the datasets: 'Last, First and ...' or 'Last F. M.Last2 G.'."""
    if " and " in text or "," in text:
        parts = [p.strip() for p in re.split(r"\s+and\s+|;", text) if p.strip()]
        out = []
        for p in parts:
            last, _, first = p.partition(",")
            out.append((last.strip(), "".join(x[0] for x in re.split(r"[\s.\-]+", first) if x)))
        return out
    parts = [p.strip() for p in re.split(r"(?<=\.)(?=[^\s.,;\-])", text) if p.strip()]
    out = []
    for p in parts:
        m = re.fullmatch(r"(.+?)\s+((?:[A-Z]\.?\s*)+)", p)
        if not m:
            return []
        out.append((m.group(1), re.sub(r"[.\s]", "", m.group(2))))
    return out


def reformat_authors(text: str, rng: random.Random) -> str:
    """The same people in another database's style (PubMed 'Last FM, ...', BibTeX 'Last, F. M. and ...')."""
    people = split_authors(text)
    if not people:
        return text.upper() if rng.random() < 0.5 else text.replace(".", "")
    style = rng.randrange(3)
    if style == 0:
        return ", ".join(f"{last} {initials}".strip() for last, initials in people)
    if style == 1:
        return " and ".join(f"{last}, {' '.join(c + '.' for c in initials)}".strip(", ") for last, initials in people)
    return "; ".join(f"{last.upper()} {initials}".strip() for last, initials in people)


def abbreviate_journal(name: str) -> str:
    """An ISO 4-like abbreviation when no real variant is known: 'Journal of Head Trauma' -> 'J Head Trauma'."""
    words = [w for w in re.split(r"\s+", name) if w and w.lower() not in STOPWORDS]
    out = []
    for w in words:
        if w.lower().startswith("journal"):
            out.append("J")
        elif len(w) > 6:
            out.append(w[:5].rstrip("aeiou").capitalize() if w[0].isupper() else w[:5].rstrip("aeiou"))
        else:
            out.append(w)
    return " ".join(out) or name


def reformat_pages(pages: str, rng: random.Random) -> str:
    """'1148-1157' <-> '1148-57', or a BibTeX '--' range; other page strings unchanged."""
    m = re.fullmatch(r"(\d+)\s*-+\s*(\d+)", pages)
    if not m:
        return pages
    start, end = m.group(1), m.group(2)
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    choice = rng.randrange(3)
    if choice == 0:
        i = 0
        while i < len(start) - 1 and i < len(end) - 1 and start[i] == end[i]:
            i += 1
        return f"{start}-{end[i:]}"
    if choice == 1:
        return f"{start}--{end}"
    return f"{start}-{end}"


# --- files ----------------------------------------------------------------------------------------

def to_csv(records: list[Record], groups: list[list[str]]) -> tuple[str, str]:
    """The two benchmark files' text: records_pre_merged.csv and merged_record_ids.csv."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([r[c] for c in COLUMNS] for r in records)
    truth = io.StringIO()
    writer = csv.writer(truth, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(["merged_ids"])
    writer.writerows([";".join(g)] for g in groups)
    return buf.getvalue(), truth.getvalue()


def write_dataset(out: Path, n: int, seed: int, source: Path = DEFAULT_SOURCE,
                  datasets: Sequence[str] = DEFAULT_DATASETS) -> tuple[int, int]:
    """Generate and write the benchmark folder; returns (records, duplicate groups)."""
    records, groups = generate(load_pool(source, datasets), n, seed)
    records_text, truth_text = to_csv(records, groups)
    write_text_atomic(Path(out) / "records_pre_merged.csv", records_text)
    write_text_atomic(Path(out) / "merged_record_ids.csv", truth_text)
    return len(records), len(groups)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="number of records")
    parser.add_argument("out", type=Path, help="folder to write records_pre_merged.csv and merged_record_ids.csv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of the real datasets")
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS), help="comma-separated dataset names")
    args = parser.parse_args(argv)
    n_records, n_groups = write_dataset(args.out, args.n, args.seed, args.source, args.datasets.split(","))
    summary("generate", f"{n_records:,} records in {n_groups:,} duplicate groups -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
