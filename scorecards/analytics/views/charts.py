"""SVG charts of the interviewer analytics, in the house style of
``scorecards.manager.charts``: rendered on the server, no JavaScript, no inline style (strict
CSP; colours are presentation attributes and classes styled by ``scorecards/insight.css``),
every mark carrying its number or a label, never colour alone.

Pure functions: plain numbers and names in, escaped SVG markup out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from scorecards.manager.charts import _clip, _t, _whisker

LINE = "#1d4ed8"
BAND = "#bfdbfe"
BAR = "#60a5fa"
ZERO = "#6b7280"
LABELLED_POINTS = 12  # up to this many points, every one prints its value


def svg_head(chart_id: str, cls: str, width: int, height: int, title: str, desc: str) -> str:
    """An insight chart's opening tag with its accessible title and description."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" id="{_t(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_t(chart_id)}-title {_t(chart_id)}-desc">'
        f'<title id="{_t(chart_id)}-title">{_t(title)}</title>'
        f'<desc id="{_t(chart_id)}-desc">{_t(desc)}</desc>'
    )


def _signed(value: float) -> str:
    return f"{value:+.2f}"


# --- Leniency over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    at: dt.datetime
    value: float
    low: float
    high: float
    ratings: int


def leniency_trend(*, points: Sequence[TrendPoint], chart_id: str = "leniency-trend") -> SafeString:
    """Leniency at each refit (line with dots), its 95% interval (shaded band) and zero
    (dashed). Dates on the axis; values printed on the points (all of them up to
    ``LABELLED_POINTS``, else the first, the last and the extremes)."""
    left, right, top, bottom_pad, plot_w, plot_h = 64, 24, 30, 64, 620, 220
    width, height = left + plot_w + right, top + plot_h + bottom_pad
    desc = (
        "Leniency in rating points at each calibration refit (positive: rates higher than "
        "colleagues would for the same candidates), with its 95% interval as a band and zero "
        "as a dashed line."
    )
    out = [svg_head(chart_id, "trend", width, height, "Leniency over time", desc)]
    if not points:
        out.append(f'<text class="legend" x="{left}" y="{top + 20}">No refit yet.</text></svg>')
        return mark_safe("".join(out))  # noqa: S308 - every text is escaped
    lo = min(min(p.low for p in points), 0.0)
    hi = max(max(p.high for p in points), 0.0)
    span = max(hi - lo, 0.5)
    lo, hi = lo - span * 0.08, hi + span * 0.08
    t0 = points[0].at.timestamp()
    t1 = points[-1].at.timestamp()

    def sx(at: dt.datetime) -> float:
        if t1 == t0:
            return left + plot_w / 2
        return left + (at.timestamp() - t0) / (t1 - t0) * plot_w

    def sy(value: float) -> float:
        return top + (hi - value) / (hi - lo) * plot_h

    # Axis: five value ticks and the first and last date.
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        y = sy(value)
        out.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#e5e7eb"/><text class="axis" x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_signed(value)}</text>'
        )
    zero = sy(0.0)
    out.append(
        f'<line class="zero-line" x1="{left}" y1="{zero:.1f}" x2="{left + plot_w}" '
        f'y2="{zero:.1f}" stroke="{ZERO}" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    base = top + plot_h
    for at, anchor in ((points[0].at, "start"), (points[-1].at, "end")):
        out.append(
            f'<text class="axis" x="{sx(at):.1f}" y="{base + 18}" text-anchor="{anchor}">'
            f"{at:%Y-%m-%d}</text>"
        )
    # The band: upper ends left to right, lower ends back.
    if len(points) > 1:
        upper = " ".join(f"{sx(p.at):.1f},{sy(p.high):.1f}" for p in points)
        lower = " ".join(f"{sx(p.at):.1f},{sy(p.low):.1f}" for p in reversed(points))
        out.append(
            f'<polygon class="band" points="{upper} {lower}" fill="{BAND}" fill-opacity="0.7">'
            "<title>95% interval</title></polygon>"
        )
        line = " ".join(f"{sx(p.at):.1f},{sy(p.value):.1f}" for p in points)
        out.append(
            f'<polyline class="trend-line" points="{line}" fill="none" stroke="{LINE}" '
            'stroke-width="2"/>'
        )
    else:
        p = points[0]
        out.append(
            f'<line class="band" x1="{sx(p.at):.1f}" y1="{sy(p.high):.1f}" x2="{sx(p.at):.1f}" '
            f'y2="{sy(p.low):.1f}" stroke="{BAND}" stroke-width="10"/>'
        )
    labelled = _labelled(points)
    for index, p in enumerate(points):
        x, y = sx(p.at), sy(p.value)
        words = (
            f"{p.at:%Y-%m-%d}: {_signed(p.value)} ({_signed(p.low)} to {_signed(p.high)}), "
            f"{p.ratings} ratings"
        )
        out.append(
            f'<g class="point"><title>{_t(words)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>'
        )
        if index in labelled:
            out.append(
                f'<text class="point-value" x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle">'
                f"{_signed(p.value)}</text>"
            )
        out.append("</g>")
    legend_y = base + 44
    out.append(
        f'<line x1="{left}" y1="{legend_y}" x2="{left + 24}" y2="{legend_y}" stroke="{LINE}" '
        f'stroke-width="2"/><text class="legend" x="{left + 30}" y="{legend_y + 4}">leniency</text>'
        f'<rect x="{left + 110}" y="{legend_y - 7}" width="24" height="14" fill="{BAND}"/>'
        f'<text class="legend" x="{left + 140}" y="{legend_y + 4}">95% interval</text>'
        f'<line x1="{left + 240}" y1="{legend_y}" x2="{left + 264}" y2="{legend_y}" '
        f'stroke="{ZERO}" stroke-dasharray="6 4"/>'
        f'<text class="legend" x="{left + 270}" y="{legend_y + 4}">no correction (0)</text>'
    )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


def _labelled(points: Sequence[TrendPoint]) -> set[int]:
    if len(points) <= LABELLED_POINTS:
        return set(range(len(points)))
    values = [p.value for p in points]
    return {0, len(points) - 1, values.index(max(values)), values.index(min(values))}


# --- Time to feedback ---------------------------------------------------------------------


def feedback_distribution(
    *, buckets: Sequence[tuple[str, int]], chart_id: str = "feedback-times"
) -> SafeString:
    """How many scorecards came in within each time band after the interview: one bar per
    band, its count printed on it."""
    left, top, bar_w, gap, plot_h = 20, 30, 76, 14, 160
    width = left * 2 + len(buckets) * (bar_w + gap)
    height = top + plot_h + 48
    total = sum(count for _label, count in buckets)
    desc = (
        f"Scorecards by time from the interview's end to their first submission ({total} in "
        "all); each bar prints its count."
    )
    out = [svg_head(chart_id, "histogram", width, height, "Time to feedback", desc)]
    most = max((count for _label, count in buckets), default=0) or 1
    base = top + plot_h
    for i, (label, count) in enumerate(buckets):
        x = left + i * (bar_w + gap)
        h = count / most * (plot_h - 16)
        out.append(
            f'<g class="bucket"><title>{_t(label)}: {count} scorecards</title>'
            f'<rect class="bar" x="{x}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" '
            f'fill="{BAR}"/>'
            f'<text class="bar-value" x="{x + bar_w / 2:.0f}" y="{base - h - 4:.1f}" '
            f'text-anchor="middle">{count}</text>'
            f'<text class="axis" x="{x + bar_w / 2:.0f}" y="{base + 16}" '
            f'text-anchor="middle">{_t(label)}</text></g>'
        )
    out.append(
        f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#9ca3af"/></svg>'
    )
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped


# --- Reliability per dimension ------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityRow:
    label: str
    icc: float | None
    low: float | None
    high: float | None
    candidates: int  # behind the ICC: rated twice or more (without one: rated at all)


def reliability(*, rows: Sequence[ReliabilityRow], chart_id: str = "reliability") -> SafeString:
    """ICC(1) per dimension (dot) with its 95% interval (whiskers) on an axis from -0.5 to
    1, values and the number of candidates printed at the right."""
    left, top, plot_w, row_h, right = 250, 40, 360, 30, 340
    width, height = left + plot_w + right, top + row_h * max(len(rows), 1) + 30
    axis_lo, axis_hi = -0.5, 1.0

    def sx(value: float) -> float:
        value = min(max(value, axis_lo), axis_hi)
        return left + (value - axis_lo) / (axis_hi - axis_lo) * plot_w

    desc = (
        "Inter-rater reliability per dimension: the one-way intraclass correlation ICC(1) of "
        "single ratings (dot) with its 95% interval (whiskers); 0 means no agreement beyond "
        "chance, 1 perfect agreement. Values and the candidates behind them at the right."
    )
    out = [svg_head(chart_id, "reliability", width, height, "Agreement between interviewers", desc)]
    bottom = top + row_h * len(rows)
    for tick in (-0.5, 0.0, 0.5, 1.0):
        x = sx(tick)
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{ZERO if tick == 0 else "#e5e7eb"}"/>'
            f'<text class="axis" x="{x:.1f}" y="{top - 12}" text-anchor="middle">{tick:g}</text>'
        )
    for i, row in enumerate(rows):
        cy = top + i * row_h + row_h / 2
        out.append(
            f'<text class="row-label" x="{left - 8}" y="{cy + 4:.0f}" text-anchor="end">'
            f"{_t(_clip(row.label, 36))}</text>"
        )
        if row.icc is None:
            out.append(
                f'<text class="value" x="{left + plot_w + 10}" y="{cy + 4:.0f}">'
                f"no ICC: too few of {row.candidates} candidates rated twice</text>"
            )
            continue
        interval = ""
        if row.low is not None and row.high is not None:
            out.append(_whisker(sx(row.low), sx(row.high), cy))
            interval = f" ({row.low:.2f} to {row.high:.2f})"
        out.append(
            f'<circle class="icc-mark" cx="{sx(row.icc):.1f}" cy="{cy:.1f}" r="6" fill="{LINE}">'
            f"<title>ICC {row.icc:.2f}{_t(interval)}</title></circle>"
            f'<text class="value" x="{left + plot_w + 10}" y="{cy + 4:.0f}">'
            f"{row.icc:.2f}{_t(interval)} · {row.candidates} candidates</text>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 - every text is escaped
