"""Assemble the report: read the stage files, compute and check the counts, write every output.

Outputs (all in `outputs/report/`, written atomically, unchanged bytes never rewritten):
`index.html` (self-contained), `prisma.svg`, `prisma.csv`, `included.ris`, `included.csv` (one row per
included report, with its study's extraction), `extraction.csv` (tidy: one row per study).
The only time in them is the generation timestamp in the HTML footer, taken from
SOURCE_DATE_EPOCH when set, else from the newest input file, so a rerun on the same inputs
writes the same bytes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from markupsafe import Markup

from pipeline import __version__, hints
from pipeline.check.assess import LABELS, Assessment
from pipeline.check.stage import load_assessment
from pipeline.contracts import LIVE_SOURCE_TYPES, ScreeningSummary, SourceEntry, SourceState, SourceType
from pipeline.dedup.stage import included_duplicates
from pipeline.errors import UserError
from pipeline.files import transaction, write_text_atomic
from pipeline.layout import Layout
from pipeline.progress import Progress, report
from pipeline.protocol import LIVE_TYPES, ExtractionForm, Protocol
from pipeline.report import characteristics, charts, curve, evidence_map, exports, flow_svg, inputs, prisma_csv
from pipeline.report.counts import Count, PrismaCounts, compute

if TYPE_CHECKING:
    from pipeline.report.browser import CheckResult
from pipeline.report.render import render
from pipeline.textio import frame_to_csv_atomic

KIND_LABELS = {"database": "database", "register": "register", "other": "other method"}


@dataclass(frozen=True)
class Report:
    """What `build` wrote and the counts it drew, for the summary line and the browser check."""

    counts: PrismaCounts
    index: Path
    written: tuple[Path, ...]
    changed: tuple[Path, ...]
    included: int                      # studies included (reports of one study linked)
    reports: int = 0                   # reports of included studies
    map_counts: dict[str, int] = field(default_factory=dict)   # evidence-map bubbles, for the browser check
    blocking: tuple[str, ...] = ()     # why the review is not complete though screening is (retractions)


@dataclass(frozen=True)
class ReportResult(Report):
    """What `run` wrote, and what the browser saw when asked to check the report."""

    browser: CheckResult | None = None

    def describe(self, layout: Layout) -> str:
        """The stage's one-line summary."""
        counts, waiting = self.counts, self.counts.studies_included
        state = ("complete" if not self.blocking else "screening complete; the review is not: " + "; ".join(self.blocking)) \
            if counts.complete else (
            f"in progress: {waiting.awaiting_ta} awaiting title/abstract and {waiting.awaiting_ft} awaiting "
            "full-text decisions")
        changed = f"{len(self.changed)} of {len(self.written)} files changed"
        text = (f"{self.included} studies included from {self.reports} reports ({state}); wrote "
                f"{layout.relative(self.index)} + prisma.svg, prisma.csv, included.ris, included.csv, extraction.csv "
                f"({changed})")
        if self.browser is not None:
            text += (f"; browser check passed ({self.browser.numbers_checked} diagram numbers and "
                     f"{self.browser.map_numbers_checked} evidence-map bubbles read back, no console "
                     f"errors, no outside requests; screenshot {layout.relative(self.browser.screenshot or '')})")
        return text


def run(layout: Layout, protocol: Protocol, *, check: bool = False, progress: Progress | None = None) -> ReportResult:
    """The report stage: write outputs/report/; with `check`, also open it in headless Chromium.

    A failed browser check raises UserError listing what the browser saw.
    """
    report(progress, "report: writing", 0, 2 if check else 1)
    with transaction():                  # every file or none (committed before the browser reads them)
        built = build(layout, protocol)
    if not check:
        report(progress, "report: writing", 1, 1)
        return ReportResult(**{f.name: getattr(built, f.name) for f in fields(built)})
    from pipeline.report.browser import check as browser_check

    report(progress, "report: checking in headless Chromium", 1, 2)
    seen = browser_check(built.index, built.counts.expected(), layout.screenshot, built.map_counts)
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
    view["live"] = source.type in LIVE_SOURCE_TYPES
    view["service"] = LIVE_TYPES.get(str(source.type), "")
    if isinstance(source.query, dict):               # ClinicalTrials.gov: the parameters as sent
        view["query"] = "\n".join(f"{k} = {v}" for k, v in source.query.items())
    if not view.get("query") and source.type == SourceType.PUBMED:
        with contextlib.suppress(KeyError):
            view["query"] = getattr(protocol.source(source.name), "query", "")
    return view


def _date_searched(source: SourceEntry) -> str:
    if not source.searched_yet:
        return "not yet"
    if source.type in LIVE_SOURCE_TYPES:
        return (source.date or "")[:10] or "not stated"
    return source.searched or "not stated"


def search_log(counts: PrismaCounts, sources: list[SourceEntry]) -> list[dict]:
    """The search log: per line of the diagram's identification box (a database), its total, and each
    of its sources with the date searched and its records, so the diagram's sums can be traced."""
    entries = {s.name: s for s in sources}
    out = []
    for col in counts.columns:
        for group in col.groups:
            for db in group.databases:
                waiting = len(db.waiting)
                total = str(SourceState.NOT_SEARCHED) if db.n is None else f"{db.n:,}" + (
                    f" ({waiting} not searched yet)" if waiting else "")
                out.append({"label": db.label, "group": group.name, "records": total, "sources": [
                    {"name": s.name, "searched": _date_searched(entries[s.name]),
                     "records": str(SourceState.NOT_SEARCHED) if s.n is None else f"{s.n:,}"} for s in db.sources]})
    return out


def _authors(names: list[str] | None) -> str:
    names = names or []
    return ", ".join(names[:6]) + (", et al." if len(names) > 6 else "") if names else "Anonymous"


def registration_text(reg: dict) -> str:
    """One line of what the register says: 'NCT01234567: PHASE1, PHASE2; COMPLETED; 40 enrolled (actual); results posted'."""
    parts = [", ".join(reg.get("phases") or []) or reg.get("study_type") or "", reg.get("overall_status") or ""]
    if reg.get("enrolment") is not None:
        parts.append(f"{reg['enrolment']:,} enrolled" + (f" ({str(reg['enrolment_type']).lower()})" if reg.get("enrolment_type") else ""))
    dates = " to ".join(d for d in (reg.get("start_date"), reg.get("completion_date")) if d)
    if dates:
        parts.append(dates)
    parts.append("results posted" if reg.get("has_results") else "no results posted")
    return f"{reg.get('nct_id')}: " + "; ".join(p for p in parts if p)


def study_view(row: dict, retraction: Assessment | None = None, registrations: dict[str, dict] | None = None) -> dict:
    flags = [label for label, key in (("Retracted", "retracted"), ("Erratum", "has_erratum"),
                                      ("Expression of concern", "has_expression_of_concern")) if row.get(key)]
    flags += [f"Updated in PMID {pmid}" for pmid in row.get("updated_in") or []]
    for flag in (retraction.flags if retraction else ()):
        label = "Retracted" if flag.status == "retracted" else "Expression of concern"
        if flag.study_id == row["study_id"] and label not in flags:
            flags.append(label)
    return {
        "study_id": row["study_id"], "authors": _authors(row.get("authors")), "year": row.get("year"),
        "title": row.get("title") or "(no title)", "journal": row.get("journal") or row.get("journal_abbrev"),
        "volume": row.get("volume"), "issue": row.get("issue"), "pages": row.get("pages"),
        "links": list(exports.links(row).items()), "flags": flags, "example": bool(row.get("example")),
        "n_members": row.get("n_members") or 1, "sources": ", ".join(row.get("sources") or []),
        "registrations": [registration_text(registrations[m]) for m in row.get("member_ids") or []
                          if registrations and m in registrations],
    }


def retraction_view(found: Assessment | None) -> dict:
    """The report's retraction section: when checked, each flag and what people said, what blocks."""
    if found is None:
        return {"checked_at": None, "flags": [], "blocking": [], "no_doi": 0, "snapshot": None, "checked": 0}
    return {
        "checked_at": found.checked_at, "snapshot": found.snapshot, "checked": found.checked,
        "no_doi": len(found.no_doi), "blocking": found.blocking,
        "flags": [{"study_id": f.study_id, "title": f.title or "(no title)", "doi": f.doi, "status": LABELS[f.status],
                   "evidence": list(f.evidence), "included": f.included,
                   "decision": f.acknowledgment.decision if f.acknowledgment else None,
                   "reason": f.acknowledgment.reason if f.acknowledgment else None, "problem": f.problem}
                  for f in found.flags],
    }


def _kappa(pair: dict) -> str:
    kappa = pair.get("kappa")
    if kappa is None:
        return "–"
    low, high = pair.get("ci_low"), pair.get("ci_high")
    return f"{kappa:.2f} ({low:.2f} to {high:.2f})" if low is not None and high is not None else f"{kappa:.2f}"


def stage_views(summary: ScreeningSummary, protocol: Protocol, stamps: dict[str, dict | None] | None = None) -> list[dict]:
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
        stamp = (stamps or {}).get(key)
        prio = stage.prioritisation or {}
        out.append({
            "curve": Markup(curve.svg(stamp, label)) if stamp else "",
            "curve_caption": curve.caption(stamp) if stamp else "",
            "stopped": prio.get("excluded_by_stopping_rule", 0), "rule": prio.get("rule", ""),
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
    groups = inputs.read_groups(layout.linked_reports)
    counts = compute(files.sources, files.records, files.clusters, files.final, files.dedup_summary,
                     files.screening_summary, groups, files.links)
    retraction = load_assessment(layout, protocol, files.studies, files.final)
    registrations = ({r["record_id"]: r for r in pl.read_parquet(layout.registrations).iter_rows(named=True)}
                     if layout.registrations.is_file() else {})
    chosen = exports.included(files.studies, files.final)
    duplicates = included_duplicates(layout, chosen)
    form = protocol.extraction
    study_rows = characteristics.rows(chosen, files.links, files.extraction, form)
    panels = evidence_map.panels(study_rows, form)
    phases, by_design = evidence_map.design_phase([r for r in study_rows if r.group == characteristics.HUMAN], form)
    stamp = generated_at([*files.paths, protocol.path, layout.dedup_decisions])
    dedup = files.dedup_summary
    removed, person = dedup.duplicates_removed, dedup.person_decisions
    automation = files.screening_summary.automation
    html = render(
        "report.html.j2", version=__version__, protocol=protocol, counts=counts,
        flow_svg=Markup(flow_svg.render(counts)), glance=glance(counts),
        sources=[source_view(s, protocol) for s in files.sources], search_log=search_log(counts, files.sources),
        dedup={"records_in": dedup.records_in, "studies": dedup.studies,
               "removed": {k: removed.get(k, 0) for k in ("identifier", "fuzzy", "person")},
               "pairs_waiting": dedup.pairs_waiting, "person_duplicate": person.get("duplicate", 0),
               "person_not_duplicate": person.get("not_duplicate", 0)},
        automation={"ineligible": automation.ineligible, "overruled": automation.overruled,
                    "by_rule": sorted(automation.by_rule.items())},
        stages=stage_views(files.screening_summary, protocol,
                           {s: curve.read_stamp(layout.model_stamp(s)) for s in ("title_abstract", "full_text")}),
        example_reviewers=list(protocol.example_reviewers),
        included=[study_view(r, retraction, registrations) for r in chosen.iter_rows(named=True)],
        included_duplicates={"pairs": list(duplicates.iter_rows(named=True)),
                             "file": layout.relative(layout.dedup_decisions), "command": hints.make("review", layout)},
        retraction=retraction_view(retraction), complete=counts.complete and (retraction is None or retraction.ok),
        characteristics=characteristics_view(study_rows, form),
        evidence_maps=[{"svg": Markup(evidence_map.svg(p)), "panel": p} for p in panels],
        design_phase={"phases": phases, "rows": by_design,
                      "animal": sum(1 for r in study_rows if r.group == characteristics.ANIMAL),
                      "pending": sum(1 for r in study_rows if r.group == characteristics.PENDING)},
        linked=files.links is not None,
        year_chart=Markup(charts.year_chart(files.records["year"], chosen["year"] if chosen.height
                                            else pl.Series("year", [], pl.Int32))),
        criteria=[(k.replace("_", " "), v) for k, v in protocol.criteria.items()],
        generated=stamp.strftime("%Y-%m-%d %H:%M UTC"), generated_iso=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        inputs=[layout.relative(p) for p in files.paths],
        commands={step: hints.make(step, layout) for step in ("check", "extract")},
        paths={"pairs_to_review": layout.relative(layout.pairs_to_review),
               "extraction_final": layout.relative(layout.extraction_final)},
    )
    out = layout.report
    index, svg, csv = layout.report_index, layout.prisma_svg, layout.prisma_csv
    results = {
        index: write_text_atomic(index, html),
        svg: write_text_atomic(svg, flow_svg.render(counts, standalone=True)),
        csv: prisma_csv.write(csv, counts),
        **exports.write(out, characteristics.with_extraction(chosen, study_rows, form), [f.name for f in form.fields]),
        layout.extraction_csv: frame_to_csv_atomic(layout.extraction_csv, characteristics.tidy(study_rows, form)),
    }
    return Report(counts, index, tuple(results), tuple(p for p, changed in results.items() if changed),
                  counts.studies_included.n, counts.reports_included.n, evidence_map.expected(panels),
                  tuple(retraction.blocking) if retraction else ())


def characteristics_view(study_rows: list[characteristics.StudyRow], form: ExtractionForm) -> dict:
    """The characteristics tables: the form's shown fields as columns, human and EAE studies apart."""
    columns = [(f.name, f.title) for f in form.fields if f.name in characteristics.SHOWN_FIELDS]
    groups = []
    for key, title in ((characteristics.HUMAN, "Human studies"), (characteristics.ANIMAL, "EAE (animal) studies")):
        members = [r for r in study_rows if r.group == key]
        if members:
            shown = [c for c in columns if not (key == characteristics.ANIMAL and c[0] in ("phase", "n_control"))]
            groups.append({"key": key, "title": title, "columns": shown, "rows": members})
    pending = [r for r in study_rows if r.group == characteristics.PENDING]
    return {"groups": groups, "pending": pending, "total": len(study_rows)}

