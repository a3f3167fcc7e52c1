"""`prisma.csv`: the diagram's numbers in the PRISMA2020 R package / Shiny app template.

Rows and columns follow the package's `inst/extdata/PRISMA.csv` (data, node, box, description,
boxtext, tooltips, url, n) so the file can be loaded into the app or `PRISMA_data()` to redraw the
diagram there. Differences from our own diagram, because the template has no box for them:

* the template's duplicates / automation / screened / excluded boxes belong to the databases-and-
  registers column; for the other-methods column our title/abstract screening and removals are
  folded into `other_sought_reports` (reports sought = records screened and kept) and explained in
  its tooltip;
* a pending number (mid-review) is written as an empty `n` (the package shows NA), and the tooltip
  says what it waits for; a final zero is written as 0;
* reason and database lists use the package's "Name, n; Name, n" form, so commas and semicolons
  inside names are replaced (", " by " / ", ";" by " /") to keep them parseable;
* the lists name databases, as the diagram does: a database searched by several sources (date
  slices, a search rerun) is one entry with their sum, and the tooltip gives each source's number.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.contracts import SourceState
from pipeline.files import write_bytes_atomic
from pipeline.report.counts import ColumnCounts, Count, PrismaCounts
from pipeline.textio import csv_bytes, plural

HEADER = ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]

# The template's rows: data, node, box, description, boxtext, tooltip, url (n is filled in).
_DBR_TIP = "(databases and registers)"
TEMPLATE: list[tuple[str, str, str, str, str, str, str]] = [
    ("NA", "node4", "prevstud", "Grey title box; Previous studies", "Previous studies",
     "Grey title box; Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review",
     "Studies included in previous version of review", "Studies included in previous version of review",
     "previous_studies.html"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review",
     "Reports of studies included in previous version of review", "NA", "previous_reports.html"),
    ("NA", "node6", "newstud", "Yellow title box; Identification of new studies via databases and registers",
     "Identification of new studies via databases and registers",
     "Yellow title box; Identification of new studies via databases and registers", "newstud.html"),
    ("database_results", "node7", "box2", "Records identified from: Databases", "Databases",
     "Records identified from: Databases and Registers", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Records identified from: specific databases",
     "Specific Databases", "NA", "database_results.html"),
    ("register_results", "NA", "box2", "Records identified from: Registers", "Registers", "NA", "NA"),
    ("register_specific_results", "NA", "box2", "Records identified from: specific registers",
     "Specific Registers", "NA", "database_results.html"),
    ("NA", "node16", "othstud", "Grey title box; Identification of new studies via other methods",
     "Identification of new studies via other methods",
     "Grey title box; Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Records identified from: Websites", "Websites",
     "Records identified from: Websites, Organisations and Citation Searching", "website_results.html"),
    ("organisation_results", "", "box11", "Records identified from: Organisations", "Organisations", "NA", "NA"),
    ("citations_results", "NA", "box11", "Records identified from: Citation searching", "Citation searching",
     "NA", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "Duplicate records", "Duplicate records",
     "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools",
     "Records marked as ineligible by automation tools", "NA", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "Records removed for other reasons",
     "NA", "NA"),
    ("records_screened", "node9", "box4", f"Records screened {_DBR_TIP}", "Records screened",
     f"Records screened {_DBR_TIP}", "records_screened.html"),
    ("records_excluded", "node10", "box5", f"Records excluded {_DBR_TIP}", "Records excluded",
     f"Records excluded {_DBR_TIP}", "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", f"Reports sought for retrieval {_DBR_TIP}",
     "Reports sought for retrieval", f"Reports sought for retrieval {_DBR_TIP}", "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", f"Reports not retrieved {_DBR_TIP}", "Reports not retrieved",
     f"Reports not retrieved {_DBR_TIP}", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval (other)",
     "Reports sought for retrieval", "Reports sought for retrieval (other)", "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved (other)", "Reports not retrieved",
     "Reports not retrieved (other)", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", f"Reports assessed for eligibility {_DBR_TIP}",
     "Reports assessed for eligibility", f"Reports assessed for eligibility {_DBR_TIP}", "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9", "Reports excluded (databases and registers): [separate reasons and "
     "numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]", "Reports excluded",
     f"Reports excluded {_DBR_TIP}", "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility (other)",
     "Reports assessed for eligibility", "Reports assessed for eligibility (other)", "other_assessed.html"),
    ("other_excluded", "node21", "box15", "Reports excluded (other): [separate reasons and numbers using ; "
     "e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]", "Reports excluded", "Reports excluded (other)",
     "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review", "New studies included in review",
     "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "Reports of new included studies", "NA", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review", "Total studies included in review",
     "Total studies included in review", "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies", "Reports of total included studies",
     "NA", "NA"),
    ("identification", "node1", "identification", "Blue identification box", "Identification",
     "Blue identification box", "identification.html"),
    ("screening", "node2", "screening", "Blue screening box", "Screening", "Blue screening box", "screening.html"),
    ("included", "node3", "included", "Blue included box", "Included", "Blue included box", "included.html"),
]


def _name(text: str) -> str:
    """A source or reason name safe inside the template's "Name, n; Name, n" lists."""
    return text.replace(", ", " / ").replace(",", " /").replace(";", " /").strip()


def _listing(pairs: list[tuple[str, int]]) -> str:
    return "; ".join(f"{_name(name)}, {n}" for name, n in pairs)


def _cell(count: Count | int) -> tuple[str, str | None]:
    """(n, tooltip note): a pending count is written empty with the reason in the tooltip."""
    if isinstance(count, int):
        return str(count), None
    return ("", count.text()) if count.pending else (str(count.n), None)


def values(counts: PrismaCounts) -> dict[str, tuple[str, str | None]]:
    """`n` (and a tooltip note) for every template row whose `data` we know."""
    dbr, other = counts.dbr, counts.other
    groups = {g.name: g for col in counts.columns for g in col.groups}

    def group_n(name: str) -> int:
        return groups[name].n if name in groups else 0

    def specific(name: str) -> tuple[str, str | None]:
        databases = groups[name].databases if name in groups else ()
        searched = [(d.label, d.n) for d in databases if d.n is not None]
        waiting = [d.label if d.n is None else f"{d.label} ({', '.join(d.waiting)})" for d in databases if d.waiting]
        notes = [f"{SourceState.NOT_SEARCHED}: {'; '.join(waiting)}"] if waiting else []
        by_source = [f"{d.label}: " + " + ".join(f"{s.name} {s.n}" for s in d.searched)
                     for d in databases if len(d.searched) > 1]
        notes += [f"by source: {'; '.join(by_source)}"] if by_source else []
        return _listing(searched) if searched else "0", "; ".join(notes) or None

    def reasons(col: ColumnCounts | None) -> tuple[str, str | None]:
        if col is None:
            return "0", None
        n, note = _cell(col.reports_excluded)
        return (_listing(list(col.reasons)) if col.reasons else n), note

    out: dict[str, tuple[str, str | None]] = {
        "previous_studies": ("0", None), "previous_reports": ("0", None),
        "database_results": (str(group_n("Databases")), None), "database_specific_results": specific("Databases"),
        "register_results": (str(group_n("Registers")), None), "register_specific_results": specific("Registers"),
        "website_results": (str(group_n("Websites")), None),
        "organisation_results": (str(group_n("Organisations")), None),
        "citations_results": (str(group_n("Citation searching")), None),
        "duplicates": _cell(dbr.duplicates), "excluded_automatic": _cell(dbr.automation),
        "excluded_other": _cell(dbr.removed_other), "records_screened": _cell(dbr.screened),
        "records_excluded": _cell(dbr.records_excluded), "dbr_sought_reports": _cell(dbr.sought),
        "dbr_notretrieved_reports": _cell(dbr.not_retrieved), "dbr_assessed": _cell(dbr.assessed),
        "dbr_excluded": reasons(dbr), "other_excluded": reasons(other),
        "new_studies": _cell(counts.studies_included), "new_reports": _cell(counts.reports_included),
        "total_studies": _cell(counts.studies_included), "total_reports": _cell(counts.reports_included),
        "identification": ("0", None), "screening": ("0", None), "included": ("0", None),
    }
    for key, attr in (("other_sought_reports", "sought"), ("other_notretrieved_reports", "not_retrieved"),
                      ("other_assessed", "assessed")):
        out[key] = _cell(getattr(other, attr)) if other else ("0", None)
    if other is not None:
        n, note = out["other_sought_reports"]
        excluded = other.records_excluded
        folded = (f"after {plural(other.removed, 'record')} {'was' if other.removed == 1 else 'were'} removed before "
                  f"screening and {other.screened} {'was' if other.screened == 1 else 'were'} "
                  f"screened by title and abstract ({excluded.n} excluded"
                  + (f", {excluded.text()}" if excluded.pending else "") + ")")
        out["other_sought_reports"] = (n, f"{note}; {folded}" if note else folded)
    return out


def rows(counts: PrismaCounts) -> list[list[str]]:
    """The template rows with our numbers in `n` and pending notes appended to the tooltips."""
    filled = values(counts)
    out = []
    for data, node, box, description, boxtext, tooltip, url in TEMPLATE:
        n, note = filled.get(data, ("0", None))
        if note:
            tooltip = note if tooltip == "NA" else f"{tooltip}: {note}"
        out.append([data, node, box, description, boxtext, tooltip, url, n])
    return out


def write(path: Path, counts: PrismaCounts) -> bool:
    """Write `prisma.csv` atomically (no BOM: R's read.csv would mangle the first column name)."""
    return write_bytes_atomic(path, csv_bytes(HEADER, rows(counts), bom=False))
