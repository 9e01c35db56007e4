"""The validity page's chart, in the house style of ``scorecards.manager.charts``: server-rendered
SVG, no JavaScript, no inline style (strict CSP), every mark carrying its number and a label,
never colour alone. Pure: plain numbers and names in, escaped SVG out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe


def _t(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    return f"{value:+.2f}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True)
class ValidityMark:
    """One row of the chart: a correlation with its interval and the hires behind it.
    ``r`` None: withheld (``reason`` says why, printed instead of a dot)."""

    label: str
    n: int
    r: float | None
    low: float | None
    high: float | None
    reason: str = ""
    overall: bool = False


@dataclass(frozen=True)
class _Frame:
    rows: int
    left: int = 230
    top: int = 48
    plot_w: int = 400
    row_h: int = 34
    right: int = 300

    @property
    def width(self) -> int:
        return self.left + self.plot_w + self.right

    @property
    def bottom(self) -> int:
        return self.top + self.row_h * self.rows

    @property
    def height(self) -> int:
        return self.bottom + 56

    @property
    def values_x(self) -> int:
        return self.left + self.plot_w + 12

    def sx(self, value: float) -> float:
        """Screen x of a correlation, on a -1..1 axis."""
        value = min(max(value, -1.0), 1.0)
        return self.left + (value + 1.0) / 2.0 * self.plot_w


def validity_dots(
    *, rows: Sequence[ValidityMark], level: float, method: str, chart_id: str = "validity"
) -> SafeString:
    """Each score's correlation with the outcome (dot) and its bootstrap interval (whiskers)
    on a -1..1 axis with the zero line, the number of hires printed beside each."""
    frame = _Frame(rows=max(len(rows), 1))
    pct = round(level * 100)
    name = "Spearman" if method == "spearman" else method.capitalize()
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart validity" id="{_t(chart_id)}" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="{frame.width}" '
        f'height="{frame.height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc">',
        f'<title id="{_t(chart_id)}-title">How well each score predicted the outcome</title>',
        f'<desc id="{_t(chart_id)}-desc">For each score: its {name} correlation with the '
        f"outcome after the hire (dot), the {pct}% bootstrap interval (whiskers), and the "
        "number of hires behind it. Right of the zero line: higher scores went with better "
        "outcomes.</desc>",
    ]
    for tick in (-1.0, -0.5, 0.0, 0.5, 1.0):
        x = frame.sx(tick)
        zero = tick == 0.0
        out.append(
            f'<line class="{"zero-line" if zero else "grid"}" x1="{x:.1f}" y1="{frame.top - 8}" '
            f'x2="{x:.1f}" y2="{frame.bottom}" stroke="{"#111827" if zero else "#e5e7eb"}" '
            f'stroke-width="{2 if zero else 1}"/>'
            f'<text class="axis" x="{x:.1f}" y="{frame.bottom + 16}" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    out.append(
        f'<text class="axis-title" x="{frame.sx(0.0):.1f}" y="{frame.top - 16}" '
        f'text-anchor="middle">0: no relation</text>'
        f'<text class="axis-title" x="{frame.values_x}" y="{frame.top - 16}">'
        f"{_t(name)} ({pct}% interval) · hires</text>"
    )
    for i, row in enumerate(rows):
        out += _row(frame, row, i)
    ly = frame.bottom + 40
    left = frame.left
    out.append(
        f'<circle cx="{left}" cy="{ly}" r="6" fill="#1d4ed8"/>'
        f'<text class="legend" x="{left + 10}" y="{ly + 4}">correlation</text>'
        f'<line x1="{left + 110}" y1="{ly}" x2="{left + 140}" y2="{ly}" stroke="#1f2937" '
        f'stroke-width="2"/><text class="legend" x="{left + 146}" y="{ly + 4}">'
        f"{pct}% interval</text>"
        f'<circle cx="{left + 250}" cy="{ly}" r="6" fill="#ffffff" stroke="#6b7280" '
        'stroke-width="2"/>'
        f'<text class="legend" x="{left + 260}" y="{ly + 4}">interval crosses 0</text>'
    )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text in it is escaped


def _row(frame: _Frame, row: ValidityMark, i: int) -> list[str]:
    cy = frame.top + i * frame.row_h + frame.row_h / 2
    cls = "row-label overall" if row.overall else "row-label"
    out = [
        f'<text class="{cls}" x="{frame.left - 8}" y="{cy + 4:.0f}" text-anchor="end">'
        f"<title>{_t(row.label)}</title>{_t(_clip(row.label, 32))}</text>"
    ]
    if row.overall:
        out.append(
            f'<line class="divider" x1="10" y1="{cy + frame.row_h / 2:.0f}" '
            f'x2="{frame.width - 10}" y2="{cy + frame.row_h / 2:.0f}" stroke="#9ca3af"/>'
        )
    if row.r is None:
        out.append(
            f'<text class="value withheld" x="{frame.values_x}" y="{cy + 4:.0f}">'
            f"<title>{_t(row.reason)}</title>withheld · n = {row.n}</text>"
        )
        return out
    interval = ""
    clear = False
    if row.low is not None and row.high is not None:
        x1, x2 = frame.sx(row.low), frame.sx(row.high)
        out.append(
            f'<g class="whisker"><line x1="{x1:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{cy:.1f}" '
            f'stroke="#1f2937" stroke-width="2"/>'
            f'<line x1="{x1:.1f}" y1="{cy - 7:.1f}" x2="{x1:.1f}" y2="{cy + 7:.1f}" '
            f'stroke="#1f2937" stroke-width="2"/>'
            f'<line x1="{x2:.1f}" y1="{cy - 7:.1f}" x2="{x2:.1f}" y2="{cy + 7:.1f}" '
            f'stroke="#1f2937" stroke-width="2"/></g>'
        )
        interval = f" [{_n(row.low)}, {_n(row.high)}]"
        clear = row.low > 0 or row.high < 0
    fill = "#1d4ed8" if clear else "#ffffff"
    label = f"{row.label}: {_n(row.r)}{interval}, n = {row.n}"
    out.append(
        f'<circle class="validity-mark{"" if clear else " unclear"}" '
        f'cx="{frame.sx(row.r):.1f}" cy="{cy:.1f}" r="6" fill="{fill}" '
        f'stroke="{"#1d4ed8" if clear else "#6b7280"}" stroke-width="2">'
        f"<title>{_t(label)}</title></circle>"
        f'<text class="value" x="{frame.values_x}" y="{cy + 4:.0f}">'
        f"{_n(row.r)}{interval} · n = {row.n}</text>"
    )
    return out
