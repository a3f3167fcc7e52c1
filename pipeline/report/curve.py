"""Per screening stage: includes found vs records screened, per reviewer, as an inline SVG (no JS).

Each reviewer's real curve (from model.json's screening order and labels), the random-order line
for contrast (includes found so far, spread evenly over all records), and, under the chart, the
stopping rule's state and the model stamp. Text is escaped; the SVG needs nothing outside itself.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

WIDTH, HEIGHT = 760.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 48.0, 150.0, 16.0, 36.0
COLOURS = ("#1f6fb2", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#16a085")


def read_stamp(path: Path) -> dict | None:
    """model.json of a stage, or None when absent or unreadable (the chart is then left out)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("reviewers"), dict) else None


def _path(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def svg(stamp: dict, label: str) -> str:
    """The chart for one stage's stamp ("" when no reviewer has screened anything)."""
    total = int(stamp.get("studies") or 0)
    curves = {w: [int(v) for v in r.get("screening_labels", [])] for w, r in stamp["reviewers"].items()}
    if not total or not any(curves.values()):
        return ""
    top = max([sum(c) for c in curves.values()] + [1])
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(x: float, y: float) -> tuple[float, float]:
        return LEFT + pw * x / total, TOP + ph - ph * y / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="curve" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
             f'role="img" aria-label="{escape(label)}: includes found against records screened">',
             f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="#555"/>',
             f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + ph}" stroke="#555"/>',
             f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 6}" text-anchor="middle" font-size="11">records screened '
             f'(of {total:,})</text>',
             f'<text x="12" y="{TOP + ph / 2}" font-size="11" transform="rotate(-90 12 {TOP + ph / 2})" '
             'text-anchor="middle">includes found</text>',
             f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="10">{top}</text>',
             f'<text x="{LEFT - 4}" y="{TOP + ph}" text-anchor="end" font-size="10">0</text>']
    legend_y = TOP + 6
    for i, (who, labels) in enumerate(curves.items()):
        if not labels:
            continue
        colour = COLOURS[i % len(COLOURS)]
        found = 0
        points = [xy(0, 0)]
        for n, v in enumerate(labels, start=1):
            found += v
            points.append(xy(n, found))
        parts.append(f'<path d="{_path(points)}" fill="none" stroke="{colour}" stroke-width="2" data-reviewer="{escape(who)}"/>')
        parts.append(f'<path d="{_path([xy(0, 0), xy(total, found)])}" fill="none" stroke="{colour}" '
                     'stroke-dasharray="4 3" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT + pw + 8}" y="{legend_y + 4}" font-size="11" fill="{colour}">'
                     f'{escape(who)}: {found} in {len(labels):,}</text>')
        legend_y += 16
    parts.append(f'<text x="{LEFT + pw + 8}" y="{legend_y + 4}" font-size="10" fill="#555">dashed: random order</text>')
    parts.append("</svg>")
    return "".join(parts)


def caption(stamp: dict) -> str:
    """The stopping rule's state and the model stamp, as plain text."""
    rule = stamp.get("stopping_rule", {})
    model = stamp.get("model", {})
    bits = []
    for who, r in stamp["reviewers"].items():
        state = "met" if r.get("rule_met") else (f"{r.get('more_to_screen')} more records to screen with no include"
                                                 if r.get("more_to_screen") is not None else "not reachable")
        bits.append(f"{who}: {r.get('includes_found', 0)} includes found, at most {r.get('includes_left_at_most', '?')} "
                    f"left (95% bound), stopping rule {state}; order by {r.get('method', '?')} trained on "
                    f"{r.get('training_decisions', 0)} decisions, checksum {str(r.get('checksum', ''))[:12]}")
    head = (f"Stopping rule: {rule.get('name', '?')}, target recall {rule.get('target_recall', '?')}, confidence "
            f"{rule.get('confidence', '?')}" + (f"; the team stopped by it: {stamp['stopped']} studies excluded by the rule"
                                                if stamp.get("stopped") else "")
            + f". Model: {model.get('name', '?')} ({model.get('balancing', '')}), TF-IDF features.")
    return head + " " + "; ".join(bits) + "."
