"""Scheduling checks for a loop's interviews (DESIGN §3.1).

``loop_problems`` is pure: it takes the slots as planned (saved or still in the admin form)
plus the interviewers' bookings in *other* loops, and returns what is wrong. Blocking
problems refuse the save; warnings are shown after it. ``bookings_elsewhere`` and
``problems_for_loop`` are the thin ORM shell around it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Q

from hiring.models import Interview, Loop, User


@dataclass(frozen=True)
class Slot:
    """One interview as planned."""

    label: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str = "UTC"
    interviewer_ids: frozenset[int] = field(default_factory=frozenset)
    dimension_ids: frozenset[int] = field(default_factory=frozenset)
    pk: int | None = None
    active: bool = True  # False for cancelled and no-show slots: they hold no one's time


@dataclass(frozen=True)
class Booking:
    """An interviewer's interview in another loop."""

    interviewer_id: int
    starts_at: datetime
    ends_at: datetime
    label: str


@dataclass(frozen=True)
class Problem:
    message: str
    blocking: bool


@dataclass(frozen=True)
class Rules:
    """What the requisition and its profile say about the panel."""

    must_have: Mapping[int, str]  # dimension id -> name
    hiring_manager_id: int | None = None
    hiring_manager_may_interview: bool = True


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _when(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    try:
        tz = ZoneInfo(time_zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return f"{start:%a %d %b %Y %H:%M} to {end:%H:%M} {time_zone}"


def loop_problems(
    *,
    slots: Sequence[Slot],
    bookings: Iterable[Booking],
    rules: Rules,
    names: Mapping[int, str],
) -> list[Problem]:
    """Every problem with the planned slots, blocking ones first."""
    active = [slot for slot in slots if slot.active]
    problems: list[Problem] = []

    def name(user_id: int) -> str:
        return names.get(user_id, f"user #{user_id}")

    bookings = list(bookings)
    for slot in active:
        for booking in bookings:
            if booking.interviewer_id in slot.interviewer_ids and _overlap(
                slot.starts_at, slot.ends_at, booking.starts_at, booking.ends_at
            ):
                problems.append(
                    Problem(
                        f"{name(booking.interviewer_id)} is double-booked: "
                        f"“{slot.label}” ({_when(slot.starts_at, slot.ends_at, slot.time_zone)}) "
                        f"overlaps “{booking.label}” "
                        f"({_when(booking.starts_at, booking.ends_at, slot.time_zone)}).",
                        blocking=True,
                    )
                )
    for i, first in enumerate(active):
        for second in active[i + 1 :]:
            if _overlap(first.starts_at, first.ends_at, second.starts_at, second.ends_at):
                problems.append(
                    Problem(
                        f"The candidate cannot be in two interviews at once: “{first.label}” "
                        f"({_when(first.starts_at, first.ends_at, first.time_zone)}) overlaps "
                        f"“{second.label}” "
                        f"({_when(second.starts_at, second.ends_at, first.time_zone)}).",
                        blocking=True,
                    )
                )
    if not rules.hiring_manager_may_interview and rules.hiring_manager_id is not None:
        for slot in active:
            if rules.hiring_manager_id in slot.interviewer_ids:
                problems.append(
                    Problem(
                        f"{name(rules.hiring_manager_id)} is the hiring manager and this role "
                        f"profile does not let them sit on a panel (“{slot.label}”).",
                        blocking=True,
                    )
                )
    for slot in active:
        if not slot.dimension_ids:
            problems.append(Problem(f"“{slot.label}” has no focus dimension.", blocking=False))
    covered = {dimension for slot in active for dimension in slot.dimension_ids}
    for dimension_id, dimension_name in rules.must_have.items():
        if dimension_id not in covered:
            problems.append(
                Problem(
                    f"No interview covers the must-have dimension “{dimension_name}”.",
                    blocking=False,
                )
            )
    return sorted(problems, key=lambda problem: not problem.blocking)


# --- The ORM shell -------------------------------------------------------------------------


def rules_for_loop(loop: Loop) -> Rules:
    requisition = loop.requisition
    profile = requisition.profile
    return Rules(
        must_have=dict(
            profile.dimensions.filter(must_have=True).values_list("pk", "name").order_by("order")
        ),
        hiring_manager_id=requisition.hiring_manager_id,
        hiring_manager_may_interview=profile.hiring_manager_may_interview,
    )


def bookings_elsewhere(*, loop_id: int | None, slots: Sequence[Slot]) -> list[Booking]:
    """Active interviews of the slots' interviewers, in other loops, overlapping any slot."""
    active = [slot for slot in slots if slot.active and slot.interviewer_ids]
    if not active:
        return []
    window = Q()
    for slot in active:
        window |= Q(starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at)
    interviewer_ids = {user_id for slot in active for user_id in slot.interviewer_ids}
    through = Interview.interviewers.through
    others = through.objects.filter(user_id__in=interviewer_ids).exclude(
        interview__status__in=Interview.NO_FEEDBACK_STATUSES
    )
    if loop_id is not None:
        others = others.exclude(interview__loop_id=loop_id)
    rows = others.filter(interview__in=Interview.objects.filter(window)).values_list(
        "user_id",
        "interview__starts_at",
        "interview__ends_at",
        "interview__title",
        "interview__loop__candidate__full_name",
    )
    return [
        Booking(user_id, starts_at, ends_at, f"{title} with {candidate}")
        for user_id, starts_at, ends_at, title, candidate in rows
    ]


def slot_for(interview: Interview) -> Slot:
    return Slot(
        label=interview.title,
        starts_at=interview.starts_at,
        ends_at=interview.ends_at,
        time_zone=interview.time_zone,
        interviewer_ids=frozenset(user.pk for user in interview.interviewers.all()),
        dimension_ids=frozenset(dimension.pk for dimension in interview.focus_dimensions.all()),
        pk=interview.pk,
        active=interview.status not in Interview.NO_FEEDBACK_STATUSES,
    )


def problems_for_loop(loop: Loop) -> list[Problem]:
    """The checks over a saved loop."""
    interviews = loop.interviews.prefetch_related("interviewers", "focus_dimensions")
    return problems_for_slots(loop=loop, slots=[slot_for(interview) for interview in interviews])


def problems_for_slots(*, loop: Loop, slots: Sequence[Slot]) -> list[Problem]:
    user_ids = {user_id for slot in slots for user_id in slot.interviewer_ids}
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=user_ids)}
    return loop_problems(
        slots=slots,
        bookings=bookings_elsewhere(loop_id=loop.pk, slots=slots),
        rules=rules_for_loop(loop),
        names=names,
    )
