"""The PRISMA 2020 flow diagram as SVG, laid out by our own code (no graphviz, no fonts to fetch).

`layout(counts)` places the boxes (pure: positions, wrapped lines, arrows); the jinja2 template
`flow.svg.j2` draws them with autoescaping, so source names and reasons are always text. Every number
sits in a `<tspan data-count="key">` (keys as `PrismaCounts.expected`) so the browser check can read
the rendered numbers back.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pipeline.report.counts import DBR, OTHER, ColumnCounts, Count, DatabaseCount, PrismaCounts
from pipeline.report.render import environment

FONT = 13.0
SMALL = 12.0
LINE = 17.0
PAD = 10.0
ROW_GAP = 36.0
HEADER_H = 46.0
PHASE_X, PHASE_W = 8.0, 30.0
# x and width of the main and side boxes of each column
GEOMETRY = {DBR: ((52.0, 262.0), (346.0, 272.0)), OTHER: ((664.0, 242.0), (938.0, 252.0))}

# Rough advance widths (em) for Liberation Sans / Arial, padded so DejaVu Sans also fits.
_NARROW = set("ijl.,:;!|'()[]{} tf/-")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """Estimated rendered width of `text` in px; generous so wrapped lines never overflow a box."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.3
        elif ch in _WIDE:
            em += 0.86
        elif ch.isupper() or ch.isdigit():
            em += 0.64
        else:
            em += 0.54
    return em * size * (1.08 if bold else 1.0)


@dataclass(frozen=True)
class Token:
    word: str
    key: str | None = None     # data-count key when the word is part of a number's text
    bold: bool = False


@dataclass(frozen=True)
class Run:
    text: str
    key: str | None
    bold: bool


@dataclass(frozen=True)
class TextLine:
    x: float
    y: float
    runs: tuple[Run, ...]
    size: float


def _line_width(tokens: list[Token], size: float) -> float:
    return sum(text_width(t.word, size, t.bold) for t in tokens) + text_width(" ", size) * (len(tokens) - 1)


@dataclass
class Box:
    node: str                  # our box name (PRISMA2020 node names are in prisma_csv)
    x: float
    w: float
    paragraphs: list[tuple[list[Token], float, float]]  # tokens, font size, indent
    y: float = 0.0
    h: float = 0.0
    lines: list[TextLine] = field(default_factory=list)

    def wrapped(self) -> list[tuple[list[list[Token]], float, float]]:
        out = []
        for tokens, size, indent in self.paragraphs:
            room = self.w - 2 * PAD - indent
            lines: list[list[Token]] = [[]]
            for token in tokens:
                if lines[-1] and _line_width(lines[-1] + [token], size) > room:
                    lines.append([token])
                else:
                    lines[-1].append(token)
            out.append((lines, size, indent))
        return out

    def content_height(self) -> float:
        return sum(len(lines) * LINE for lines, *_ in self.wrapped()) + 2 * PAD - 4

    def place(self, y: float, h: float) -> None:
        """Fix the box at `y` with height `h`, its text block centred vertically."""
        self.y, self.h = y, h
        top = y + (h - self.content_height()) / 2 + PAD + FONT - 2
        self.lines = []
        for lines, size, indent in self.wrapped():
            for tokens in lines:
                runs: list[Run] = []
                for token in tokens:
                    if runs and (runs[-1].key, runs[-1].bold) == (token.key, token.bold):
                        runs[-1] = Run(runs[-1].text + " " + token.word, token.key, token.bold)
                    else:
                        runs.append(Run((" " if runs else "") + token.word, token.key, token.bold))
                self.lines.append(TextLine(self.x + PAD + indent, top, tuple(runs), size))
                top += LINE


@dataclass(frozen=True)
class Arrow:
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Band:
    """A coloured title box: the column headers and the phase bars on the left."""

    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]
    kind: str                  # header-dbr | header-other | phase
    node: str


@dataclass(frozen=True)
class Diagram:
    width: float
    height: float
    boxes: tuple[Box, ...]
    bands: tuple[Band, ...]
    arrows: tuple[Arrow, ...]
    title: str
    description: str


def words(text: str, key: str | None = None, bold: bool = False) -> list[Token]:
    return [Token(w, key, bold) for w in text.split()]


def counted(label: str, count: Count | DatabaseCount, key: str, suffix: str = "", bold: bool = False) -> list[Token]:
    """`Label (n = 5)` as tokens, the number's words tagged with `key`; a final number never wraps."""
    text = f"({count.text()}){suffix}"
    long = count.pending if isinstance(count, Count) else bool(count.waiting and count.n is not None)
    inner = words(text, key) if long else [Token(text, key)]
    return words(label, bold=bold) + inner


def _para(tokens: list[Token], size: float = FONT, indent: float = 0.0) -> tuple[list[Token], float, float]:
    return (tokens, size, indent)


def _identification(col: ColumnCounts) -> list:
    k = col.key
    paras = [_para(words("Records identified from:", bold=True))]
    for group in col.groups:
        paras.append(_para(counted(group.name, Count(group.n), f"{k}.group.{group.name}",
                                   ":" if group.databases else "")))
        for database in group.databases:           # one line per database, its sources summed
            paras.append(_para(counted(database.label, database, f"{k}.database.{database.key}"), SMALL, indent=12))
    return paras


def _removed(col: ColumnCounts) -> list:
    k = col.key
    return [
        _para(words("Records removed before screening:", bold=True)),
        _para(counted("Duplicate records", Count(col.duplicates), f"{k}.duplicates")),
        _para(counted("Records marked as ineligible by automation tools", Count(col.automation), f"{k}.automation")),
        _para(counted("Records removed for other reasons", Count(col.removed_other), f"{k}.removed_other")),
    ]


def _simple(label: str, count: Count, key: str) -> list:
    return [_para(words(label, bold=True)), _para(counted("", count, key))]


def _excluded_records(col: ColumnCounts) -> list:
    """Records excluded; split into reviewers and the stopping rule when the team stopped by it (PRISMA 2020)."""
    k = col.key
    if not col.excluded_by_rule:
        return _simple("Records excluded", col.records_excluded, f"{k}.records_excluded")
    return [_para(words("Records excluded", bold=True)),
            _para(counted("", col.records_excluded, f"{k}.records_excluded", ":")),
            _para(counted("by reviewers", Count(col.records_excluded.n - col.excluded_by_rule),
                          f"{k}.records_excluded_by_reviewers"), SMALL, indent=12),
            _para(counted("by a stopping rule, automation tool", Count(col.excluded_by_rule),
                          f"{k}.records_excluded_by_rule"), SMALL, indent=12)]


def _excluded_reports(col: ColumnCounts) -> list:
    k = col.key
    paras = [_para(words("Reports excluded", bold=True)),
             _para(counted("", col.reports_excluded, f"{k}.reports_excluded", ":" if col.reasons else ""))]
    for i, (reason, n) in enumerate(col.reasons):
        paras.append(_para(counted(reason, Count(n), f"{k}.reason.{i}"), SMALL, indent=12))
    return paras


def layout(counts: PrismaCounts) -> Diagram:
    """Place every box, band and arrow of the diagram for `counts`."""
    cols = counts.columns
    (dx, dw), (sx, sw) = GEOMETRY[DBR]
    width = (GEOMETRY[OTHER][1][0] + GEOMETRY[OTHER][1][1] if counts.other else sx + sw) + 10
    rows: list[list[Box]] = [[], [], [], [], []]
    for col in cols:
        (mx, mw), (ox, ow) = GEOMETRY[col.key]
        k = col.key
        rows[0].append(Box(f"{k}_identified", mx, mw, _identification(col)))
        if col.shows_removed:
            rows[0].append(Box(f"{k}_removed", ox, ow, _removed(col)))
        rows[1] += [Box(f"{k}_screened", mx, mw, _simple("Records screened", Count(col.screened), f"{k}.screened")),
                    Box(f"{k}_records_excluded", ox, ow, _excluded_records(col))]
        rows[2] += [Box(f"{k}_sought", mx, mw, _simple("Reports sought for retrieval", col.sought, f"{k}.sought")),
                    Box(f"{k}_notretrieved", ox, ow, _simple("Reports not retrieved", col.not_retrieved,
                                                              f"{k}.not_retrieved"))]
        rows[3] += [Box(f"{k}_assessed", mx, mw, _simple("Reports assessed for eligibility", col.assessed,
                                                         f"{k}.assessed")),
                    Box(f"{k}_excluded", ox, ow, _excluded_reports(col))]
    rows[4].append(Box("new_studies", dx, dw, [
        _para(counted("Studies included in review", counts.studies_included, "studies_included", bold=True)),
        _para(counted("Reports of included studies", counts.reports_included, "reports_included", bold=True)),
    ]))
    y = 10 + HEADER_H + 18
    row_top = []
    # a one-row phase bar (Identification, Included) must be tall enough for its rotated label
    floor = {0: text_width("Identification", FONT, True) + 24, 4: text_width("Included", FONT, True) + 24}
    for i, row in enumerate(rows):
        h = max(max(b.content_height() for b in row) + 6, floor.get(i, 0))
        for box in row:
            box.place(y, h)
        row_top.append((y, h))
        y += h + ROW_GAP
    height = y - ROW_GAP + 12

    bands = [Band(dx, 10, sx + sw - dx, HEADER_H, ("Identification of new studies via", "databases and registers"),
                  "header-dbr", "newstud")]
    if counts.other:
        (ox, _), (osx, osw) = GEOMETRY[OTHER]
        bands.append(Band(ox, 10, osx + osw - ox, HEADER_H, ("Identification of new studies via", "other methods"),
                          "header-other", "othstud"))
    for label, first, last in (("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, 4)):
        top = row_top[first][0]
        bottom = row_top[last][0] + row_top[last][1]
        bands.append(Band(PHASE_X, top, PHASE_W, bottom - top, (label,), "phase", label.lower()))

    arrows = []
    by_node = {b.node: b for row in rows for b in row}
    for col in cols:
        k = col.key
        chain = [f"{k}_identified", f"{k}_screened", f"{k}_sought", f"{k}_assessed"]
        for upper, lower in itertools.pairwise(chain):
            a, b = by_node[upper], by_node[lower]
            arrows.append(Arrow(((a.x + a.w / 2, a.y + a.h), (b.x + b.w / 2, b.y))))
        for main, side in ((f"{k}_identified", f"{k}_removed"), (f"{k}_screened", f"{k}_records_excluded"),
                           (f"{k}_sought", f"{k}_notretrieved"), (f"{k}_assessed", f"{k}_excluded")):
            if side in by_node:
                a, b = by_node[main], by_node[side]
                arrows.append(Arrow(((a.x + a.w, a.y + a.h / 2), (b.x, a.y + a.h / 2))))
    included = by_node["new_studies"]
    dbr_assessed = by_node["dbr_assessed"]
    arrows.append(Arrow(((dbr_assessed.x + dbr_assessed.w / 2, dbr_assessed.y + dbr_assessed.h),
                         (included.x + included.w / 2, included.y))))
    if counts.other:
        a = by_node["other_assessed"]
        mid = included.y + included.h / 2
        arrows.append(Arrow(((a.x + a.w / 2, a.y + a.h), (a.x + a.w / 2, mid), (included.x + included.w, mid))))

    status = "complete" if counts.complete else "in progress: pending boxes still await decisions"
    return Diagram(width, height, tuple(b for row in rows for b in row), tuple(bands), tuple(arrows),
                   "PRISMA 2020 flow diagram", f"Flow of records and reports through the review ({status}).")


def render(counts: PrismaCounts, *, standalone: bool = False) -> str:
    """The diagram as SVG markup: inline in the HTML page, or a standalone file (`prisma.svg`)."""
    return environment().get_template("flow.svg.j2").render(d=layout(counts), standalone=standalone)
