"""SVG charts of the pipeline analytics (issue 18), in the house style of
``scorecards.manager.charts``: rendered on the server, no JavaScript, no inline style (strict
CSP: colours are presentation attributes), every mark carrying its number and a label, never
colour alone.

Pure functions: plain numbers and names in, escaped SVG markup out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from scorecards.analytics.views.charts import svg_head
from scorecards.manager.charts import _clip, _t

# One colour per stage, open stages in blues and greens, closed ones in greys and amber;
# every segment also prints its count and the legend names each colour.
STAGE_FILLS = {
    "scheduling": "#bfdbfe",
    "in_progress": "#60a5fa",
    "awaiting_feedback": "#fde68a",
    "ready_for_debrief": "#86efac",
    "decided": "#9ca3af",
    "withdrawn": "#e5e7eb",
}
MEDIAN_FILL = "#60a5fa"
P90_STROKE = "#1e3a8a"


def _days(value: float) -> str:
    return f"{value:.1f} d"


@dataclass(frozen=True)
class WeekBar:
    label: str  # the week's Monday, "2 Nov"
    counts: dict[str, int]  # stage code -> loops


def stages_over_time(
    *, weeks: Sequence[WeekBar], stages: Sequence[tuple[str, str]], chart_id: str = "stages"
) -> SafeString:
    """A stacked bar per week: how many loops were in each stage at the week's end, each
    segment printing its count (when it is tall enough to hold it; its tooltip always
    does) and each bar its total on top; the legend names every stage."""
    left, top, plot_h, bar_w, gap = 48, 28, 240, 34, 10
    legend_h = 28 * ((len(stages) + 2) // 3)
    width = max(left + (bar_w + gap) * max(len(weeks), 1) + 24, 620)
    height = top + plot_h + 44 + legend_h
    peak = max((sum(w.counts.values()) for w in weeks), default=0) or 1
    scale = plot_h / peak
    desc = (
        "For each week, the loops in each stage at the end of the week (the current week: "
        "now), stacked; each segment prints its number of loops and each bar its total."
    )
    out = [svg_head(chart_id, "stages", width, height, "Loops by stage over time", desc)]
    bottom = top + plot_h
    out.append(
        f'<line class="axis-line" x1="{left - 4}" y1="{bottom}" x2="{width - 16}" '
        f'y2="{bottom}" stroke="#6b7280"/>'
        f'<text class="axis" x="{left - 8}" y="{bottom + 4}" text-anchor="end">0</text>'
        f'<text class="axis" x="{left - 8}" y="{top + 4}" text-anchor="end">{peak}</text>'
    )
    for i, week in enumerate(weeks):
        x = left + i * (bar_w + gap)
        y = float(bottom)
        for code, label in stages:
            count = week.counts.get(code, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            out.append(
                f'<g class="segment stage-{_t(code)}"><title>Week of {_t(week.label)}: '
                f"{count} {_t(label.lower())}</title>"
                f'<rect x="{x}" y="{y:.1f}" width="{bar_w}" height="{h:.1f}" '
                f'fill="{STAGE_FILLS.get(code, "#d1d5db")}" stroke="#ffffff"/>'
            )
            if h >= 14:
                out.append(
                    f'<text class="bar-value" x="{x + bar_w / 2:.0f}" y="{y + h / 2 + 4:.1f}" '
                    f'text-anchor="middle">{count}</text>'
                )
            out.append("</g>")
        total = sum(week.counts.values())
        out.append(
            f'<text class="total" x="{x + bar_w / 2:.0f}" y="{y - 4:.1f}" '
            f'text-anchor="middle">{total}</text>'
            f'<text class="axis week" x="{x + bar_w / 2:.0f}" y="{bottom + 16}" '
            f'text-anchor="middle">{_t(week.label)}</text>'
        )
    legend_y = bottom + 40
    for j, (code, label) in enumerate(stages):
        lx, ly = 10 + (j % 3) * 200, legend_y + (j // 3) * 28
        out.append(
            f'<rect x="{lx}" y="{ly}" width="18" height="18" rx="3" '
            f'fill="{STAGE_FILLS.get(code, "#d1d5db")}" stroke="#6b7280"/>'
            f'<text class="legend" x="{lx + 24}" y="{ly + 14}">{_t(label)}</text>'
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped


@dataclass(frozen=True)
class StageBar:
    label: str
    n: int
    median: float | None  # days
    p90: float | None


def time_in_stage(*, rows: Sequence[StageBar], chart_id: str = "time-in-stage") -> SafeString:
    """A bar per stage for the median days spent in it, a tick at the 90th percentile, and
    both printed with the number of stays behind them."""
    left, top, plot_w, row_h, right = 170, 20, 360, 36, 330
    width, height = left + plot_w + right, top + row_h * max(len(rows), 1) + 20
    longest = max((r.p90 or r.median or 0.0 for r in rows), default=0.0) or 1.0
    desc = (
        "For each open stage, the median days a loop spent in it (bar) and the 90th "
        "percentile (tick), over the stays that are over; each bar prints both and how many "
        "stays they come from."
    )
    out = [svg_head(chart_id, "time-in-stage", width, height, "Time in each stage", desc)]
    for i, row in enumerate(rows):
        cy = top + i * row_h + row_h / 2
        out.append(
            f'<text class="row-label" x="{left - 8}" y="{cy + 4:.0f}" text-anchor="end">'
            f"{_t(_clip(row.label, 24))}</text>"
        )
        if row.median is None:
            out.append(
                f'<text class="value" x="{left + 4}" y="{cy + 4:.0f}">no finished stays</text>'
            )
            continue
        w = max(row.median / longest * plot_w, 1.0)
        text = f"median {_days(row.median)}"
        out.append(
            f'<g class="bar"><title>{_t(row.label)}: {text}</title>'
            f'<rect x="{left}" y="{cy - 10:.0f}" width="{w:.1f}" height="20" '
            f'fill="{MEDIAN_FILL}"/></g>'
        )
        if row.p90 is not None:
            px = left + row.p90 / longest * plot_w
            text += f", 90th percentile {_days(row.p90)}"
            out.append(
                f'<line class="p90" x1="{px:.1f}" y1="{cy - 13:.0f}" x2="{px:.1f}" '
                f'y2="{cy + 13:.0f}" stroke="{P90_STROKE}" stroke-width="3">'
                f"<title>90th percentile {_days(row.p90)}</title></line>"
            )
        out.append(
            f'<text class="value" x="{left + plot_w + 12}" y="{cy + 4:.0f}">'
            f"{_t(text)} · n={row.n}</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
