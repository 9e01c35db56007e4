"""Interviewers' scheduling terms, read for the proposer, the booking and the load view
(issue 17): meeting hours per weekday in their own zone, limits per day and week, what they
are qualified for, and where they are in training.

A person without a ``SchedulingProfile`` has the installation's defaults and is qualified for
everything; a person with no training record on a slot is not in training there. Every
function here reads a fixed number of queries however many people it is given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count

from hiring.models import Interview, PlanSlot, SchedulingProfile, TrainingRecord, User
from hiring.models.profiles import default_hours

Span = tuple[datetime, datetime]
State = TrainingRecord.State


@dataclass(frozen=True)
class Terms:
    """One person's scheduling terms (their profile, or the defaults)."""

    user_id: int
    zone: str
    hours: tuple[tuple[time, time] | None, ...]  # Monday first; None: a day off
    day_limit: int
    week_limit: int
    dimension_ids: frozenset[int]  # empty: qualified for every dimension
    case_ids: frozenset[int]  # empty: qualified for every case exercise

    def qualified_for(self, dimension_ids: Iterable[int], case_id: int | None) -> bool:
        """May this person assess these dimensions and run this case exercise?"""
        if self.dimension_ids and not set(dimension_ids) <= self.dimension_ids:
            return False
        return not (self.case_ids and case_id is not None and case_id not in self.case_ids)

    def meeting_spans(self, first: date, last: date) -> list[Span]:
        """Their meeting hours on each day from ``first`` to ``last``, as instants."""
        tz = ZoneInfo(self.zone)
        spans = []
        day = first
        while day <= last:
            hours = self.hours[day.weekday()]
            if hours is not None:
                low, high = hours
                spans.append(
                    (datetime.combine(day, low, tzinfo=tz), datetime.combine(day, high, tzinfo=tz))
                )
            day += timedelta(days=1)
        return spans


def default_terms(user: User) -> Terms:
    weekday = default_hours()
    return Terms(
        user_id=user.pk,
        zone=user.time_zone or settings.TIME_ZONE,
        hours=(weekday,) * 5 + (None, None),
        day_limit=int(settings.SCHEDULING_DAY_LIMIT),
        week_limit=int(settings.SCHEDULING_WEEK_LIMIT),
        dimension_ids=frozenset(),
        case_ids=frozenset(),
    )


def _terms(user: User, profile: SchedulingProfile) -> Terms:
    return Terms(
        user_id=user.pk,
        zone=user.time_zone or settings.TIME_ZONE,
        hours=tuple(profile.hours(n) for n in range(7)),
        day_limit=profile.day_limit,
        week_limit=profile.week_limit,
        dimension_ids=frozenset(d.pk for d in profile.qualified_dimensions.all()),
        case_ids=frozenset(c.pk for c in profile.qualified_cases.all()),
    )


def terms_for(users: Iterable[User]) -> dict[int, Terms]:
    """Each person's terms, by id (three queries)."""
    people = {user.pk: user for user in users}
    profiles = {
        profile.user_id: profile
        for profile in SchedulingProfile.objects.filter(user_id__in=list(people)).prefetch_related(
            "qualified_dimensions", "qualified_cases"
        )
    }
    return {
        pk: _terms(user, profiles[pk]) if pk in profiles else default_terms(user)
        for pk, user in people.items()
    }


# --- Training ------------------------------------------------------------------------------


def derived_state(slot: PlanSlot, seats: int) -> State:
    """Where a trainee on ``slot`` stands after ``seats`` completed trainee interviews."""
    if seats < slot.shadow_count:
        return State.SHADOWING
    if seats < slot.shadow_count + slot.reverse_shadow_count:
        return State.REVERSE_SHADOWING
    return State.QUALIFIED


@dataclass(frozen=True)
class Training:
    record: TrainingRecord
    seats: int  # completed interviews they sat in as a trainee on the slot
    state: State

    @property
    def progress(self) -> str:
        """In words, for the recruiter: the state and how far along."""
        slot = self.record.plan_slot
        label = State(self.state).label
        if self.record.state_set:
            return f"{label} (set by a recruiter) on “{slot.title}”"
        if self.state == State.QUALIFIED:
            return f"Qualified on “{slot.title}” after {self.seats} trainee interviews"
        total = slot.shadow_count + slot.reverse_shadow_count
        return f"{label} on “{slot.title}”: {self.seats} of {total} trainee interviews done"


def trainings(records: Sequence[TrainingRecord]) -> list[Training]:
    """Each record with its state: the recruiter's, else derived from the completed
    interviews of its slot the person sat in as a trainee (one query; the records come with
    ``plan_slot``)."""
    if not records:
        return []
    seats = Counter(
        {
            (row["user_id"], row["interview__plan_slot_id"]): row["n"]
            for row in Interview.trainees.through.objects.filter(
                user_id__in={r.person_id for r in records},
                interview__plan_slot_id__in={r.plan_slot_id for r in records},
                interview__status=Interview.Status.COMPLETED,
            )
            .values("user_id", "interview__plan_slot_id")
            .annotate(n=Count("id"))
        }
    )
    found = []
    for record in records:
        n = seats[(record.person_id, record.plan_slot_id)]
        state = State(record.state_set) if record.state_set else derived_state(record.plan_slot, n)
        found.append(Training(record, n, state))
    return found


def training_records(**filters: object) -> list[Training]:
    """The training records matching ``filters``, with their states (two queries)."""
    records = list(TrainingRecord.objects.filter(**filters).select_related("plan_slot", "person"))
    return trainings(records)


def in_training(slot_ids: Iterable[int]) -> dict[int, dict[int, Training]]:
    """Per slot id, the people still in training on it (not qualified), by person id."""
    found: dict[int, dict[int, Training]] = {}
    for training in training_records(plan_slot_id__in=list(slot_ids)):
        if training.state != State.QUALIFIED:
            found.setdefault(training.record.plan_slot_id, {})[training.record.person_id] = training
    return found
