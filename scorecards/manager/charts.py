"""Server-rendered SVG charts for the loop summary: no JavaScript, no CDN, no inline style
(the pages carry a strict CSP; colours are presentation attributes and classes styled by
``scorecards/manager.css``). Every mark carries its number or a label, never colour alone.

Pure functions: they take plain numbers and names and return SVG markup (escaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# A sequential palette, lowest rating first (readable with the printed numbers on top).
HEAT_FILLS = {
    4: ["#fde2e1", "#fdf0c4", "#d6efd8", "#7cc48a"],
    5: ["#f9c7c4", "#fde2e1", "#fdf0c4", "#d6efd8", "#7cc48a"],
}


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:.2f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class HeatColumn:
    key: str
    label: str  # interviewer name (and interview, when useful)


@dataclass(frozen=True)
class HeatRow:
    key: str
    label: str
    cells: dict[str, float | None]  # column key -> rating (None: not rated)


def ratings_heatmap(
    *,
    rows: Sequence[HeatRow],
    columns: Sequence[HeatColumn],
    scale_max: int,
    scale_labels: Sequence[str],
    chart_id: str = "heatmap",
) -> SafeString:
    """Dimension by interviewer grid of ratings, each cell printing its rating."""
    left, top, cell_w, cell_h = 230, 70, 96, 34
    legend_w = sum(40 + 7 * len(label) for label in scale_labels[:scale_max]) + 20
    width = max(left + cell_w * max(len(columns), 1) + 20, legend_w)
    legend_y = top + cell_h * len(rows) + 24
    height = legend_y + 40
    fills = HEAT_FILLS.get(scale_max, HEAT_FILLS[4])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" id="{_t(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc">',
        f'<title id="{_t(chart_id)}-title">Ratings by dimension and interviewer</title>',
        f'<desc id="{_t(chart_id)}-desc">Each cell prints the rating (1 to {scale_max}) one '
        "interviewer gave one dimension; a dash means not rated.</desc>",
    ]
    for j, column in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        # Two lines (first and last name), each clipped to the cell width.
        first, _, rest = column.label.partition(" ")
        out.append(
            f'<text class="col-label" x="{x:.0f}" y="{top - 26}" text-anchor="middle">'
            f"<title>{_t(column.label)}</title>{_t(_clip(first, 13))}</text>"
            f'<text class="col-label" x="{x:.0f}" y="{top - 10}" text-anchor="middle">'
            f"{_t(_clip(rest, 13))}</text>"
        )
    for i, row in enumerate(rows):
        y = top + i * cell_h
        out.append(
            f'<text class="row-label" x="{left - 8}" y="{y + cell_h / 2 + 4:.0f}" '
            f'text-anchor="end">{_t(_clip(row.label, 32))}</text>'
        )
        for j, column in enumerate(columns):
            x = left + j * cell_w
            value = row.cells.get(column.key)
            if value is None:
                fill, text, cls = "#ffffff", "\u2013", "cell empty"
            else:
                index = min(max(round(value) - 1, 0), len(fills) - 1)
                fill = fills[index]
                text = str(int(value)) if float(value).is_integer() else _n(value)
                cls = "cell"
            out.append(
                f'<g class="{cls}"><title>{_t(row.label)}, {_t(column.label)}: {_t(text)}</title>'
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'rx="3" fill="{fill}" stroke="#c7ccd6"/>'
                f'<text class="cell-value" x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 5:.0f}" '
                f'text-anchor="middle">{_t(text)}</text></g>'
            )
    # Legend: every colour with its number and words.
    x = 10
    for value, label in enumerate(scale_labels[:scale_max], start=1):
        out.append(
            f'<rect x="{x}" y="{legend_y}" width="22" height="18" rx="3" '
            f'fill="{fills[min(value - 1, len(fills) - 1)]}" stroke="#c7ccd6"/>'
            f'<text class="legend" x="{x + 11}" y="{legend_y + 13}" '
            f'text-anchor="middle">{value}</text>'
            f'<text class="legend" x="{x + 28}" y="{legend_y + 13}">{_t(label)}</text>'
        )
        x += 40 + 7 * len(label)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class ScoreRow:
    label: str
    raw: float | None
    calibrated: float | None
    low: float | None
    high: float | None
    must_have: bool = False
    overall: bool = False


@dataclass(frozen=True)
class _ScoreFrame:
    """Geometry of the scores chart: a label column, the plot, and a column of printed values."""

    rows: int
    scale_max: int
    left: int = 230
    top: int = 44
    plot_w: int = 420
    row_h: int = 34
    right: int = 330

    @property
    def width(self) -> int:
        return self.left + self.plot_w + self.right

    @property
    def height(self) -> int:
        return self.top + self.row_h * self.rows + 56

    @property
    def bottom(self) -> int:
        return self.top + self.row_h * self.rows

    @property
    def values_x(self) -> int:
        """Where the printed values start, right of the plot."""
        return self.width - self.right + 8

    def sx(self, value: float) -> float:
        """Screen x of a score; scores off the axis sit at its ends."""
        lo_axis, hi_axis = 0.5, self.scale_max + 0.5
        value = min(max(value, lo_axis), hi_axis)
        return self.left + (value - lo_axis) / (hi_axis - lo_axis) * self.plot_w


def calibrated_scores(
    *,
    rows: Sequence[ScoreRow],
    bar: float,
    scale_max: int,
    interval_level: float,
    chart_id: str = "scores",
) -> SafeString:
    """Calibrated score per dimension (dot) with its interval (whiskers), the raw mean
    (hollow diamond) and the bar (dashed line), each value printed at the right."""
    frame = _ScoreFrame(rows=len(rows), scale_max=scale_max)
    pct = round(interval_level * 100)
    width, height = frame.width, frame.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart scores" id="{_t(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc">',
        f'<title id="{_t(chart_id)}-title">Calibrated scores against the bar</title>',
        f'<desc id="{_t(chart_id)}-desc">For each dimension: the calibrated score (filled dot) '
        f"with its {pct}% interval (whiskers), the raw mean (hollow diamond), and the bar "
        f"at {_n(bar)} (dashed line).</desc>",
    ]
    out += _score_axes(frame, bar, pct)
    for i, row in enumerate(rows):
        out += _score_row(frame, row, i, bar)
    out.append(_score_legend(frame, pct))
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text in it is escaped


def _score_axes(frame: _ScoreFrame, bar: float, pct: int) -> list[str]:
    """Grid lines with the scale's numbers, the dashed bar, and the values column's title."""
    top, bottom = frame.top, frame.bottom
    out = []
    for tick in range(1, frame.scale_max + 1):
        x = frame.sx(tick)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="#e5e7eb"/>'
            f'<text class="axis" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick}</text>'
        )
    bx = frame.sx(bar)
    out.append(
        f'<line class="bar-line" x1="{bx:.1f}" y1="{top - 14}" x2="{bx:.1f}" y2="{bottom}" '
        f'stroke="#b91c1c" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text class="bar-label" x="{bx:.1f}" y="{top - 18}" text-anchor="middle">'
        f"Bar {_n(bar)}</text>"
    )
    out.append(
        f'<text class="axis-title" x="{frame.values_x}" y="{top - 18}">'
        f"calibrated ({pct}% interval) · raw</text>"
    )
    return out


def _score_row(frame: _ScoreFrame, row: ScoreRow, i: int, bar: float) -> list[str]:
    """One dimension (or the overall score): its label, marks and printed values."""
    cy = frame.top + i * frame.row_h + frame.row_h / 2
    label = row.label + (" (must-have)" if row.must_have else "")
    cls = "row-label overall" if row.overall else "row-label"
    out = [
        f'<text class="{cls}" x="{frame.left - 8}" y="{cy + 4:.0f}" text-anchor="end">'
        f"{_t(_clip(label, 34))}</text>"
    ]
    if row.overall:
        out.append(
            f'<line class="divider" x1="10" y1="{cy - frame.row_h / 2:.0f}" '
            f'x2="{frame.width - 10}" y2="{cy - frame.row_h / 2:.0f}" stroke="#9ca3af"/>'
        )
    if row.calibrated is None:
        out.append(f'<text class="value" x="{frame.values_x}" y="{cy + 4:.0f}">not rated</text>')
        return out
    interval = ""
    if row.low is not None and row.high is not None:
        out.append(_whisker(frame.sx(row.low), frame.sx(row.high), cy))
        interval = f" ({_n(row.low)}\u2013{_n(row.high)})"
    if row.raw is not None:
        rx = frame.sx(row.raw)
        out.append(
            f'<path class="raw-mark" d="M{rx:.1f} {cy - 7:.1f} L{rx + 7:.1f} {cy:.1f} '
            f'L{rx:.1f} {cy + 7:.1f} L{rx - 7:.1f} {cy:.1f} Z" fill="#ffffff" '
            f'stroke="#6b7280" stroke-width="2"><title>raw mean {_n(row.raw)}</title></path>'
        )
    below = row.calibrated < bar
    out.append(
        f'<circle class="calibrated-mark{" below" if below else ""}" '
        f'cx="{frame.sx(row.calibrated):.1f}" cy="{cy:.1f}" r="6" '
        f'fill="{"#b91c1c" if below else "#1d4ed8"}"><title>calibrated '
        f"{_n(row.calibrated)}</title></circle>"
    )
    raw = f" · raw {_n(row.raw)}" if row.raw is not None else ""
    verdict = "below bar" if below else "at/above bar"
    out.append(
        f'<text class="value" x="{frame.values_x}" y="{cy + 4:.0f}">'
        f"{_n(row.calibrated)}{interval}{raw} · {verdict}</text>"
    )
    return out


def _whisker(x1: float, x2: float, cy: float) -> str:
    return (
        f'<g class="whisker"><line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" '
        f'y2="{cy:.1f}" stroke="#1f2937" stroke-width="2"/>'
        f'<line x1="{x1:.1f}" y1="{cy - 7:.1f}" x2="{x1:.1f}" y2="{cy + 7:.1f}" '
        f'stroke="#1f2937" stroke-width="2"/>'
        f'<line x1="{x2:.1f}" y1="{cy - 7:.1f}" x2="{x2:.1f}" y2="{cy + 7:.1f}" '
        f'stroke="#1f2937" stroke-width="2"/></g>'
    )


def _score_legend(frame: _ScoreFrame, pct: int) -> str:
    """Every mark with its words, below the plot."""
    left, ly = frame.left, frame.bottom + 36
    return (
        f'<circle cx="{left}" cy="{ly}" r="6" fill="#1d4ed8"/>'
        f'<text class="legend" x="{left + 10}" y="{ly + 4}">calibrated</text>'
        f'<path d="M{left + 100} {ly - 7} L{left + 107} {ly} L{left + 100} {ly + 7} '
        f'L{left + 93} {ly} Z" fill="#ffffff" stroke="#6b7280" stroke-width="2"/>'
        f'<text class="legend" x="{left + 112}" y="{ly + 4}">raw mean</text>'
        f'<line x1="{left + 190}" y1="{ly}" x2="{left + 220}" y2="{ly}" stroke="#1f2937" '
        f'stroke-width="2"/><text class="legend" x="{left + 226}" y="{ly + 4}">'
        f"{pct}% interval</text>"
        f'<line x1="{left + 320}" y1="{ly - 8}" x2="{left + 320}" y2="{ly + 8}" '
        f'stroke="#b91c1c" stroke-width="2" stroke-dasharray="4 3"/>'
        f'<text class="legend" x="{left + 326}" y="{ly + 4}">bar</text>'
    )
