"""Figures about one interviewer's feedback: how fast it comes, how often it is late, and how
often it agrees with the rest of the panel and with the decision. Plain numbers and
datetimes in, plain numbers out; every share comes with the count it rests on.

Quantiles are Hyndman & Fan's type 7 (the default of R, NumPy and spreadsheets'
PERCENTILE.INC): sort the n values, the p quantile sits at position h = (n - 1) p
(0-based) and is interpolated linearly between the values either side of it. The median is
the usual one; the 90th percentile of 1, 2, 3, 4, 5 is 4.6.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

HIRE_SIDE = {"yes": 1, "strong_yes": 1, "no": -1, "strong_no": -1}
# Time-to-feedback buckets, in hours, for the distribution chart (the last is open-ended).
FEEDBACK_BUCKETS: tuple[tuple[float, float, str], ...] = (
    (0, 1, "under 1 h"),
    (1, 4, "1-4 h"),
    (4, 24, "4-24 h"),
    (24, 48, "1-2 days"),
    (48, 72, "2-3 days"),
    (72, 168, "3-7 days"),
    (168, math.inf, "over 7 days"),
)


def quantile(values: Sequence[float], p: float) -> float | None:
    """The ``p`` quantile (type 7, see the module), or None for no values."""
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    h = (len(ordered) - 1) * p
    below = math.floor(h)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (h - below) * (ordered[above] - ordered[below])


@dataclass(frozen=True)
class Share:
    """``hits`` out of ``n``, with a Wilson score interval (95%)."""

    hits: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.hits, self.n)


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (better than p ± z·se at small n)."""
    if n <= 0:
        return None
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# --- Time to feedback ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackTimes:
    n: int
    median_hours: float | None
    p90_hours: float | None


def hours_to_feedback(ended: datetime, submitted: datetime) -> float:
    """Hours from an interview's end to the scorecard's first submission. A scorecard
    submitted before the interview ended (notes typed live) counts as zero, not negative."""
    return max(0.0, (submitted - ended).total_seconds() / 3600)


def feedback_times(hours: Sequence[float]) -> FeedbackTimes:
    return FeedbackTimes(len(hours), quantile(hours, 0.5), quantile(hours, 0.9))


def feedback_histogram(hours: Iterable[float]) -> list[tuple[str, int]]:
    """How many scorecards fell in each of ``FEEDBACK_BUCKETS`` (lower end included)."""
    counts = [0] * len(FEEDBACK_BUCKETS)
    for value in hours:
        for index, (low, high, _label) in enumerate(FEEDBACK_BUCKETS):
            if low <= value < high:
                counts[index] += 1
                break
    return [
        (label, count) for (_lo, _hi, label), count in zip(FEEDBACK_BUCKETS, counts, strict=True)
    ]


# --- Overdue --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A panel seat: when its interview ended, the requisition's first reminder delay (the
    moment the reminders call the scorecard overdue), and when it was first submitted."""

    ended: datetime
    first_reminder_after: timedelta
    submitted: datetime | None
    escalate_after: timedelta | None = None  # when the recruiter is told as well


def overdue_rate(seats: Iterable[Seat], now: datetime, *, escalated: bool = False) -> Share:
    """Seats whose scorecard went overdue, among the seats that could have: as the
    reminders say (``scorecards.reminders.sweep.is_overdue``), a scorecard is overdue from
    the interview's end plus the first reminder delay until it is submitted. A seat counts
    once its deadline has passed or it was submitted; it is overdue if it was submitted
    after the deadline or is still owed past it.

    ``escalated``: the same with the later deadline at which the reminders tell the
    recruiter too (the requisition's escalation delay); seats without one are skipped."""
    hits = n = 0
    for seat in seats:
        delay = seat.escalate_after if escalated else seat.first_reminder_after
        if delay is None:
            continue
        deadline = seat.ended + delay
        if seat.submitted is None:
            if deadline > now:
                continue  # not due yet: neither on time nor late
            n += 1
            hits += 1
            continue
        n += 1
        hits += seat.submitted > deadline
    return Share(hits, n)


# --- Agreement -----------------------------------------------------------------------------------


def lean(recommendation: str) -> int | None:
    """+1 for a hire-side recommendation, -1 for a no-hire one, None for none."""
    return HIRE_SIDE.get(recommendation)


@dataclass(frozen=True)
class PanelView:
    """One loop from one interviewer's seat: their recommendation and mean rating, and the
    rest of the panel's (one entry per colleague's scorecard)."""

    own_recommendation: str
    own_mean: float | None
    others_recommendations: Sequence[str]
    others_means: Sequence[float]


def panel_agreement(loops: Iterable[PanelView]) -> Share:
    """How often the interviewer leaned the way the rest of the panel's majority leaned.
    Loops where they recommended nothing, or the rest of the panel is split evenly or has no
    leaning, are not counted."""
    hits = n = 0
    for loop in loops:
        own = lean(loop.own_recommendation)
        votes = sum(v for v in (lean(r) for r in loop.others_recommendations) if v is not None)
        if own is None or votes == 0:
            continue
        n += 1
        hits += own == (1 if votes > 0 else -1)
    return Share(hits, n)


@dataclass(frozen=True)
class MeanGap:
    value: float | None  # mean of |own mean rating - rest of panel's mean rating|
    n: int  # loops


def panel_gap(loops: Iterable[PanelView]) -> MeanGap:
    """The mean absolute difference, in rating points, between the interviewer's mean
    rating in a loop and the mean of the rest of the panel's (each colleague's scorecard
    weighs one), over loops where both exist."""
    gaps = [
        abs(loop.own_mean - sum(loop.others_means) / len(loop.others_means))
        for loop in loops
        if loop.own_mean is not None and loop.others_means
    ]
    return MeanGap(sum(gaps) / len(gaps) if gaps else None, len(gaps))


def decision_agreement(pairs: Iterable[tuple[str, str]]) -> Share:
    """How often the interviewer's leaning matched the decision: ``pairs`` of
    (recommendation, decision outcome ``hire``/``no_hire``); no leaning is not counted."""
    hits = n = 0
    for recommendation, outcome in pairs:
        own = lean(recommendation)
        if own is None or outcome not in ("hire", "no_hire"):
            continue
        n += 1
        hits += own == (1 if outcome == "hire" else -1)
    return Share(hits, n)
