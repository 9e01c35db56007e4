"""Proposed schedules (hiring/scheduling/solver.py), checked against an independent brute
force: over random plans, calendars and limits no proposal breaks a hard constraint, the
solver finds a schedule exactly when one exists, and an instance built around a known
feasible schedule always gets a proposal. Pure code: no database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hiring.scheduling.solver import (
    Interviewer,
    Placement,
    Proposal,
    Request,
    Slot,
    _Grid,
    propose,
    violations,
)

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # a Monday
ZONES = ["UTC", "Europe/London", "America/New_York"]
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(day: int, hour: float) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour)


def brute_force(request: Request) -> list[Placement] | None:
    """A schedule that breaks nothing, by trying every grid start and interviewer for
    every slot (each slot's options filtered on their own first), or None."""
    grid = _Grid(request)
    options = []
    for slot in request.slots:
        mine = []
        for pk in slot.pool:
            for index in range(grid.size):
                placement = Placement(slot, request.interviewers[pk], grid.at(index))
                alone = Proposal((placement,), 0, ())
                single = Request((slot,), request.interviewers, request.windows,
                                 request.candidate_zone, request.step)  # fmt: skip
                if not violations(single, alone):
                    mine.append(placement)
        options.append(mine)
    for combination in itertools.product(*options):
        if not violations(request, Proposal(tuple(combination), 0, ())):
            return list(combination)
    return None


@st.composite
def requests(draw: st.DrawFn) -> Request:
    step = draw(st.sampled_from([30, 60]))
    zone = draw(st.sampled_from(ZONES))
    days = draw(st.integers(1, 2))
    windows = tuple(
        (at(d, start), at(d, start + length))
        for d in range(days)
        for start, length in [(draw(st.integers(8, 12)), draw(st.integers(1, 4)))]
    )
    people = {}
    for pk in range(1, draw(st.integers(2, 4)) + 1):
        free = tuple(
            (at(d, start), at(d, start + length))
            for d in range(days)
            for start, length in draw(
                st.lists(st.tuples(st.integers(7, 14), st.integers(1, 5)), max_size=2)
            )
        )
        lean = draw(st.one_of(st.none(), st.floats(-0.6, 0.6)))
        people[pk] = Interviewer(
            pk,
            f"Person {pk}",
            draw(st.sampled_from(ZONES)),
            free,
            day_limit=draw(st.integers(1, 3)),
            week_limit=draw(st.integers(1, 4)),
            booked={date(2031, 3, 3): draw(st.integers(0, 2))},
            leniency=lean,
            leniency_se=None if lean is None else draw(st.floats(0.05, 0.8)),
        )
    slots: list[Slot] = []
    for n in range(draw(st.integers(1, 3))):
        after = draw(st.sampled_from([None, *[s.key for s in slots]]))
        slots.append(
            Slot(
                key=f"s{n}",
                title=f"Slot {n}",
                minutes=draw(st.sampled_from([30, 60, 90])),
                pool=tuple(draw(st.sets(st.sampled_from(sorted(people)), min_size=1))),
                buffer_before=draw(st.sampled_from([0, 30])),
                buffer_after=draw(st.sampled_from([0, 30])),
                after=after,
                same_day=after is not None and draw(st.booleans()),
            )
        )
    return Request(tuple(slots), people, windows, zone, step, count=2)


@PROPERTY
@given(requests())
def test_proposals_never_break_a_hard_constraint_and_exist_exactly_when_a_schedule_does(
    request: Request,
) -> None:
    result = propose(request)
    for proposal in result.proposals:
        assert violations(request, proposal) == []
    exists = brute_force(request)
    assert bool(result.proposals) == (exists is not None), (result.problems, exists)
    if not result.proposals:
        assert result.problems  # nothing proposed is always explained


@st.composite
def feasible_requests(draw: st.DrawFn) -> tuple[Request, list[Placement]]:
    """A random instance built around a schedule known to fit, plus noise around it."""
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(1, 4))
    minutes = [draw(st.sampled_from([30, 45, 60, 90])) for _ in range(count)]
    day = draw(st.integers(0, 4))
    start = at(day, draw(st.integers(8, 11)))
    people: dict[int, Interviewer] = {}
    slots: list[Slot] = []
    placements: list[Placement] = []
    moment = start
    for n, length in enumerate(minutes):
        pk = n + 1
        extra = draw(st.lists(st.integers(10, 20), max_size=3, unique=True))
        slot = Slot(
            f"s{n}",
            f"Slot {n}",
            length,
            (pk, *extra),
            buffer_after=15,
            after=f"s{n - 1}" if n and draw(st.booleans()) else None,
            same_day=bool(n) and draw(st.booleans()),
        )
        if slot.same_day and slot.after is None:
            slot = Slot(slot.key, slot.title, slot.minutes, slot.pool, buffer_after=15)
        free = ((moment - timedelta(minutes=30), moment + timedelta(minutes=length + 45)),)
        person = Interviewer(pk, f"Person {pk}", zone, free, day_limit=2,
                             leniency=draw(st.one_of(st.none(), st.floats(-0.5, 0.5))),
                             leniency_se=0.2)  # fmt: skip
        people[pk] = person
        slots.append(slot)
        placements.append(Placement(slot, person, moment))
        moment += timedelta(minutes=length + 15)
    for pk in {pk for slot in slots for pk in slot.pool if pk >= 10}:
        busy_day = draw(st.integers(0, 4))
        people[pk] = Interviewer(
            pk, f"Other {pk}", zone, ((at(busy_day, 9), at(busy_day, 12)),), day_limit=1
        )
    windows = ((start - timedelta(hours=1), moment + timedelta(hours=1)),)
    request = Request(tuple(slots), people, windows, zone, 15, count=3)
    assert violations(request, Proposal(tuple(placements), 0, ())) == []
    return request, placements


@PROPERTY
@given(feasible_requests())
def test_a_known_feasible_schedule_always_gets_a_proposal(
    case: tuple[Request, list[Placement]],
) -> None:
    request, _ = case
    result = propose(request)
    assert result.proposals, result.problems
    for proposal in result.proposals:
        assert violations(request, proposal) == []


# --- What a recruiter reads -----------------------------------------------------------------


def panel(**people: Interviewer) -> dict[int, Interviewer]:
    return {person.id: person for person in people.values()}


def person(pk: int, name: str, lean: float | None, se: float | None = 0.1, **kw) -> Interviewer:
    free = ((at(0, 9), at(0, 17)), (at(1, 9), at(1, 17)))
    return Interviewer(pk, name, "Europe/London", free, leniency=lean, leniency_se=se, **kw)


def test_fewest_days_first_then_calibration_aware_panels_with_reasons_in_words():
    people = panel(
        iris=person(1, "Iris", 0.05, 0.10),
        lena=person(2, "Lena", 0.45, 0.15),
        omar=person(3, "Omar", 0.50, 0.15),
        nia=person(4, "Nia", None, None),
    )
    slots = (
        Slot("case", "Portfolio case", 90, (1, 2, 3, 4), buffer_after=15),
        Slot("readout", "Readout", 45, (1, 2, 3, 4), after="case", same_day=True),
        Slot("values", "Values", 45, (1, 2, 3, 4)),
    )
    request = Request(slots, people, ((at(0, 9), at(0, 17)), (at(1, 9), at(1, 17))),
                      "Europe/London", count=3)  # fmt: skip

    best = propose(request).proposals[0]

    assert len({p.starts_at.date() for p in best.placements}) == 1  # one day
    names = {p.interviewer.name for p in best.placements}
    assert "Iris" in names  # the well-estimated, balanced one
    assert names != {"Lena", "Omar", "Nia"}  # not every known leniency leaning lenient
    assert best.reasons[0].startswith("1 day for the candidate")
    assert any("Well calibrated on the panel: " in r for r in best.reasons)


def test_a_panel_of_lenient_interviewers_is_proposed_only_with_the_trade_off_said():
    people = panel(lena=person(2, "Lena", 0.45), omar=person(3, "Omar", 0.50))
    slots = (Slot("a", "Strategy", 60, (2,)), Slot("b", "Values", 60, (3,)))
    request = Request(slots, people, ((at(0, 9), at(0, 17)),), "Europe/London", count=1)

    best = propose(request).proposals[0]

    assert "Trade-off: every calibrated interviewer here leans lenient." in best.reasons


def test_limits_and_pools_that_leave_a_slot_empty_are_named():
    people = panel(busy=person(1, "Busy", 0.0, booked={date(2031, 3, 3): 3}, day_limit=3))
    slots = (Slot("a", "Strategy", 60, (1,)),)
    request = Request(slots, people, ((at(0, 9), at(0, 17)),), "Europe/London")

    result = propose(request)

    assert result.proposals == ()
    assert result.problems == (
        "Nobody in the pool of Strategy is free (and under their limits) while the candidate "
        "is available.",
    )


@pytest.mark.parametrize(
    ("windows", "message"),
    [((), "The candidate has given no availability.")],
)
def test_a_request_with_nothing_to_place_into_says_so(windows, message):
    slots = (Slot("a", "Strategy", 60, (1,)),)
    request = Request(slots, panel(iris=person(1, "Iris", 0.0)), windows)
    assert propose(request).problems == (message,)


def test_a_plan_with_more_slots_than_people_says_so_before_searching():
    people = panel(iris=person(1, "Iris", 0.0), lena=person(2, "Lena", 0.1))
    slots = tuple(Slot(f"s{n}", f"Interview {n}", 45, (1, 2)) for n in range(3))
    request = Request(slots, people, ((at(0, 9), at(0, 17)),), "Europe/London")

    result = propose(request)

    assert result.proposals == ()
    assert result.problems == (
        "The plan needs 3 different interviewers (nobody sits on two interviews of one loop) "
        "and its pools hold only 2: widen the pools.",
    )
