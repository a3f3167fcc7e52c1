"""The evidence map: where the included studies are, by cell product x population, coloured by design.

Human studies: rows = cell products, columns = populations (every value of the form, so empty cells
show the gaps), one bubble per design in a cell. Two small multiples side by side (both print):
bubble area = number of studies, and = participants treated (sum of `n_treated`; studies that did
not report it add nothing and are counted in the caption). EAE studies get their own panel: cell
product x route. Counts by design and phase come with it. Each panel is one self-contained SVG with
a title, a description and a `<title>` per bubble; the HTML table after it holds the same numbers.
Every bubble's number is in `data-map`-tagged text that the browser check reads back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.protocol import ExtractionForm
from pipeline.report.characteristics import ANIMAL, HUMAN, StudyRow
from pipeline.report.render import render
from pipeline.textio import plural

NOT_REPORTED = "not reported"
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#F0E442", "#000000")
UNKNOWN_COLOUR = "#9aa3ad"
LEFT, TOP, COL_W, ROW_H, R_MAX, R_MIN = 140.0, 64.0, 80.0, 36.0, 16.0, 4.0
NEEDED = ("cell_product", "population", "study_design")


@dataclass(frozen=True)
class Bubble:
    key: str            # data-map key: panel|row|column|design
    x: float
    y: float
    r: float
    colour: str
    n: int
    label: str          # the bubble's <title>


@dataclass(frozen=True)
class Panel:
    id: str
    title: str
    description: str
    rows: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]      # each column label split into lines
    bubbles: tuple[Bubble, ...]
    width: float
    height: float
    legend: tuple[tuple[str, str], ...]       # (design, colour)
    unit: str                                 # "studies" | "participants treated"
    table: tuple[tuple[str, tuple[str, ...]], ...]   # row label -> one cell text per column
    column_names: tuple[str, ...]


def available(form: ExtractionForm) -> bool:
    """The map needs cell_product, population and study_design choice fields in the form."""
    names = {f.name: f for f in form.fields}
    return all(n in names and names[n].type == "choice" for n in NEEDED)


def _values(form: ExtractionForm, name: str, studies: Sequence[StudyRow], drop: Sequence[str] = ()) -> list[str]:
    try:
        allowed = [v for v in form.field(name).values if v not in drop]
    except KeyError:
        allowed = []
    seen = {s.values.get(name) or NOT_REPORTED for s in studies}
    extra = sorted(v for v in seen if v not in allowed and v != NOT_REPORTED)
    return allowed + extra + ([NOT_REPORTED] if NOT_REPORTED in seen else [])


def _wrap(text: str, width: int = 13) -> tuple[str, ...]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def panel(panel_id: str, title: str, studies: Sequence[StudyRow], form: ExtractionForm, row_field: str,
          col_field: str, weight: str, drop_columns: Sequence[str] = ()) -> Panel:
    """One small multiple; `weight` = "studies" or "participants" (sum of n_treated)."""
    rows = _values(form, row_field, studies)
    cols = _values(form, col_field, studies, drop_columns)
    designs = _values(form, "study_design", studies)
    colour = {d: (PALETTE[i % len(PALETTE)] if d != NOT_REPORTED else UNKNOWN_COLOUR) for i, d in enumerate(designs)}
    cells: dict[tuple[str, str, str], list[StudyRow]] = {}
    for s in studies:
        key = tuple(s.values.get(f) or NOT_REPORTED for f in (row_field, col_field, "study_design"))
        cells.setdefault(key, []).append(s)  # type: ignore[arg-type]

    def amount(group: list[StudyRow]) -> int:
        if weight == "studies":
            return len(group)
        return sum(int(s.values["n_treated"]) for s in group if (s.values.get("n_treated") or "").isdigit())

    amounts = {k: amount(v) for k, v in cells.items()}
    top = max(amounts.values(), default=0) or 1
    unit = "studies" if weight == "studies" else "participants treated"
    bubbles = []
    for (r, c, d), group in sorted(cells.items(), key=lambda kv: (rows.index(kv[0][0]), cols.index(kv[0][1])
                                                                    if kv[0][1] in cols else 0, designs.index(kv[0][2]))):
        if c not in cols:
            continue
        n = amounts[(r, c, d)]
        in_cell = [k for k in cells if k[0] == r and k[1] == c]
        slot = sorted(in_cell, key=lambda k: designs.index(k[2])).index((r, c, d))
        spread = COL_W / (len(in_cell) + 1)
        x = LEFT + cols.index(c) * COL_W + spread * (slot + 1)
        y = TOP + rows.index(r) * ROW_H + ROW_H / 2
        radius = 0.0 if n == 0 else max(R_MIN, R_MAX * math.sqrt(n / top) / max(1, math.sqrt(len(in_cell)) * 0.8))
        who = ", ".join(s.citation for s in group)
        amount_text = plural(n, "study", "studies") if weight == "studies" else plural(n, "participant", "participants") + " treated"
        label = f"{r} × {c}, {d}: {amount_text} ({who})"
        bubbles.append(Bubble(f"{panel_id}|{r}|{c}|{d}", round(x, 1), round(y, 1), round(radius, 1), colour[d], n, label))
    table = []
    for r in rows:
        cells_text = []
        for c in cols:
            parts = [(d, amounts[(r, c, d)]) for d in designs if (r, c, d) in cells]
            total = sum(n for _, n in parts)
            cells_text.append("" if not parts else f"{total} ({'; '.join(f'{d} {n}' for d, n in parts)})"
                              if len(parts) > 1 else f"{total} ({parts[0][0]})")
        table.append((r, tuple(cells_text)))
    total = sum(amounts.values())
    missing = sum(1 for s in studies if not (s.values.get("n_treated") or "").isdigit())
    description = (f"{plural(len(studies), 'study', 'studies')}; bubble area is the number of {unit}"
                   + (f" ({missing} of them did not report participants treated and add nothing)"
                      if weight != "studies" and missing else "")
                   + f"; {total} in all. Colour is the study design. Rows: {row_field.replace('_', ' ')}; "
                   f"columns: {col_field.replace('_', ' ')}.")
    present = [d for d in designs if any(k[2] == d for k in cells)]
    width = LEFT + len(cols) * COL_W + 10
    height = TOP + len(rows) * ROW_H + 30 + 18 * math.ceil(len(present) / 3)
    return Panel(panel_id, title, description, tuple(rows), tuple(_wrap(c) for c in cols), tuple(bubbles), width,
                 height, tuple((d, colour[d]) for d in present), unit, tuple(table), tuple(cols))


def panels(studies: Sequence[StudyRow], form: ExtractionForm) -> list[Panel]:
    """Human studies by count and by participants; EAE studies by count (cell product x route)."""
    if not available(form):
        return []
    human = [s for s in studies if s.group == HUMAN]
    animal = [s for s in studies if s.group == ANIMAL]
    out = []
    if human:
        out.append(panel("human-studies", "Human studies: number of studies", human, form, "cell_product",
                         "population", "studies", drop_columns=("EAE model",)))
        if any(f.name == "n_treated" for f in form.fields):
            out.append(panel("human-participants", "Human studies: participants treated", human, form,
                             "cell_product", "population", "participants", drop_columns=("EAE model",)))
    if animal:
        col = "route" if any(f.name == "route" for f in form.fields) else "population"
        out.append(panel("eae-studies", f"EAE (animal) studies: number of studies, by {col.replace('_', ' ')}",
                         animal, form, "cell_product", col, "studies"))
    return out


def svg(p: Panel) -> str:
    """One panel as self-contained SVG markup."""
    return render("evidence_map.svg.j2", p=p, g={"left": LEFT, "top": TOP, "col": COL_W, "row": ROW_H})


def expected(all_panels: Sequence[Panel]) -> dict[str, int]:
    """Every bubble's number keyed as its `data-map` attribute, for the browser check."""
    return {b.key: b.n for p in all_panels for b in p.bubbles if b.n}


def design_phase(studies: Sequence[StudyRow], form: ExtractionForm) -> tuple[list[str], list[tuple[str, list[int], int]]]:
    """Counts of human studies by design (rows) and phase (columns, + not reported), and EAE studies."""
    phases = _values(form, "phase", studies) if any(f.name == "phase" for f in form.fields) else []
    if NOT_REPORTED not in phases:
        phases.append(NOT_REPORTED)
    designs = _values(form, "study_design", studies)
    rows = []
    for d in designs:
        group = [s for s in studies if (s.values.get("study_design") or NOT_REPORTED) == d]
        if not group:
            continue
        rows.append((d, [sum(1 for s in group if (s.values.get("phase") or NOT_REPORTED) == ph) for ph in phases],
                     len(group)))
    return phases, rows
