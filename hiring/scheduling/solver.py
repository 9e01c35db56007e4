"""Proposed schedules: every slot of an interview plan placed, with its interviewer, inside the
candidate's availability and the interviewers' free time. Pure code (no Django, no ORM): the
caller turns plans, meeting hours, busy blocks and calibration into the dataclasses below.

The search is OR-Tools' CP-SAT, an exact constraint solver: what it returns satisfies every
hard constraint by construction, and :func:`violations` checks each proposal again,
independently of the model, before it is returned (the property tests compare it with a
brute-force search on small instances). The hard constraints:

- every slot is placed, on the ``step``-minute grid, inside one of the candidate's windows;
- each slot has one interviewer from its pool, free from ``buffer_before`` minutes before
  the slot to ``buffer_after`` minutes after it (free: inside their meeting hours and outside
  busy time and other interviews, which the caller has already subtracted; an interviewer
  whose calendar is unknown is given no free time);
- nobody sits on two slots of the same loop, so nobody is double-booked by a proposal;
- no interviewer goes over their interviews per day or per week, counting what they already
  have on that day or week (``booked``) in their own time zone;
- the candidate is never in two interviews at once, and the buffers of consecutive slots do
  not overlap;
- a slot with ``after`` starts once that slot (and both buffers) ended; with ``same_day``
  it is on the same calendar day as it, in the candidate's time zone.

Among the feasible schedules the ranking prefers, in this order of weight: fewer days for
the candidate; a shorter span (fewer and shorter gaps); lighter-loaded interviewers; and
calibration-aware panels: at least one interviewer whose leniency is well estimated, not
every known leniency leaning the same way, and a new interviewer joining calibrated ones
(their first scorecards then connect them to the calibrated graph). Each proposal says in
words what it gives and what it trades.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from ortools.sat.python import cp_model

# Leniency (rating points) beyond which an interviewer is said to lean lenient or harsh, and
# the posterior sd under which their leniency counts as well estimated.
LEAN = 0.25
WELL_ESTIMATED_SE = 0.35
# Objective weights: one day more costs more than any span or load difference can gain.
DAY_WEIGHT = 10_000
SPAN_WEIGHT = 2  # per grid step of the candidate's span
LOAD_WEIGHT = 3  # per interview the chosen interviewer already has in that week
NO_WELL_ESTIMATED_PENALTY = 60
SAME_LEAN_PENALTY = 80
CONNECT_BONUS = 30
CROWD_OF_NEW_PENALTY = 40  # per new interviewer beyond the second on one panel
# Each proposal's search stops once it is within ABSOLUTE_GAP of the proven best, or after
# its time with the best found so far (still a valid proposal; the result says when the
# search was cut short before finding as many as asked). A one-day model is small and
# starts from a greedy schedule; the model over every day gets longer.
SECONDS_PER_SOLVE = 0.1
SECONDS_PER_SOLVE_ALL_DAYS = 1.0
ABSOLUTE_GAP = 10
SHORTLIST = 8  # interviewers per slot tried first


@dataclass(frozen=True)
class Slot:
    key: str
    title: str
    minutes: int
    pool: tuple[int, ...]  # eligible interviewer ids (only the hiring manager's, when required)
    buffer_before: int = 0
    buffer_after: int = 0
    after: str | None = None  # the key of a slot this one must follow
    same_day: bool = False  # ... on the same day as that slot


@dataclass(frozen=True)
class Interviewer:
    id: int
    name: str
    zone: str  # their time zone: the days their limits count in
    free: tuple[tuple[datetime, datetime], ...]  # aware instants
    day_limit: int = 3
    week_limit: int = 8
    booked: Mapping[date, int] = field(default_factory=dict)  # interviews already, by day
    leniency: float | None = None  # None: no calibrated ratings yet
    leniency_se: float | None = None


@dataclass(frozen=True)
class Request:
    slots: tuple[Slot, ...]
    interviewers: Mapping[int, Interviewer]
    windows: tuple[tuple[datetime, datetime], ...]  # the candidate's availability
    candidate_zone: str = "UTC"
    step: int = 15  # minutes
    count: int = 5
    # False: panels for load balance and the candidate's day only (the calibration terms off)
    calibration_aware: bool = True


@dataclass(frozen=True)
class Placement:
    slot: Slot
    interviewer: Interviewer
    starts_at: datetime

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.slot.minutes)


@dataclass(frozen=True)
class Proposal:
    placements: tuple[Placement, ...]  # in time order
    score: int  # lower is better
    reasons: tuple[str, ...]  # in words: why these times and people, what it trades


@dataclass(frozen=True)
class Result:
    proposals: tuple[Proposal, ...]
    problems: tuple[str, ...]  # why nothing (or fewer than asked) could be proposed


# --- Checking a proposal, independently of the solver -----------------------------------


def _inside(start: datetime, end: datetime, windows: Sequence[tuple[datetime, datetime]]) -> bool:
    return any(low <= start and end <= high for low, high in windows)


def _day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _week(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def violations(request: Request, proposal: Proposal) -> list[str]:
    """Every hard constraint ``proposal`` breaks, in words (none: it may be booked)."""
    found: list[str] = []
    placed = [p.slot.key for p in proposal.placements]
    if sorted(placed) != sorted(s.key for s in request.slots):
        found.append("not every slot is placed exactly once")
    people = [p.interviewer.id for p in proposal.placements]
    if len(set(people)) != len(people):
        found.append("an interviewer sits on two slots")
    for placement in proposal.placements:
        found += _placement_violations(request, placement)
    found += _sequence_violations(request, proposal.placements)
    return found


def _placement_violations(request: Request, placement: Placement) -> list[str]:
    """What is wrong with one slot's time and interviewer on their own."""
    slot, person, start = placement.slot, placement.interviewer, placement.starts_at
    found = []
    if person.id not in slot.pool:
        found.append(f"{person.name} is not in the pool of {slot.title}")
    if start.timestamp() % (request.step * 60):
        found.append(f"{slot.title} is off the {request.step}-minute grid")
    if not _inside(start, placement.ends_at, request.windows):
        found.append(f"{slot.title} is outside the candidate's availability")
    busy_from = start - timedelta(minutes=slot.buffer_before)
    busy_to = placement.ends_at + timedelta(minutes=slot.buffer_after)
    if not _inside(busy_from, busy_to, person.free):
        found.append(f"{person.name} is not free for {slot.title}")
    found += _limit_violations(person, _day(start, person.zone))
    return found


def _limit_violations(person: Interviewer, day: date) -> list[str]:
    """What one more interview on ``day`` would break of ``person``'s limits."""
    found = []
    if person.booked.get(day, 0) + 1 > person.day_limit:
        found.append(f"{person.name} would go over {person.day_limit} interviews on {day}")
    week = sum(n for d, n in person.booked.items() if _week(d) == _week(day))
    if week + 1 > person.week_limit:
        found.append(f"{person.name} would go over {person.week_limit} interviews that week")
    return found


def _sequence_violations(request: Request, placements: Sequence[Placement]) -> list[str]:
    """Overlaps for the candidate (buffers included) and broken order constraints."""
    found = []
    for a, b in itertools.combinations(placements, 2):
        first, second = (a, b) if a.starts_at <= b.starts_at else (b, a)
        gap_needed = timedelta(minutes=first.slot.buffer_after + second.slot.buffer_before)
        if second.starts_at < first.ends_at + gap_needed:
            found.append(f"{first.slot.title} and {second.slot.title} overlap for the candidate")
    by_key = {p.slot.key: p for p in placements}
    zone = request.candidate_zone
    for p in placements:
        before = by_key.get(p.slot.after or "")
        if before is None:
            continue
        gap = timedelta(minutes=before.slot.buffer_after + p.slot.buffer_before)
        if p.starts_at < before.ends_at + gap:
            found.append(f"{p.slot.title} does not come after {before.slot.title}")
        if p.slot.same_day and _day(p.starts_at, zone) != _day(before.starts_at, zone):
            found.append(f"{p.slot.title} is not on the same day as {before.slot.title}")
    return found


# --- The search ----------------------------------------------------------------------------


class _Grid:
    """Instants as whole steps from the start of the candidate's first window."""

    def __init__(self, request: Request) -> None:
        step = timedelta(minutes=request.step)
        first = min(low for low, _ in request.windows)
        epoch = datetime(1970, 1, 1, tzinfo=first.tzinfo)
        self.origin = epoch + ((first - epoch) // step) * step  # on the grid, at or before
        self.step = step
        self.size = (max(high for _, high in request.windows) - self.origin) // step + 1
        # Every grid instant as epoch seconds, for the vectorised checks below.
        base, seconds = self.origin.timestamp(), step.total_seconds()
        self.seconds = base + seconds * np.arange(self.size, dtype=np.float64)
        self._days: dict[str, np.ndarray] = {}

    def at(self, index: int) -> datetime:
        return self.origin + index * self.step

    def after(self, minutes: int) -> int:
        """The fewest whole steps that last at least ``minutes``."""
        return -(-timedelta(minutes=minutes) // self.step)

    def days(self, zone: str) -> np.ndarray:
        """Each grid instant's calendar day in ``zone``, as a proleptic ordinal."""
        if zone not in self._days:
            tz = ZoneInfo(zone)
            self._days[zone] = np.array(
                [self.at(i).astimezone(tz).date().toordinal() for i in range(self.size)]
            )
        return self._days[zone]


@functools.lru_cache(maxsize=4096)
def _merged(windows: tuple[tuple[datetime, datetime], ...]) -> tuple[np.ndarray, np.ndarray]:
    """``windows`` as sorted epoch seconds, overlapping or touching ones merged."""
    merged: list[list[float]] = []
    for low, high in sorted((a.timestamp(), b.timestamp()) for a, b in windows):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return np.array([m[0] for m in merged]), np.array([m[1] for m in merged])


def _covered(
    grid: _Grid, windows: tuple[tuple[datetime, datetime], ...], before: float, after: float
) -> np.ndarray:
    """For each grid start: is ``[start - before, start + after]`` (seconds) inside one of
    ``windows``? Exact, whatever the windows' alignment: each start is looked up among the
    merged windows."""
    lows, highs = _merged(windows)
    if not len(lows):
        return np.zeros(grid.size, dtype=bool)
    begin, end = grid.seconds - before, grid.seconds + after
    index = np.searchsorted(lows, begin, side="right") - 1
    inside = index >= 0
    return inside & (highs[np.maximum(index, 0)] >= end)


def _allowed_starts(request: Request, grid: _Grid, slot: Slot, person: Interviewer) -> list[int]:
    """The grid starts at which ``person`` may take ``slot``: inside the candidate's
    windows, free with the buffers, and under their day and week limits."""
    length = slot.minutes * 60
    ok = _covered(grid, request.windows, 0, length)
    ok &= _covered(grid, person.free, slot.buffer_before * 60, length + slot.buffer_after * 60)
    days = grid.days(person.zone)
    blocked = [
        day.toordinal()
        for day in {date.fromordinal(int(d)) for d in np.unique(days[ok])}
        if _limit_violations(person, day)
    ]
    if blocked:
        ok &= ~np.isin(days, blocked)
    return [int(i) for i in np.flatnonzero(ok)]


def _week_load(person: Interviewer, grid: _Grid) -> int:
    """Interviews ``person`` already has in the weeks the candidate's windows touch."""
    first, last = _day(grid.at(0), person.zone), _day(grid.at(grid.size - 1), person.zone)
    weeks = {_week(first + timedelta(days=n)) for n in range((last - first).days + 1)}
    return sum(n for d, n in person.booked.items() if _week(d) in weeks)


def propose(request: Request) -> Result:
    """The best ``request.count`` complete schedules, best first, each checked by
    :func:`violations`; with the problems in words when there are fewer."""
    problems = _request_problems(request)
    if problems:
        return Result((), tuple(problems))
    grid = _Grid(request)
    allowed: dict[tuple[str, int], list[int]] = {}
    for slot in request.slots:
        for pk in slot.pool:
            person = request.interviewers.get(pk)
            starts = _allowed_starts(request, grid, slot, person) if person else []
            if starts:
                allowed[slot.key, pk] = starts
        if not any(key == slot.key for key, _ in allowed):
            problems.append(
                f"Nobody in the pool of {slot.title} is free (and under their limits) while "
                "the candidate is available."
            )
    if problems:
        return Result((), tuple(problems))
    proposals, timed_out = _search(request, grid, allowed)
    if timed_out and len(proposals) < request.count:
        problems.append(
            "The search ran out of time before finding as many schedules as asked: there "
            "may be more than these."
        )
    elif not proposals:
        problems.append(
            "No complete schedule fits: the slots cannot all be placed with free "
            "interviewers inside the candidate's availability (try more windows or larger "
            "pools)."
        )
    elif len(proposals) < request.count:
        problems.append(f"Only {len(proposals)} different schedules fit.")
    return Result(tuple(proposals), tuple(problems))


def _search(
    request: Request, grid: _Grid, allowed: dict[tuple[str, int], list[int]]
) -> tuple[list[Proposal], bool]:
    """The best proposals, and whether a search was cut short. One-day schedules are
    searched first, one small model per day (fewest days comes first in the ranking, and
    other days are the alternatives a recruiter wants); only when they are fewer than asked
    does one model over every day look for the rest, multi-day schedules included."""
    days = grid.days(request.candidate_zone)
    keys = {slot.key for slot in request.slots}
    found: list[tuple[Proposal, _Model]] = []
    timed_out = False
    for day in np.unique(days):
        on_day = {k: [t for t in v if days[t] == day] for k, v in allowed.items()}
        on_day = {k: v for k, v in on_day.items() if v}
        if {key for key, _ in on_day} != keys:
            continue
        model, first = _widening(request, grid, on_day, 1)
        timed_out |= model.timed_out
        if first:
            found.append((first[0], model))
    found.sort(key=lambda pair: pair[0].score)
    proposals = [proposal for proposal, _ in found[: request.count]]
    for _, model in found:  # more from the best days, when there are fewer days than asked
        if len(proposals) >= request.count:
            break
        proposals += _best(request, model, request.count - len(proposals))
        timed_out |= model.timed_out
    if len(proposals) < request.count:
        model = _Model(request, grid, allowed, SECONDS_PER_SOLVE_ALL_DAYS)
        for proposal in proposals:
            model.exclude(_found_of(proposal, grid))
        proposals += _best(request, model, request.count - len(proposals))
        timed_out |= model.timed_out
    proposals.sort(key=lambda p: p.score)
    return proposals, timed_out


def _widening(
    request: Request, grid: _Grid, allowed: dict[tuple[str, int], list[int]], count: int
) -> tuple[_Model, list[Proposal]]:
    """Each slot's pool cut first to its most suitable interviewers (lightest loaded,
    calibration-useful, most free), since a big pool makes the same schedules with far more
    variables; widened, up to everyone, while fewer than ``count`` proposals come out, so
    nothing that fits is missed."""
    for width in (SHORTLIST, SHORTLIST * 4, None):
        chosen = _shortlist(request, grid, allowed, width)
        model = _Model(request, grid, chosen)
        model.hint(_greedy(request, grid, chosen))
        proposals = _best(request, model, count)
        if len(proposals) == count or chosen == allowed:
            break
    return model, proposals


def _found_of(proposal: Proposal, grid: _Grid) -> _Found:
    """A proposal back on the grid, to exclude it from another model of the same request."""
    return _Found(
        starts={p.slot.key: (p.starts_at - grid.origin) // grid.step for p in proposal.placements},
        people={p.slot.key: p.interviewer.id for p in proposal.placements},
        score=proposal.score,
    )


def _best(request: Request, model: _Model, count: int) -> list[Proposal]:
    """The model's next ``count`` best proposals, each checked by :func:`violations`."""
    proposals: list[Proposal] = []
    while len(proposals) < count and (found := model.solve()) is not None:
        proposal = _describe(request, found, model)
        broken = violations(request, proposal)
        if broken:  # the model and the check disagree: a bug, never shown as a proposal
            raise AssertionError(f"solver proposal breaks: {broken}")
        proposals.append(proposal)
        model.exclude(found)
        model.hint(found)  # excluded now, but the search repairs it into the next one
    return proposals


def _greedy(
    request: Request, grid: _Grid, allowed: dict[tuple[str, int], list[int]]
) -> _Found | None:
    """A first schedule to start the search from: day by day, the slots in plan order (a
    slot after the one it follows), each at the earliest start where someone not yet on the
    panel is free. None when no single day takes them all."""
    order = _plan_order(request.slots)
    days = grid.days(request.candidate_zone)
    free_at = {key: set(starts) for key, starts in allowed.items()}
    for day in sorted(set(days.tolist())):
        on_day = np.flatnonzero(days == day)
        cursor = int(on_day[0])
        starts: dict[str, int] = {}
        people: dict[str, int] = {}
        previous: Slot | None = None
        for slot in order:
            if previous is not None:
                cursor = starts[previous.key] + grid.after(
                    previous.minutes + previous.buffer_after + slot.buffer_before
                )
            placed = _earliest(slot, cursor, int(on_day[-1]), free_at, set(people.values()))
            if placed is None:
                break
            starts[slot.key], people[slot.key] = placed
            previous = slot
        else:
            return _Found(starts, people, 0)
    return None


def _earliest(
    slot: Slot, low: int, high: int, free_at: dict[tuple[str, int], set[int]], taken: set[int]
) -> tuple[int, int] | None:
    for t in range(low, high + 1):
        for (key, pk), starts in free_at.items():
            if key == slot.key and pk not in taken and t in starts:
                return t, pk
    return None


def _plan_order(slots: Sequence[Slot]) -> list[Slot]:
    """The slots in plan order, each after the slot it must follow."""
    placed: list[Slot] = []
    waiting = list(slots)
    while waiting:
        ready = [s for s in waiting if s.after is None or s.after in {p.key for p in placed}]
        if not ready:  # a cycle: the model will prove it infeasible
            return placed + waiting
        placed.append(ready[0])
        waiting.remove(ready[0])
    return placed


def _shortlist(
    request: Request, grid: _Grid, allowed: dict[tuple[str, int], list[int]], width: int | None
) -> dict[tuple[str, int], list[int]]:
    """Each slot's ``width`` most suitable interviewers (all of them when ``width`` is
    None): lightest loaded first, then those whose leniency is well estimated, then new
    ones (calibration wants both), then whoever is free most often."""
    if width is None:
        return allowed

    def cost(pk: int, starts: list[int]) -> float:
        person = request.interviewers[pk]
        lean = abs(person.leniency) >= LEAN if person.leniency is not None else False
        calibration = (
            -(20 if _well_estimated(person) else 0)
            - (10 if person.leniency is None else 0)
            + (15 if lean else 0)
        )
        return (
            LOAD_WEIGHT * _week_load(person, grid)
            + (calibration if request.calibration_aware else 0)
            - len(starts) / 20
        )

    kept: dict[tuple[str, int], list[int]] = {}
    for slot in request.slots:
        mine = [(cost(pk, starts), pk, starts) for (key, pk), starts in allowed.items()
                if key == slot.key]  # fmt: skip
        for _, pk, starts in sorted(mine)[:width]:
            kept[slot.key, pk] = starts
    return kept


def _request_problems(request: Request) -> list[str]:
    if not request.slots:
        return ["The plan has no slots."]
    if not request.windows:
        return ["The candidate has given no availability."]
    keys = {s.key for s in request.slots}
    problems = [
        f"{slot.title} must follow a slot that is not in the plan."
        for slot in request.slots
        if slot.after is not None and slot.after not in keys
    ]
    people = {pk for slot in request.slots for pk in slot.pool if pk in request.interviewers}
    if len(people) < len(request.slots):
        problems.append(
            f"The plan needs {len(request.slots)} different interviewers (nobody sits on two "
            f"interviews of one loop) and its pools hold only {len(people)}: widen the pools."
        )
    return problems


@dataclass(frozen=True)
class _Found:
    starts: dict[str, int]
    people: dict[str, int]
    score: int


class _Model:
    """Time-indexed: ``y[slot, t]`` says the slot starts at grid step ``t``, ``x[slot, i]``
    that interviewer ``i`` takes it. Every constraint is linear in them, and exact in
    minutes (gaps are rounded up to whole steps once, from their total)."""

    def __init__(
        self,
        request: Request,
        grid: _Grid,
        allowed: dict[tuple[str, int], list[int]],
        seconds: float = SECONDS_PER_SOLVE,
    ) -> None:
        self.request, self.grid = request, grid
        m = self.model = cp_model.CpModel()
        day_of = grid.days(request.candidate_zone)
        per_block = max(1, 120 // request.step)  # two-hour blocks, for telling proposals apart
        self.y: dict[str, dict[int, cp_model.IntVar]] = {}
        self.start: dict[str, cp_model.LinearExpr] = {}
        self.day: dict[str, cp_model.LinearExpr] = {}
        self.block: dict[str, dict[int, list[cp_model.IntVar]]] = {}
        self.chosen: dict[tuple[str, int], cp_model.IntVar] = {}
        for slot in request.slots:
            possible = sorted({t for (key, _), starts in allowed.items() if key == slot.key
                               for t in starts})  # fmt: skip
            y = {t: m.new_bool_var(f"y_{slot.key}_{t}") for t in possible}
            m.add_exactly_one(y.values())
            self.y[slot.key] = y
            # The start and the day as integers tied to ``y`` once, so that the order and
            # overlap constraints below stay two-term.
            start = m.new_int_var(min(possible), max(possible), f"t_{slot.key}")
            m.add(start == cp_model.LinearExpr.weighted_sum(list(y.values()), possible))
            self.start[slot.key] = start
            first_day = int(day_of[0])
            offsets = [int(day_of[t]) - first_day for t in possible]
            day = m.new_int_var(min(offsets), max(offsets), f"d_{slot.key}")
            m.add(day == cp_model.LinearExpr.weighted_sum(list(y.values()), offsets))
            self.day[slot.key] = day
            blocks: dict[int, list[cp_model.IntVar]] = {}
            for t, var in y.items():
                blocks.setdefault(t // per_block, []).append(var)
            self.block[slot.key] = blocks
            options = []
            for (key, pk), starts in allowed.items():
                if key != slot.key:
                    continue
                chosen = m.new_bool_var(f"x_{slot.key}_{pk}")
                m.add(chosen <= sum(y[t] for t in starts))  # only at a time they are free
                self.chosen[slot.key, pk] = chosen
                options.append(chosen)
            m.add_exactly_one(options)
        for pk in {pk for _, pk in self.chosen}:
            m.add_at_most_one([v for (_, who), v in self.chosen.items() if who == pk])
        self._sequence()
        self.objective = self._time_terms(day_of) + self._load_terms()
        if request.calibration_aware:
            self.objective += self._calibration_terms()
        m.minimize(self.objective)
        self.solver = cp_model.CpSolver()
        self.solver.parameters.max_time_in_seconds = seconds
        self.solver.parameters.num_workers = 2
        self.solver.parameters.random_seed = 7
        self.solver.parameters.absolute_gap_limit = ABSOLUTE_GAP
        # (no repair_hint: with it CP-SAT 9.15 aborted the process on a CHECK in the simulation)
        self.timed_out = False

    def _gap(self, first: Slot, second: Slot) -> int:
        """Steps from ``first``'s start to the earliest start of ``second`` after it."""
        return self.grid.after(first.minutes + first.buffer_after + second.buffer_before)

    def _sequence(self) -> None:
        """The candidate is in one interview at a time (buffers kept), and the plan's order."""
        m, start = self.model, self.start
        slots = self.request.slots
        for a, b in itertools.combinations(slots, 2):
            a_first = m.new_bool_var(f"{a.key}_before_{b.key}")
            m.add(start[b.key] >= start[a.key] + self._gap(a, b)).only_enforce_if(a_first)
            m.add(start[a.key] >= start[b.key] + self._gap(b, a)).only_enforce_if(a_first.negated())
        by_key = {s.key: s for s in slots}
        for slot in slots:
            if slot.after is None:
                continue
            first = by_key[slot.after]
            m.add(start[slot.key] >= start[first.key] + self._gap(first, slot))
            if slot.same_day:
                m.add(self.day[slot.key] == self.day[first.key])

    def _time_terms(self, day_of: np.ndarray) -> cp_model.LinearExpr:
        """Days the candidate comes in, and the span from the first start to the last end."""
        m, grid = self.model, self.grid
        used: dict[int, cp_model.IntVar] = {}
        for y in self.y.values():
            by_day: dict[int, list[cp_model.IntVar]] = {}
            for t, var in y.items():
                by_day.setdefault(int(day_of[t]), []).append(var)
            for day, variables in by_day.items():
                if day not in used:
                    used[day] = m.new_bool_var(f"day_{day}")
                m.add(used[day] >= sum(variables))
        first = m.new_int_var(0, grid.size, "first")
        last = m.new_int_var(0, 2 * grid.size, "last")
        by_key = {s.key: s for s in self.request.slots}
        for key, start in self.start.items():
            m.add(first <= start)
            m.add(last >= start + grid.after(by_key[key].minutes))
        return DAY_WEIGHT * sum(used.values()) + SPAN_WEIGHT * (last - first)

    def _load_terms(self) -> cp_model.LinearExpr:
        people = self.request.interviewers
        return cp_model.LinearExpr.weighted_sum(
            list(self.chosen.values()),
            [LOAD_WEIGHT * _week_load(people[pk], self.grid) for _, pk in self.chosen],
        )

    def _calibration_terms(self) -> cp_model.LinearExpr:
        """Calibration-aware panels, as penalties and a bonus on the objective."""
        m, people = self.model, self.request.interviewers

        def any_of(kind: str, test: Callable[[Interviewer], bool]) -> cp_model.IntVar:
            flag = m.new_bool_var(kind)
            chosen = [v for (_, pk), v in self.chosen.items() if test(people[pk])]
            m.add_max_equality(flag, chosen or [m.new_constant(0)])
            return flag

        well = any_of("well", lambda p: _well_estimated(p))
        not_lenient = any_of("not_lenient", lambda p: p.leniency is None or p.leniency < LEAN)
        not_harsh = any_of("not_harsh", lambda p: p.leniency is None or p.leniency > -LEAN)
        new = [v for (_, pk), v in self.chosen.items() if people[pk].leniency is None]

        has_new = any_of("has_new", lambda p: p.leniency is None)
        connects = m.new_bool_var("connects")  # a new interviewer beside a calibrated one
        m.add_bool_and([has_new, well]).only_enforce_if(connects)
        crowd = m.new_int_var(0, len(self.request.slots), "crowd")
        m.add_max_equality(crowd, [sum(new) - 2, m.new_constant(0)])
        return (
            NO_WELL_ESTIMATED_PENALTY * (1 - well)
            + SAME_LEAN_PENALTY * (1 - not_lenient)
            + SAME_LEAN_PENALTY * (1 - not_harsh)
            - CONNECT_BONUS * connects
            + CROWD_OF_NEW_PENALTY * crowd
        )

    def solve(self) -> _Found | None:
        status = self.solver.solve(self.model)
        self.timed_out = status == cp_model.UNKNOWN  # neither found nor proved impossible
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        value = self.solver.value
        return _Found(
            starts={key: next(t for t, v in y.items() if value(v)) for key, y in self.y.items()},
            people={key: pk for (key, pk), v in self.chosen.items() if value(v)},
            score=int(self.solver.objective_value),
        )

    def hint(self, found: _Found | None) -> None:
        """Start the search from ``found`` (a greedy schedule), if there is one."""
        if found is None:
            return
        self.model.clear_hints()
        for key, y in self.y.items():
            for t, var in y.items():
                self.model.add_hint(var, t == found.starts[key])
        for (key, pk), var in self.chosen.items():
            self.model.add_hint(var, found.people.get(key) == pk)

    def exclude(self, found: _Found) -> None:
        """The next proposal differs in a way a recruiter notices: another interviewer
        somewhere, or a slot moved to another two-hour block (or day)."""
        per_block = max(1, 120 // self.request.step)
        if any((key, pk) not in self.chosen for key, pk in found.people.items()):
            return  # someone this model does not offer: it cannot repeat ``found``
        same: list[cp_model.IntVar] = [self.chosen[key, pk] for key, pk in found.people.items()]
        for key, t in found.starts.items():
            same += self.block[key].get(t // per_block, [])
        self.model.add(sum(same) <= 2 * len(found.starts) - 1)


def _well_estimated(person: Interviewer) -> bool:
    return person.leniency_se is not None and person.leniency_se <= WELL_ESTIMATED_SE


# --- Words ---------------------------------------------------------------------------------


def _describe(request: Request, found: _Found, model: _Model) -> Proposal:
    by_key = {s.key: s for s in request.slots}
    people = request.interviewers
    placements = tuple(
        sorted(
            (
                Placement(by_key[key], people[found.people[key]], model.grid.at(index))
                for key, index in found.starts.items()
            ),
            key=lambda p: p.starts_at,
        )
    )
    return Proposal(placements, found.score, tuple(_reasons(request, placements)))


def _minutes(delta: timedelta) -> str:
    total = int(delta.total_seconds() // 60)
    hours, minutes = divmod(total, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _reasons(request: Request, placements: Sequence[Placement]) -> list[str]:
    zone = request.candidate_zone
    days = sorted({_day(p.starts_at, zone) for p in placements})
    reasons = []
    busy = sum((p.ends_at - p.starts_at for p in placements), timedelta())
    span = timedelta()
    for day in days:
        today = [p for p in placements if _day(p.starts_at, zone) == day]
        span += max(p.ends_at for p in today) - min(p.starts_at for p in today)
    gaps = span - busy
    reasons.append(
        f"{len(days)} day{'s' if len(days) > 1 else ''} for the candidate, "
        f"{_minutes(span)} in all"
        + (f", with {_minutes(gaps)} between interviews." if gaps else ", back to back.")
    )
    panel = [p.interviewer for p in placements]
    well = [p for p in panel if _well_estimated(p)]
    new = [p for p in panel if p.leniency is None]
    known = [p.leniency for p in panel if p.leniency is not None]
    if well:
        names = ", ".join(
            f"{p.name} ({p.leniency or 0:+.2f} ± {p.leniency_se or 0:.2f})" for p in well
        )
        reasons.append(f"Well calibrated on the panel: {names}.")
    else:
        reasons.append("Trade-off: nobody on this panel has a well-estimated leniency yet.")
    if known and all(v >= LEAN for v in known):
        reasons.append("Trade-off: every calibrated interviewer here leans lenient.")
    elif known and all(v <= -LEAN for v in known):
        reasons.append("Trade-off: every calibrated interviewer here leans harsh.")
    elif len(known) > 1:
        reasons.append("Known leniencies balance out: they do not all lean the same way.")
    if new and well:
        names = ", ".join(p.name for p in new)
        reasons.append(
            f"{names}: new to calibration; sitting beside calibrated colleagues connects "
            "their first scorecards to the calibrated panel."
        )
    loads = ", ".join(
        f"{p.name} {sum(p.booked.values())}" for p in sorted(panel, key=lambda p: p.name)
    )
    reasons.append(f"Interviews already booked in these weeks: {loads}.")
    return reasons
