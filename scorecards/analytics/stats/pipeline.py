"""The pipeline report's maths (issue 18): quantiles, weekly snapshots of loops by stage, time
spent in each stage, pass-through by interview-plan slot, and recommendations against
decisions. Plain numbers, dates and strings in and out: no Django, so every figure can be
checked by hand.

A loop's history is a list of ``Change(at, to)`` in time order: the stage it entered and
when. Its first change is the stage it was created in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

WEEK = dt.timedelta(days=7)
DAY_SECONDS = 86400.0


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    to: str


@dataclass(frozen=True)
class Spread:
    """A median and 90th percentile of ``n`` values (None when there are none)."""

    n: int
    median: float | None
    p90: float | None


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, interpolating linearly between the two
    nearest ranks (the usual definition, numpy's default): the median of 1, 2, 3, 10 is 2.5,
    its 90th percentile 7.9. None for no values."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q is between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> Spread:
    return Spread(n=len(values), median=quantile(values, 0.5), p90=quantile(values, 0.9))


def week_start(moment: dt.datetime) -> dt.datetime:
    """Midnight of the Monday starting ``moment``'s week, in ``moment``'s own zone."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=day.weekday())


def weeks(first: dt.datetime, now: dt.datetime, limit: int = 52) -> list[dt.datetime]:
    """The Mondays of the weeks from ``first``'s to ``now``'s, the last ``limit`` of them."""
    start, end = week_start(first), week_start(now)
    out = []
    while start <= end:
        out.append(start)
        start += WEEK
    return out[-limit:]


def stage_at(history: Sequence[Change], moment: dt.datetime) -> str | None:
    """The stage a loop was in at ``moment`` (None: it did not exist yet)."""
    stage = None
    for change in history:
        if change.at > moment:
            break
        stage = change.to
    return stage


def weekly_counts(
    histories: Iterable[Sequence[Change]], week_starts: Sequence[dt.datetime], now: dt.datetime
) -> list[Counter[str]]:
    """For each week, how many loops were in each stage at its end (the current week: now)."""
    ends = [min(start + WEEK, now) for start in week_starts]
    counts: list[Counter[str]] = [Counter() for _ in week_starts]
    for history in histories:
        for i, end in enumerate(ends):
            stage = stage_at(history, end)
            if stage is not None:
                counts[i][stage] += 1
    return counts


def stays(history: Sequence[Change], terminal: frozenset[str]) -> list[tuple[str, float]]:
    """Each finished stay of a loop in a stage that is not ``terminal``, in days: the stage it
    is in now has no end yet, so it is left out (it would only shorten the figures)."""
    entered = [
        change for i, change in enumerate(history) if i == 0 or history[i - 1].to != change.to
    ]
    return [
        (current.to, (following.at - current.at).total_seconds() / DAY_SECONDS)
        for current, following in itertools.pairwise(entered)
        if current.to not in terminal
    ]


def time_in_stages(
    histories: Iterable[Sequence[Change]], terminal: frozenset[str]
) -> dict[str, Spread]:
    """Per stage, the median and 90th percentile of finished stays, in days."""
    days: dict[str, list[float]] = {}
    for history in histories:
        for stage, length in stays(history, terminal):
            days.setdefault(stage, []).append(length)
    return {stage: spread(values) for stage, values in days.items()}


def days_between(pairs: Iterable[tuple[dt.datetime, dt.datetime]]) -> Spread:
    """Median and 90th percentile of the days from each pair's first moment to its second
    (pairs whose second comes first are left out: nothing was decided after no interview)."""
    return spread(
        [(end - start).total_seconds() / DAY_SECONDS for start, end in pairs if end >= start]
    )


@dataclass(frozen=True)
class SlotPassage:
    """Of the ``reached`` loops that had a slot's interview, how many went on to the next
    slot's (None for the last slot) and how many were hired."""

    key: str
    reached: int
    went_on: int | None
    hired: int

    @property
    def went_on_share(self) -> float | None:
        return None if self.went_on is None or not self.reached else self.went_on / self.reached

    @property
    def hired_share(self) -> float | None:
        return self.hired / self.reached if self.reached else None


def pass_through(
    slots: Sequence[str], reached: Mapping[str, set[int]], hired: set[int]
) -> list[SlotPassage]:
    """``slots`` in plan order; ``reached`` maps each slot to the loops that had its
    interview; ``hired`` the loops decided "hire"."""
    out = []
    for i, slot in enumerate(slots):
        loops = reached.get(slot, set())
        following = reached.get(slots[i + 1], set()) if i + 1 < len(slots) else None
        out.append(
            SlotPassage(
                key=slot,
                reached=len(loops),
                went_on=None if following is None else len(loops & following),
                hired=len(loops & hired),
            )
        )
    return out


HIRE, NO_HIRE, MIXED = "hire", "no_hire", "mixed"
RECOMMENDED = (HIRE, NO_HIRE, MIXED)
DECIDED = (HIRE, NO_HIRE)


@dataclass(frozen=True)
class Agreement:
    """Recommendations against decisions: ``cells[(recommended, decided)]`` counts loops."""

    cells: Mapping[tuple[str, str], int]

    def count(self, recommended: str, decided: str) -> int:
        return self.cells.get((recommended, decided), 0)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def clear(self) -> int:
        """Decisions made against a clear recommendation (hire or no hire, not mixed)."""
        return sum(self.count(r, d) for r in DECIDED for d in DECIDED)

    @property
    def hired_against(self) -> int:
        """Hired although the panel recommended no hire."""
        return self.count(NO_HIRE, HIRE)

    @property
    def declined_against(self) -> int:
        """Not hired although the panel recommended hire."""
        return self.count(HIRE, NO_HIRE)

    @property
    def against(self) -> int:
        return self.hired_against + self.declined_against

    @property
    def against_share(self) -> float | None:
        return self.against / self.clear if self.clear else None


def agreement(pairs: Iterable[tuple[str, str]]) -> Agreement:
    """Count (recommended, decided) pairs; unknown codes raise, so nothing is miscounted."""
    cells: Counter[tuple[str, str]] = Counter()
    for recommended, decided in pairs:
        if recommended not in RECOMMENDED or decided not in DECIDED:
            raise ValueError(f"unknown pair {recommended!r}, {decided!r}")
        cells[(recommended, decided)] += 1
    return Agreement(cells=dict(cells))
