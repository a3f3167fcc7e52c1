"""Turn the shipped MSC-in-MS citation sample into the export files the offline demo imports.

`queries/sample/msc_ms_sample.csv` holds one row per public web page where a citation was found;
`source_kind` says which kind of page. Each kind becomes one source of the protocol, written in a
real export format our importers read, so PRISMA's identification boxes mean something:

  pubmed    -> queries/imports/pubmed_pages.nbib       MEDLINE (PubMed's .nbib export)   database
  pmc       -> queries/imports/pmc_pages.ris            RIS                              database
  registry  -> queries/imports/trial_registers.csv      CSV shaped like ClinicalTrials.gov's export  register
  publisher -> queries/imports/publisher_pages.ris      RIS                              other methods
  other     -> queries/imports/other_web_pages.csv      generic CSV (mapping in review.toml)  other methods

Values are copied as the pages showed them (no enrichment): an empty cell stays empty. The sample's
row id (r001...) is kept as each record's export id (RIS `ID`, CSV `Sample ID`), except in the MEDLINE
file, whose records are keyed by PMID as PubMed's own export is. Run: `python tools/sample_to_imports.py`.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import rispy

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "queries" / "sample" / "msc_ms_sample.csv"
OUT = ROOT / "queries" / "imports"
NCT = re.compile(r"NCT\d{8}")


def _authors(cell: str) -> list[str]:
    return [a.strip() for a in cell.split(";") if a.strip()]


def _medline_author(full: str) -> tuple[str, str]:
    """'Richard K Burt' -> ('Burt, Richard K', 'Burt RK'), as PubMed's FAU and AU tags write it."""
    parts = full.split()
    last, given = parts[-1], parts[:-1]
    initials = "".join(p[0] for p in given if p[0].isalpha())
    return (f"{last}, {' '.join(given)}" if given else last, f"{last} {initials}".strip())


def _medline(rows: list[dict]) -> str:
    lines: list[str] = []
    for row in rows:
        tags: list[tuple[str, str]] = []
        if row["pmid"]:
            tags.append(("PMID", row["pmid"]))
        if row["volume"]:
            tags.append(("VI", row["volume"]))
        if row["issue"]:
            tags.append(("IP", row["issue"]))
        if row["year"]:
            tags.append(("DP", row["year"]))
        tags.append(("TI", row["title"]))
        if row["pages"]:
            tags.append(("PG", row["pages"]))
        if row["doi"]:
            tags.append(("LID", f"{row['doi']} [doi]"))
        for name in _authors(row["authors"]):
            fau, au = _medline_author(name)
            tags += [("FAU", fau), ("AU", au)]
        for pt in (p.strip() for p in row["publication_type"].split(";")):
            if pt:
                tags.append(("PT", pt))
        if row["journal"]:
            tags.append(("TA", row["journal"]))
        if row["pmcid"]:
            tags.append(("PMC", row["pmcid"]))
        if row["doi"]:
            tags.append(("AID", f"{row['doi']} [doi]"))
        lines += [f"{tag:<4}- {value}" for tag, value in tags] + [""]
    return "\n".join(lines)


class _PlainRisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each reference, as databases export RIS."""

    def set_header(self, count: int) -> str:
        return ""


def _ris(rows: list[dict], type_of_reference: str) -> str:
    entries = []
    for row in rows:
        entry = {"type_of_reference": type_of_reference, "id": row["id"]}
        for key, column in (("title", "title"), ("journal_name", "journal"), ("year", "year"), ("volume", "volume"),
                            ("number", "issue"), ("doi", "doi")):
            if row[column]:
                entry[key] = row[column]
        if row["source_url"]:
            entry["urls"] = [row["source_url"]]
        if row["authors"]:
            entry["authors"] = _authors(row["authors"])
        if row["pages"]:
            first, _, last = row["pages"].replace("–", "-").partition("-")
            entry["start_page"] = first
            if last:
                entry["end_page"] = last
        if row["pmid"]:
            entry["notes"] = [f"PMID: {row['pmid']}"]
        if row["pmcid"]:
            entry.setdefault("notes", []).append(f"PMCID: {row['pmcid']}")
        if row["publication_type"]:
            entry["keywords"] = [p.strip() for p in row["publication_type"].split(";") if p.strip()]
        entries.append(entry)
    return _PlainRisWriter().formats(entries)


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> int:
    with open(SAMPLE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        by_kind.setdefault(row["source_kind"], []).append(row)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pubmed_pages.nbib").write_text(_medline(by_kind["pubmed"]), encoding="utf-8")
    (OUT / "pmc_pages.ris").write_text(_ris(by_kind["pmc"], "JOUR"), encoding="utf-8")
    (OUT / "publisher_pages.ris").write_text(_ris(by_kind["publisher"], "JOUR"), encoding="utf-8")
    _csv(OUT / "trial_registers.csv", ["Sample ID", "NCT Number", "Study Title", "Study URL"],
         [[r["id"], (NCT.search(r["source_url"]) or [""])[0], r["title"], r["source_url"]] for r in by_kind["registry"]])
    fields = ["id", "title", "authors", "journal", "year", "volume", "issue", "pages", "doi", "pmid", "pmcid",
              "publication_type", "source_url"]
    _csv(OUT / "other_web_pages.csv", ["Sample ID", *fields[1:]], [[r[f] for f in fields] for r in by_kind["other"]])
    counts = ", ".join(f"{k}: {len(v)}" for k, v in sorted(by_kind.items()))
    print(f"sample: {len(rows)} rows ({counts}) -> {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
