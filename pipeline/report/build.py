"""Assemble the report: read the stage files, compute and check the counts, write every output.

Outputs (all in `outputs/report/`, written atomically, unchanged bytes never rewritten):
`index.html` (self-contained), `prisma.svg`, `prisma.csv`, `included.ris`, `included.csv`.
The only time in them is the generation timestamp in the HTML footer, taken from
SOURCE_DATE_EPOCH when set, else from the newest input file, so a rerun on the same inputs
writes the same bytes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from markupsafe import Markup

from pipeline import __version__
from pipeline.files import write_text_atomic
from pipeline.layout import Layout
from pipeline.protocol import Protocol
from pipeline.report import charts, exports, flow_svg, inputs, prisma_csv
from pipeline.report.counts import Count, PrismaCounts, compute
from pipeline.report.render import render

KIND_LABELS = {"database": "database", "register": "register", "other": "other method"}


@dataclass(frozen=True)
class Report:
    """What `build` wrote and the counts it drew, for the summary line and the browser check."""

    counts: PrismaCounts
    index: Path
    written: tuple[Path, ...]
    changed: tuple[Path, ...]
    included: int


def generated_at(paths: list[Path]) -> datetime:
    """SOURCE_DATE_EPOCH if set, else the newest mtime among `paths`, else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    times = [p.stat().st_mtime for p in paths if p.exists()]
    return datetime.fromtimestamp(max(times), tz=UTC) if times else datetime.now(UTC)


def _limits(source: dict) -> str:
    low, high = source.get("mindate"), source.get("maxdate")
    if not low and not high:
        return "none"
    field = {"pdat": "publication date", "edat": "Entrez date", "mdat": "modification date"}.get(
        source.get("datetype") or "pdat", source.get("datetype") or "")
    return f"{field} {low or 'any'} to {high or 'present'}"


def source_view(source: dict, protocol: Protocol) -> dict:
    """One source card: sources.json, with the protocol's notes and the limits in words."""
    view = {k: source.get(k) for k in (
        "name", "type", "kind", "database", "status", "records", "platform", "snapshot", "query",
        "query_translation", "date", "count_reported", "retrieved", "file", "format", "sha256", "encoding",
        "searched", "rows_read")}
    view["warnings"] = list(source.get("warnings") or [])
    view["kind_label"] = KIND_LABELS.get(source.get("kind") or "database", source.get("kind"))
    view["limits"] = _limits(source)
    try:
        view["notes"] = protocol.source(source["name"]).notes
    except KeyError:
        view["notes"] = ""
    if not view.get("query") and source.get("type") == "pubmed":
        with contextlib.suppress(KeyError):
            view["query"] = getattr(protocol.source(source["name"]), "query", "")
    return view


def _authors(names: list[str] | None) -> str:
    names = names or []
    return ", ".join(names[:6]) + (", et al." if len(names) > 6 else "") if names else "Anonymous"


def study_view(row: dict) -> dict:
    flags = [label for label, key in (("Retracted", "retracted"), ("Erratum", "has_erratum"),
                                      ("Expression of concern", "has_expression_of_concern")) if row.get(key)]
    return {
        "study_id": row["study_id"], "authors": _authors(row.get("authors")), "year": row.get("year"),
        "title": row.get("title") or "(no title)", "journal": row.get("journal") or row.get("journal_abbrev"),
        "volume": row.get("volume"), "issue": row.get("issue"), "pages": row.get("pages"),
        "links": list(exports.links(row).items()), "flags": flags, "example": bool(row.get("example")),
        "n_members": row.get("n_members") or 1, "sources": ", ".join(row.get("sources") or []),
    }


def _kappa(pair: dict) -> str:
    kappa = pair.get("kappa")
    if kappa is None:
        return "–"
    low, high = pair.get("ci_low"), pair.get("ci_high")
    return f"{kappa:.2f} ({low:.2f} to {high:.2f})" if low is not None and high is not None else f"{kappa:.2f}"


def stage_views(summary: dict, protocol: Protocol) -> list[dict]:
    """Per screening stage: progress per reviewer, agreement, conflicts and exclusion reasons."""
    out = []
    for key, label in (("title_abstract", "Title and abstract"), ("full_text", "Full text")):
        stage = summary.get("stages", {}).get(key)
        if stage is None:
            continue
        reviewers = []
        for name, r in sorted((stage.get("reviewers") or {}).items()):
            assigned = int(r.get("assigned") or 0)
            screened = int(r.get("screened") or 0)
            reviewers.append({"name": name, "assigned": assigned, "screened": screened,
                              "remaining": int(r.get("remaining") or 0),
                              "example": bool(r.get("example")) or name in protocol.example_reviewers,
                              "percent": round(100 * screened / assigned) if assigned else 0})
        agreement = stage.get("agreement") or {}
        pairs = [{"a": p.get("a"), "b": p.get("b"), "n": p.get("n"),
                  "percent": "–" if p.get("percent") is None else f"{p['percent']:.1f}%", "kappa": _kappa(p)}
                 for p in agreement.get("pairs") or []]
        fleiss = agreement.get("fleiss")
        if fleiss:
            fleiss = {"raters": fleiss.get("raters"), "n": fleiss.get("n"), "kappa": _kappa(fleiss)}
        reasons = stage.get("excluded_by_reason") or {}
        order = {r: i for i, r in enumerate(protocol.exclusion_reasons)}
        conflicts = stage.get("conflicts") or {}
        out.append({
            "label": label, "studies": stage.get("studies"), "included": stage.get("included"),
            "excluded": stage.get("excluded"), "pending": stage.get("pending"),
            "not_retrieved": stage.get("not_retrieved") if key == "full_text" else None,
            "complete": bool(stage.get("complete")), "conflicts_open": conflicts.get("open", 0),
            "conflicts_resolved": conflicts.get("resolved", 0), "reviewers": reviewers, "pairs": pairs,
            "fleiss": fleiss,
            "reasons": sorted(((r or "Reason not recorded", n) for r, n in reasons.items() if n),
                              key=lambda item: (order.get(item[0], len(order)), item[0])),
        })
    return out


GLANCE = [("Records identified", "identified"), ("Duplicate records removed", "duplicates"),
          ("Marked ineligible by automation tools", "automation"), ("Removed for other reasons", "removed_other"),
          ("Records screened", "screened"), ("Records excluded", "records_excluded"),
          ("Reports sought for retrieval", "sought"), ("Reports not retrieved", "not_retrieved"),
          ("Reports assessed for eligibility", "assessed"), ("Reports excluded", "reports_excluded")]


def glance(counts: PrismaCounts) -> list[tuple[str, list[str]]]:
    """The diagram's numbers as table rows (label, one cell per column), ending with studies included."""
    def cell(value: Count | int) -> str:
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value.n:,} so far (pending)" if value.pending else f"{value.n:,}"

    rows = [(label, [cell(getattr(col, attr)) for col in counts.columns]) for label, attr in GLANCE]
    return rows + [("Studies included in review", [cell(counts.studies_included)])]


def build(layout: Layout, protocol: Protocol) -> Report:
    """Write every report file from the stage files; raise PipelineError when the counts do not add up."""
    files = inputs.load(layout)
    counts = compute(files.sources, files.records, files.clusters, files.final, files.dedup_summary,
                     files.screening_summary)
    chosen = exports.included(files.studies, files.final)
    stamp = generated_at([*files.paths, protocol.path])
    dedup = files.dedup_summary
    removed = dedup.get("duplicates_removed", {})
    person = dedup.get("person_decisions", {})
    automation = files.screening_summary.get("automation", {})
    html = render(
        "report.html.j2", version=__version__, protocol=protocol, counts=counts,
        flow_svg=Markup(flow_svg.render(counts)), glance=glance(counts),
        sources=[source_view(s, protocol) for s in files.sources],
        dedup={"records_in": dedup.get("records_in"), "studies": dedup.get("studies"),
               "removed": {k: removed.get(k, 0) for k in ("identifier", "fuzzy", "person")},
               "pairs_waiting": dedup.get("pairs_waiting", 0), "person_duplicate": person.get("duplicate", 0),
               "person_not_duplicate": person.get("not_duplicate", 0)},
        automation={"ineligible": automation.get("ineligible", 0), "overruled": automation.get("overruled", 0),
                    "by_rule": sorted((automation.get("by_rule") or {}).items())},
        stages=stage_views(files.screening_summary, protocol), example_reviewers=list(protocol.example_reviewers),
        included=[study_view(r) for r in chosen.iter_rows(named=True)],
        year_chart=Markup(charts.year_chart(files.records["year"], chosen["year"] if chosen.height
                                            else pl.Series("year", [], pl.Int32))),
        criteria=[(k.replace("_", " "), v) for k, v in protocol.criteria.items()],
        generated=stamp.strftime("%Y-%m-%d %H:%M UTC"), generated_iso=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=[layout.relative(p) for p in files.paths],
    )
    out = layout.report
    index, svg, csv = out / "index.html", out / "prisma.svg", out / "prisma.csv"
    results = {
        index: write_text_atomic(index, html),
        svg: write_text_atomic(svg, flow_svg.render(counts, standalone=True)),
        csv: prisma_csv.write(csv, counts),
        **exports.write(out, chosen),
    }
    return Report(counts, index, tuple(results), tuple(p for p, changed in results.items() if changed), chosen.height)

