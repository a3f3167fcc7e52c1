"""Records by publication year, identified vs included, as an inline SVG bar chart (no JS, no library)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from pipeline.report.render import render

WIDTH, HEIGHT = 760.0, 280.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 12.0, 30.0, 46.0
NO_YEAR = "n.d."


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: str      # identified | included
    label: str       # year
    n: int


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]        # (y, value)
    labels: tuple[tuple[float, str], ...]       # (x, year) under the axis
    baseline: float
    left: float
    right: float


def counts_by_year(identified: pl.Series, included: pl.Series) -> list[tuple[str, int, int]]:
    """(year, identified, included) for every year from the first to the last, then records without a year."""
    ident = identified.value_counts()
    inc = included.value_counts()
    a = {row[0]: row[1] for row in ident.iter_rows()}
    b = {row[0]: row[1] for row in inc.iter_rows()}
    years = [y for y in set(a) | set(b) if y is not None]
    out = [(str(y), a.get(y, 0), b.get(y, 0)) for y in range(min(years), max(years) + 1)] if years else []
    if a.get(None) or b.get(None):
        out.append((NO_YEAR, a.get(None, 0), b.get(None, 0)))
    return out


def _step(top: int) -> int:
    raw = max(1, top) / 4
    power = 10 ** math.floor(math.log10(raw))
    return max(1, int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw)))   # whole numbers: never 0


def layout(rows: list[tuple[str, int, int]]) -> Chart:
    """Bars, ticks and year labels for `rows` from `counts_by_year`."""
    top = max([r[1] for r in rows] + [r[2] for r in rows] + [1])
    step = _step(top)
    ceiling = step * math.ceil(top / step)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(rows))
    bar_w = max(1.0, slot * 0.4)
    bars, labels = [], []
    every = max(1, math.ceil(len(rows) / 16))
    for i, (year, ident, inc) in enumerate(rows):
        x0 = LEFT + i * slot + slot * 0.1
        for j, (series, n) in enumerate((("identified", ident), ("included", inc))):
            h = plot_h * n / ceiling
            bars.append(Bar(round(x0 + j * bar_w, 2), round(TOP + plot_h - h, 2), round(bar_w, 2), round(h, 2),
                            series, year, n))
        if i % every == 0 or year == NO_YEAR:
            labels.append((round(LEFT + i * slot + slot / 2, 2), year))
    ticks = tuple((round(TOP + plot_h - plot_h * v / ceiling, 2), v) for v in range(0, ceiling + 1, step))
    return Chart(WIDTH, HEIGHT, tuple(bars), ticks, tuple(labels), TOP + plot_h, LEFT, WIDTH - RIGHT)


def year_chart(identified_years: pl.Series, included_years: pl.Series) -> str:
    """The chart as SVG markup (empty string when no record has a year)."""
    rows = counts_by_year(identified_years, included_years)
    return render("year_chart.svg.j2", c=layout(rows)) if rows else ""
