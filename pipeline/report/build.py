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
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from markupsafe import Markup

from pipeline import __version__
from pipeline.contracts import ScreeningSummary, SourceEntry, SourceType
from pipeline.errors import UserError
from pipeline.files import write_text_atomic
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import Protocol
from pipeline.report import charts, exports, flow_svg, inputs, prisma_csv
from pipeline.report.counts import Count, PrismaCounts, compute

if TYPE_CHECKING:
    from pipeline.report.browser import CheckResult
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


@dataclass(frozen=True)
class ReportResult(Report):
    """What `run` wrote, and what the browser saw when asked to check the report."""

    browser: CheckResult | None = None

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        counts, waiting = self.counts, self.counts.studies_included
        state = "complete" if counts.complete else (
            f"in progress: {waiting.awaiting_ta} awaiting title/abstract and {waiting.awaiting_ft} awaiting "
            "full-text decisions")
        changed = f"{len(self.changed)} of {len(self.written)} files changed"
        text = (f"{self.included} studies included ({state}); wrote {layout.relative(self.index)} "
                f"+ prisma.svg, prisma.csv, included.ris, included.csv ({changed})")
        if self.browser is not None:
            text += (f"; browser check passed ({self.browser.numbers_checked} diagram numbers read back, no console "
                     f"errors, no outside requests; screenshot {layout.relative(self.browser.screenshot or '')})")
        return text


def run(layout: Layout, protocol: Protocol, *, check: bool = False, progress: Progress | None = None) -> ReportResult:
    """The report stage: write outputs/report/; with `check`, also open it in headless Chromium.

    A failed browser check raises UserError listing what the browser saw.
    """
    report(progress, "report: writing", 0, 2 if check else 1)
    built = build(layout, protocol)
    if not check:
        report(progress, "report: writing", 1, 1)
        return ReportResult(**{f.name: getattr(built, f.name) for f in fields(built)})
    from pipeline.report.browser import check as browser_check

    report(progress, "report: checking in headless Chromium", 1, 2)
    seen = browser_check(built.index, built.counts.expected(), layout.screenshot)
    report(progress, "report: checking in headless Chromium", 2, 2)
    if not seen.ok:
        raise UserError("the browser check failed:\n  - " + "\n  - ".join(seen.problems))
    return ReportResult(**{f.name: getattr(built, f.name) for f in fields(built)}, browser=seen)


def generated_at(paths: list[Path]) -> datetime:
    """SOURCE_DATE_EPOCH if set, else the newest mtime among `paths`, else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    times = [p.stat().st_mtime for p in paths if p.exists()]
    return datetime.fromtimestamp(max(times), tz=UTC) if times else datetime.now(UTC)


def _limits(source: SourceEntry) -> str:
    low, high = source.mindate, source.maxdate
    if not low and not high:
        return "none"
    field = {"pdat": "publication date", "edat": "Entrez date", "mdat": "modification date"}.get(
        source.datetype or "pdat", source.datetype or "")
    return f"{field} {low or 'any'} to {high or 'present'}"


def source_view(source: SourceEntry, protocol: Protocol) -> dict:
    """One source card: its sources.json entry, with the protocol's notes and the limits in words."""
    view = {f.name: getattr(source, f.name) for f in fields(source)}
    view.update(type=str(source.type), status=str(source.status), warnings=list(source.warnings))
    view["kind_label"] = KIND_LABELS.get(source.kind or "database", source.kind)
    view["limits"] = _limits(source)
    try:
        view["notes"] = protocol.source(source.name).notes
    except KeyError:
        view["notes"] = ""
    if not view.get("query") and source.type == SourceType.PUBMED:
        with contextlib.suppress(KeyError):
            view["query"] = getattr(protocol.source(source.name), "query", "")
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


def stage_views(summary: ScreeningSummary, protocol: Protocol) -> list[dict]:
    """Per screening stage: progress per reviewer, agreement, conflicts and exclusion reasons."""
    out = []
    for key, label in (("title_abstract", "Title and abstract"), ("full_text", "Full text")):
        stage = summary.stages.get(key)
        if stage is None:
            continue
        reviewers = []
        for name, r in sorted(stage.reviewers.items()):
            reviewers.append({"name": name, "assigned": r.assigned, "screened": r.screened, "remaining": r.remaining,
                              "example": r.example or name in protocol.example_reviewers,
                              "percent": round(100 * r.screened / r.assigned) if r.assigned else 0})
        agreement = stage.agreement
        pairs = [{"a": p.get("a"), "b": p.get("b"), "n": p.get("n"),
                  "percent": "–" if p.get("percent") is None else f"{p['percent']:.1f}%", "kappa": _kappa(p)}
                 for p in agreement.get("pairs") or []]
        fleiss = agreement.get("fleiss")
        if fleiss:
            fleiss = {"raters": fleiss.get("raters"), "n": fleiss.get("n"), "kappa": _kappa(fleiss)}
        reasons = stage.excluded_by_reason or {}
        order = {r: i for i, r in enumerate(protocol.exclusion_reasons)}
        out.append({
            "label": label, "studies": stage.studies, "included": stage.included,
            "excluded": stage.excluded, "pending": stage.pending,
            "not_retrieved": stage.not_retrieved if key == "full_text" else None,
            "complete": stage.complete, "conflicts_open": stage.conflicts_open,
            "conflicts_resolved": stage.conflicts_resolved, "reviewers": reviewers, "pairs": pairs,
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
    removed, person = dedup.duplicates_removed, dedup.person_decisions
    automation = files.screening_summary.automation
    html = render(
        "report.html.j2", version=__version__, protocol=protocol, counts=counts,
        flow_svg=Markup(flow_svg.render(counts)), glance=glance(counts),
        sources=[source_view(s, protocol) for s in files.sources],
        dedup={"records_in": dedup.records_in, "studies": dedup.studies,
               "removed": {k: removed.get(k, 0) for k in ("identifier", "fuzzy", "person")},
               "pairs_waiting": dedup.pairs_waiting, "person_duplicate": person.get("duplicate", 0),
               "person_not_duplicate": person.get("not_duplicate", 0)},
        automation={"ineligible": automation.ineligible, "overruled": automation.overruled,
                    "by_rule": sorted(automation.by_rule.items())},
        stages=stage_views(files.screening_summary, protocol), example_reviewers=list(protocol.example_reviewers),
        included=[study_view(r) for r in chosen.iter_rows(named=True)],
        year_chart=Markup(charts.year_chart(files.records["year"], chosen["year"] if chosen.height
                                            else pl.Series("year", [], pl.Int32))),
        criteria=[(k.replace("_", " "), v) for k, v in protocol.criteria.items()],
        generated=stamp.strftime("%Y-%m-%d %H:%M UTC"), generated_iso=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=[layout.relative(p) for p in files.paths],
    )
    out = layout.report
    index, svg, csv = layout.report_index, layout.prisma_svg, layout.prisma_csv
    results = {
        index: write_text_atomic(index, html),
        svg: write_text_atomic(svg, flow_svg.render(counts, standalone=True)),
        csv: prisma_csv.write(csv, counts),
        **exports.write(out, chosen),
    }
    return Report(counts, index, tuple(results), tuple(p for p, changed in results.items() if changed), chosen.height)

