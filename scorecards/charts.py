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
    left, top, plot_w, row_h, right = 230, 44, 420, 34, 330
    width = left + plot_w + right
    height = top + row_h * len(rows) + 56
    lo_axis, hi_axis = 0.5, scale_max + 0.5

    def sx(value: float) -> float:
        value = min(max(value, lo_axis), hi_axis)
        return left + (value - lo_axis) / (hi_axis - lo_axis) * plot_w

    pct = round(interval_level * 100)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart scores" id="{_t(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc">',
        f'<title id="{_t(chart_id)}-title">Calibrated scores against the bar</title>',
        f'<desc id="{_t(chart_id)}-desc">For each dimension: the calibrated score (filled dot) '
        f"with its {pct}% interval (whiskers), the raw mean (hollow diamond), and the bar "
        f"at {_n(bar)} (dashed line).</desc>",
    ]
    bottom = top + row_h * len(rows)
    for tick in range(1, scale_max + 1):
        x = sx(tick)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="#e5e7eb"/>'
            f'<text class="axis" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick}</text>'
        )
    bx = sx(bar)
    out.append(
        f'<line class="bar-line" x1="{bx:.1f}" y1="{top - 14}" x2="{bx:.1f}" y2="{bottom}" '
        f'stroke="#b91c1c" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text class="bar-label" x="{bx:.1f}" y="{top - 18}" text-anchor="middle">'
        f"Bar {_n(bar)}</text>"
    )
    out.append(
        f'<text class="axis-title" x="{width - right + 8}" y="{top - 18}">'
        f"calibrated ({pct}% interval) · raw</text>"
    )
    for i, row in enumerate(rows):
        cy = top + i * row_h + row_h / 2
        label = row.label + (" (must-have)" if row.must_have else "")
        cls = "row-label overall" if row.overall else "row-label"
        out.append(
            f'<text class="{cls}" x="{left - 8}" y="{cy + 4:.0f}" text-anchor="end">'
            f"{_t(_clip(label, 34))}</text>"
        )
        if row.overall:
            out.append(
                f'<line class="divider" x1="10" y1="{cy - row_h / 2:.0f}" '
                f'x2="{width - 10}" y2="{cy - row_h / 2:.0f}" stroke="#9ca3af"/>'
            )
        if row.calibrated is None:
            out.append(
                f'<text class="value" x="{width - right + 8}" y="{cy + 4:.0f}">not rated</text>'
            )
            continue
        if row.low is not None and row.high is not None:
            x1, x2 = sx(row.low), sx(row.high)
            out.append(
                f'<g class="whisker"><line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" '
                f'y2="{cy:.1f}" stroke="#1f2937" stroke-width="2"/>'
                f'<line x1="{x1:.1f}" y1="{cy - 7:.1f}" x2="{x1:.1f}" y2="{cy + 7:.1f}" '
                f'stroke="#1f2937" stroke-width="2"/>'
                f'<line x1="{x2:.1f}" y1="{cy - 7:.1f}" x2="{x2:.1f}" y2="{cy + 7:.1f}" '
                f'stroke="#1f2937" stroke-width="2"/></g>'
            )
        if row.raw is not None:
            rx = sx(row.raw)
            out.append(
                f'<path class="raw-mark" d="M{rx:.1f} {cy - 7:.1f} L{rx + 7:.1f} {cy:.1f} '
                f'L{rx:.1f} {cy + 7:.1f} L{rx - 7:.1f} {cy:.1f} Z" fill="#ffffff" '
                f'stroke="#6b7280" stroke-width="2"><title>raw mean {_n(row.raw)}</title></path>'
            )
        below = row.calibrated < bar
        out.append(
            f'<circle class="calibrated-mark{" below" if below else ""}" '
            f'cx="{sx(row.calibrated):.1f}" cy="{cy:.1f}" r="6" '
            f'fill="{"#b91c1c" if below else "#1d4ed8"}"><title>calibrated '
            f"{_n(row.calibrated)}</title></circle>"
        )
        interval = (
            f" ({_n(row.low)}\u2013{_n(row.high)})"
            if row.low is not None and row.high is not None
            else ""
        )
        raw = f" · raw {_n(row.raw)}" if row.raw is not None else ""
        verdict = "below bar" if below else "at/above bar"
        out.append(
            f'<text class="value" x="{width - right + 8}" y="{cy + 4:.0f}">'
            f"{_n(row.calibrated)}{interval}{raw} · {verdict}</text>"
        )
    ly = bottom + 36
    out.append(
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
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
