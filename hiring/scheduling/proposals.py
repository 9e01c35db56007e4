"""Proposed schedules for a loop, and booking one: the ORM shell around the pure solver
(``hiring.scheduling.solver``).

``loop_propose`` reads the loop's plan (the slots not placed yet), each slot's pool (its
eligible interviewers; an empty pool means anyone who has interviewed before, and the hiring
manager alone for a slot that needs them), everyone's busy time (their Loopwise interviews
and their calendars; a calendar that is unknown leaves that person out, never free), their
meeting hours per weekday in their own time zone and their interviews per day and week
against their limits (their ``SchedulingProfile``, else ``SCHEDULING_MEETING_HOURS`` on
weekdays and ``SCHEDULING_DAY_LIMIT`` / ``SCHEDULING_WEEK_LIMIT``), and their calibrated
leniency; a slot takes only pool members qualified for its focus and case exercise and not
still in training on it (``hiring.scheduling.profiles``), and asks the solver for the best
schedules inside the candidate's availability; where someone in training on a slot is free,
the proposal seats them beside its interviewer as a trainee (never a condition: a schedule
no trainee fits is proposed as it is). It reads only.

``loop_book`` turns a chosen proposal into the loop's interviews, all or none: with the
interviewers' rows locked, so two bookings of the same person at the same time cannot both
succeed, and each placement checked again against what is true now (the slot still open,
the person eligible, free and under their limits).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hiring import services
from hiring.errors import Invalid
from hiring.models import Interview, Loop, PlanSlot, User
from hiring.scheduling import busy, profiles, solver
from hiring.scheduling.plans import plan_for, slot_states
from scorecards.models import InterviewerCalibration

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Choice:
    """One interview of a chosen schedule: a slot of the plan, who, and when (and a trainee
    who sits in, when one is free: never a condition of the booking)."""

    slot_id: int
    user_id: int
    starts_at: datetime
    trainee_id: int | None = None

    def encode(self) -> str:
        trainee = f"|{self.trainee_id}" if self.trainee_id else ""
        return f"{self.slot_id}|{self.user_id}|{self.starts_at.isoformat()}{trainee}"

    @classmethod
    def decode(cls, value: str) -> Choice:
        try:
            slot, user, when, *rest = value.split("|")
            if len(rest) > 1:
                raise ValueError(value)
            starts_at = datetime.fromisoformat(when)
            if starts_at.tzinfo is None:
                raise ValueError(when)
            return cls(int(slot), int(user), starts_at, int(rest[0]) if rest else None)
        except ValueError as exc:
            raise Invalid("That schedule could not be read: propose again.") from exc


@dataclass(frozen=True)
class LoopProposals:
    open_slots: list[PlanSlot]
    proposals: list[tuple[solver.Proposal, list[Choice]]]
    problems: list[str]
    left_out: dict[str, tuple[str, ...]]  # person -> why (calendar unknown), in words


def candidate_windows(
    first: date, days: int, start: time, end: time, zone: str
) -> tuple[Span, ...]:
    """The candidate's availability: ``start``-``end`` on each weekday from ``first`` for
    ``days`` days, in their zone."""
    tz = ZoneInfo(zone)
    windows = []
    for n in range(days):
        day = first + timedelta(days=n)
        if day.weekday() < 5 and start < end:
            low = datetime.combine(day, start, tzinfo=tz)
            windows.append((low, datetime.combine(day, end, tzinfo=tz)))
    return tuple(windows)


def _minus(spans: Sequence[Span], taken: Sequence[Span]) -> tuple[Span, ...]:
    """``spans`` without the ``taken`` stretches (both lists of non-overlapping spans)."""
    free: list[Span] = []
    for low, high in spans:
        cursor = low
        for start, end in sorted(taken):
            if end <= cursor or start >= high:
                continue
            if start > cursor:
                free.append((cursor, start))
            cursor = max(cursor, end)
        if cursor < high:
            free.append((cursor, high))
    return tuple(free)


def _zone(name: str) -> str:
    return name or settings.TIME_ZONE


def candidate_zone(loop: Loop) -> str:
    """The zone the candidate's availability is given in and their interviews are agreed in:
    their own, else the server's."""
    return _zone(loop.candidate.time_zone)


def _pool(slot: PlanSlot, loop: Loop, everyone: list[int]) -> list[int]:
    if slot.hiring_manager_required:
        return [loop.requisition.hiring_manager_id] if loop.requisition.hiring_manager_id else []
    chosen = [person.pk for person in slot.pool.all() if person.is_active]
    return chosen or everyone


def _may_hold(
    slot: PlanSlot,
    pk: int,
    terms: dict[int, profiles.Terms],
    training: dict[int, dict[int, profiles.Training]],
) -> bool:
    """Whether ``pk`` may hold ``slot``: qualified for its focus and case exercise, and not
    still in training on it. The hiring manager of a slot that needs them always may."""
    if slot.hiring_manager_required:
        return True
    if pk in training.get(slot.pk, {}):
        return False
    person = terms.get(pk)
    dimension_ids = [dimension.pk for dimension in slot.focus_dimensions.all()]
    return person is None or person.qualified_for(dimension_ids, slot.case_exercise_id)


def _default_pool(loop: Loop) -> list[int]:
    """Anyone active who has sat on a panel before, the most recent first, at most
    ``SCHEDULING_POOL_MAX`` of them: the pool of a slot that names none."""
    recent = (
        Interview.interviewers.through.objects.filter(user__is_active=True)
        .order_by("-interview__starts_at")
        .values_list("user_id", flat=True)[: settings.SCHEDULING_POOL_MAX * 10]
    )
    return list(dict.fromkeys(recent))[: settings.SCHEDULING_POOL_MAX]


def _booked(
    user_ids: Iterable[int], zones: dict[int, str], first: date, last: date
) -> dict[int, Counter[date]]:
    """Each person's live interviews per day (in their own zone), in the weeks touched."""
    start = datetime.combine(first - timedelta(days=7), time.min, tzinfo=ZoneInfo("UTC"))
    end = datetime.combine(last + timedelta(days=8), time.min, tzinfo=ZoneInfo("UTC"))
    rows = (
        Interview.interviewers.through.objects.filter(
            user_id__in=list(user_ids),
            interview__starts_at__gte=start,
            interview__starts_at__lt=end,
        )
        .exclude(interview__status__in=Interview.NO_FEEDBACK_STATUSES)
        .values_list("user_id", "interview__starts_at")
    )
    counts: dict[int, Counter[date]] = {}
    for pk, starts_at in rows:
        counts.setdefault(pk, Counter())[starts_at.astimezone(ZoneInfo(zones[pk])).date()] += 1
    return counts


def loop_propose(
    *, loop: Loop, by: User, windows: tuple[Span, ...], count: int = 3
) -> LoopProposals:
    """The best ``count`` schedules for the loop's open slots inside ``windows``."""
    services.check_can_act(user=by, loop=loop)
    return propose_for(loop=loop, windows=windows, count=count)


def propose_for(*, loop: Loop, windows: tuple[Span, ...], count: int = 3) -> LoopProposals:
    """``loop_propose`` without the question of who asks: for the candidate's booking page,
    whose link is the permission."""
    if loop.status not in Loop.OPEN_STATUSES:
        raise Invalid("This loop is closed: there is nothing to schedule.")
    open_slots = [state.slot for state in slot_states(loop) if not state.placed]
    if not open_slots:
        return LoopProposals([], [], ["Every slot of the plan is placed already."], {})
    if not windows:
        return LoopProposals(open_slots, [], ["Give the candidate's availability first."], {})
    everyone = _default_pool(loop)
    pools = {slot.pk: _pool(slot, loop, everyone) for slot in open_slots}
    people = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={p for ids in pools.values() for p in ids}, is_active=True
        )
    }
    first = min(low for low, _ in windows).date() - timedelta(days=1)
    last = max(high for _, high in windows).date() + timedelta(days=1)
    utc = ZoneInfo("UTC")
    span_start = datetime.combine(first, time.min, tzinfo=utc)
    span_end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=utc)
    availability = busy.busy_for_many(people, span_start, span_end)
    zones = {pk: _zone(person.time_zone) for pk, person in people.items()}
    terms = profiles.terms_for(people.values())
    training = profiles.in_training(slot.pk for slot in open_slots)
    booked = _booked(people, zones, first, last)
    calibration = {
        c.interviewer_id: c
        for c in InterviewerCalibration.objects.filter(interviewer_id__in=list(people))
    }
    left_out = {
        people[pk].display_name: availability[pk].reasons
        for pk in people
        if availability[pk].unknown
    }
    interviewers = {}
    for pk, person in people.items():
        known = availability[pk]
        hours = terms[pk].meeting_spans(first, last)
        fitted = calibration.get(pk)
        interviewers[pk] = solver.Interviewer(
            pk,
            person.display_name,
            zones[pk],
            () if known.unknown else _minus(hours, known.blocks),
            day_limit=terms[pk].day_limit,
            week_limit=terms[pk].week_limit,
            booked=dict(booked.get(pk, {})),
            leniency=fitted.leniency if fitted else None,
            leniency_se=fitted.leniency_se if fitted else None,
        )
    open_ids = {slot.pk for slot in open_slots}
    slots = tuple(
        solver.Slot(
            key=str(slot.pk),
            title=slot.title,
            minutes=slot.minutes,
            pool=tuple(
                pk
                for pk in pools[slot.pk]
                if pk in interviewers and _may_hold(slot, pk, terms, training)
            ),
            buffer_before=slot.buffer_before_minutes,
            buffer_after=slot.buffer_after_minutes,
            after=str(slot.after_id) if slot.after_id in open_ids else None,
            same_day=slot.same_day and slot.after_id in open_ids,
        )
        for slot in open_slots
    )
    zone = candidate_zone(loop)
    result = solver.propose(solver.Request(slots, interviewers, windows, zone, 15, count=count))
    chosen = [
        (
            proposal,
            [Choice(int(p.slot.key), p.interviewer.id, p.starts_at) for p in proposal.placements],
        )
        for proposal in result.proposals
    ]
    slots_by_pk = {slot.pk: slot for slot in open_slots}
    chosen = _with_trainees(chosen, slots_by_pk, training, (first, last), (span_start, span_end))
    return LoopProposals(open_slots, chosen, list(result.problems), left_out)


def _span_of(choice: Choice, slot: PlanSlot) -> Span:
    """The stretch a panelist of ``choice`` must be free: the slot with its buffers."""
    start = choice.starts_at - timedelta(minutes=slot.buffer_before_minutes)
    return start, choice.starts_at + timedelta(minutes=slot.minutes + slot.buffer_after_minutes)


def _with_trainees(
    chosen: list[tuple[solver.Proposal, list[Choice]]],
    slots: dict[int, PlanSlot],
    training: dict[int, dict[int, profiles.Training]],
    days: tuple[date, date],
    span: Span,
) -> list[tuple[solver.Proposal, list[Choice]]]:
    """Each proposal with a trainee sitting in on each slot where one in training on it is
    free (meeting hours, calendar known and free, under their limits, not on the schedule
    already). Soft: a slot no trainee fits keeps its interviewer alone, and the schedule
    itself is the solver's, unchanged."""
    people = {
        t.record.person_id: t.record.person
        for by_person in training.values()
        for t in by_person.values()
        if t.record.person.is_active
    }
    if not people or not chosen:
        return chosen
    known = busy.busy_for_many(people, *span)
    terms = profiles.terms_for(people.values())
    booked = _booked(people, {pk: terms[pk].zone for pk in people}, *days)
    free = {
        pk: () if known[pk].unknown else _minus(terms[pk].meeting_spans(*days), known[pk].blocks)
        for pk in people
    }
    result = []
    for proposal, choices in chosen:
        taken = {choice.user_id for choice in choices}
        added: dict[int, Counter[date]] = {}
        placed, notes = [], []
        for choice in choices:
            slot = slots[choice.slot_id]
            low, high = _span_of(choice, slot)
            pick = None
            for pk, trainee in sorted(training.get(slot.pk, {}).items()):
                if pk in taken or pk not in people:
                    continue
                if not any(start <= low and high <= end for start, end in free[pk]):
                    continue
                day = choice.starts_at.astimezone(ZoneInfo(terms[pk].zone)).date()
                counts = booked.get(pk, Counter()) + added.get(pk, Counter())
                monday = day - timedelta(days=day.weekday())
                week = sum(n for d, n in counts.items() if 0 <= (d - monday).days < 7)
                if counts[day] < terms[pk].day_limit and week < terms[pk].week_limit:
                    pick = trainee
                    break
            if pick is None:
                placed.append(choice)
                continue
            pk = pick.record.person_id
            taken.add(pk)
            added.setdefault(pk, Counter())[
                choice.starts_at.astimezone(ZoneInfo(terms[pk].zone)).date()
            ] += 1
            placed.append(replace(choice, trainee_id=pk))
            notes.append(
                f"{people[pk].display_name} sits in on “{slot.title}” as a trainee "
                f"({profiles.State(pick.state).label.lower()})."
            )
        result.append((replace(proposal, reasons=(*proposal.reasons, *notes)), placed))
    return result


def _locked_people(user_ids: Iterable[int]) -> dict[int, User]:
    """The people, their rows locked in id order: two bookings of the same interviewer wait
    for each other here, whatever loops they are for."""
    return {
        u.pk: u
        for u in User.objects.select_for_update()
        .filter(pk__in=sorted(set(user_ids)))
        .order_by("pk")
    }


def _limit_errors(choice: Choice, person: User, terms: profiles.Terms) -> list[str]:
    """What the person's limits say against one more interview at ``choice.starts_at``,
    counted in their own zone, with what they have booked now (their row is locked)."""
    tz = ZoneInfo(terms.zone)
    day = choice.starts_at.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    counts = _booked([person.pk], {person.pk: terms.zone}, monday, monday + timedelta(days=6))
    mine = counts.get(person.pk, Counter())
    on_day = mine[day]
    in_week = sum(n for d, n in mine.items() if monday <= d <= monday + timedelta(days=6))
    found = []
    if on_day + 1 > terms.day_limit:
        found.append(
            f"{person.display_name} has {on_day} interview{'s' if on_day != 1 else ''} on "
            f"{day:%a %d %b} already: their limit is {terms.day_limit} a day."
        )
    if in_week + 1 > terms.week_limit:
        found.append(
            f"{person.display_name} has {in_week} interview{'s' if in_week != 1 else ''} in the "
            f"week of {monday:%d %b} already: their limit is {terms.week_limit} a week."
        )
    return found


def _check_choice(
    choice: Choice,
    slot: PlanSlot,
    person: User,
    loop: Loop,
    everyone: list[int],
    training: dict[int, dict[int, profiles.Training]],
) -> list[str]:
    found = []
    terms = profiles.terms_for([person])
    if person.pk not in _pool(slot, loop, everyone):
        found.append(f"{person.display_name} is not eligible for “{slot.title}”.")
    elif person.pk in training.get(slot.pk, {}):
        found.append(f"{person.display_name} is still in training on “{slot.title}”.")
    elif not _may_hold(slot, person.pk, terms, training):
        found.append(
            f"{person.display_name} is not qualified for the focus or case of “{slot.title}”."
        )
    return found + _availability_errors(choice, slot, person, terms[person.pk])


def _availability_errors(
    choice: Choice, slot: PlanSlot, person: User, terms: profiles.Terms
) -> list[str]:
    """Whether ``person`` can sit on ``choice`` now: under their limits, inside their
    meeting hours, their calendar known and free (with the slot's buffers)."""
    ends_at = choice.starts_at + timedelta(minutes=slot.minutes)
    found = _limit_errors(choice, person, terms)
    local = choice.starts_at.astimezone(ZoneInfo(terms.zone))
    hours = terms.hours[local.weekday()]
    local_end = ends_at.astimezone(ZoneInfo(terms.zone))
    if hours is None or not (
        hours[0] <= local.time()
        and local_end.date() == local.date()
        and local_end.time() <= hours[1]
    ):
        found.append(
            f"{person.display_name} does not take interviews at "
            f"{local:%a %d %b %H:%M} ({terms.zone}): outside their meeting hours."
        )
    before = choice.starts_at - timedelta(minutes=slot.buffer_before_minutes)
    after = ends_at + timedelta(minutes=slot.buffer_after_minutes)
    known = busy.busy_for(person, before, after)
    if known.unknown:
        found.append(f"{person.display_name}'s calendar is unknown right now.")
    elif not known.is_free(before, after):
        found.append(
            f"{person.display_name} is no longer free for “{slot.title}” at "
            f"{timezone.localtime(choice.starts_at):%a %d %b %H:%M}."
        )
    return found


def loop_book(*, loop: Loop, by: User, choices: Sequence[Choice]) -> list[Interview]:
    """Create the loop's interviews for a chosen schedule, all or none. Raises Invalid with
    every reason in words when any placement no longer holds."""
    services.check_can_act(user=by, loop=loop)
    return book_choices(loop=loop, choices=choices)


def book_choices(*, loop: Loop, choices: Sequence[Choice]) -> list[Interview]:
    """The booking itself, for a caller that has already established who may book: a
    recruiter (``loop_book``) or the candidate holding a valid booking link."""
    if not choices:
        raise Invalid("Choose a schedule to book.")
    with transaction.atomic():
        loop = (
            Loop.objects.select_for_update(of=("self",))
            .select_related("candidate", "requisition")
            .get(pk=loop.pk)
        )
        if loop.status not in Loop.OPEN_STATUSES:
            raise Invalid("This loop is closed: there is nothing to schedule.")
        people = _locked_people(
            [*(c.user_id for c in choices), *(c.trainee_id for c in choices if c.trainee_id)]
        )
        plan = plan_for(loop.requisition)
        open_slots = {
            state.slot.pk: state.slot for state in slot_states(loop, plan) if not state.placed
        }
        everyone = _default_pool(loop)
        training = profiles.in_training(open_slots)
        problems: list[str] = []
        if len({c.user_id for c in choices}) != len(choices) or len(
            {c.slot_id for c in choices}
        ) != len(choices):
            problems.append("A schedule has each slot once and each interviewer once.")
        for choice in choices:
            slot = open_slots.get(choice.slot_id)
            person = people.get(choice.user_id)
            if slot is None:
                problems.append("A slot of that schedule is placed already or not in the plan.")
            elif person is None or not person.is_active:
                problems.append("An interviewer of that schedule is not available any more.")
            else:
                problems += _check_choice(choice, slot, person, loop, everyone, training)
        if problems:
            raise Invalid(" ".join(problems))
        sitting_in = _trainees_that_fit(choices, open_slots, people, training)
        zone = candidate_zone(loop)
        created = []
        for choice in sorted(choices, key=lambda c: c.starts_at):
            slot = open_slots[choice.slot_id]
            interview = Interview.objects.create(
                loop=loop,
                title=slot.title,
                starts_at=choice.starts_at,
                ends_at=choice.starts_at + timedelta(minutes=slot.minutes),
                time_zone=zone,
                case_exercise=slot.case_exercise,
                plan_slot=slot,
            )
            interview.interviewers.set([choice.user_id])
            trainee = sitting_in.get(choice.slot_id)
            if trainee is not None:  # on the panel too: the invite, the kit, a scorecard
                interview.interviewers.add(trainee)
                interview.trainees.add(trainee)
            interview.focus_dimensions.set(slot.focus_dimensions.all())
            created.append(interview)
    return created


def _trainees_that_fit(
    choices: Sequence[Choice],
    slots: dict[int, PlanSlot],
    people: dict[int, User],
    training: dict[int, dict[int, profiles.Training]],
) -> dict[int, int]:
    """Slot id -> the trainee who sits in on it, for each choice whose proposed trainee is
    still in training on the slot, free and under their limits (rows locked). Soft: one
    who no longer fits is left out, and the booking goes ahead without them."""
    leads = {choice.user_id for choice in choices}
    fits: dict[int, int] = {}
    for choice in choices:
        pk = choice.trainee_id
        person = people.get(pk) if pk else None
        if pk is None or person is None or not person.is_active:
            continue
        if pk in leads or pk in fits.values() or pk not in training.get(choice.slot_id, {}):
            continue
        terms = profiles.terms_for([person])[pk]
        if not _availability_errors(choice, slots[choice.slot_id], person, terms):
            fits[choice.slot_id] = pk
    return fits
