"""Who is reminded of what, and when (DESIGN §3.3-3.5): the sweep that turns the schedule
into ``Notification`` rows, and the renderers that write the e-mails at send time.

Why a sweep derives the rows instead of writing them when an interview is scheduled:
interviews are created, moved and cancelled from several places (admin inlines, the API,
imports), a requisition's delays can change at any time, and a scorecard can be submitted
before its reminder falls due. A row written ahead would have to be found and fixed on every
one of those paths. Here the schedule is a pure function of what the database says *now*
(interview times and status, the panel, scorecard status, the requisition's delays), so a
reschedule, a cancellation or a submitted scorecard simply stops producing rows. The sweep
writes a row only once its moment has come, keyed by (recipient, reason, object, sequence),
so running it twice, or in two workers at once, writes each row once; the renderer checks
again at send time. What a row records is what was actually sent, for the admin.

Sequences: ``scorecard.due`` n is the n-th reminder (0 at end + first delay, then one per
interval); interview reminders use the interview's iCalendar SEQUENCE, so a rescheduled
interview is reminded afresh; the digest uses the recruiter's local date (YYYYMMDD).

This module is the sweep: who owes what, and which reminder rows are due. Their e-mails are
rendered by ``scorecards.reminders.sweep.emails`` at send time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, QuerySet, Subquery
from django.utils import timezone

from hiring.delivery import notifications as n
from hiring.models import Interview, Loop, Notification, Requisition, User
from hiring.models.delivery import Heartbeat
from scorecards.models import Scorecard

Panel = Interview.interviewers.through  # one row per (interview, interviewer): a panel seat
OWING_INTERVIEW = (Interview.Status.SCHEDULED, Interview.Status.COMPLETED)
SWEEP_BATCH = 2000
# Heartbeat rows of the last complete sweep (all its batches): when it began and finished.
# Written together, so /metrics reads its duration and age from one pair (config.metrics).
SWEEP_STARTED = "reminder sweep started"
SWEEP_FINISHED = "reminder sweep finished"


def admin_loop_url(loop_id: int) -> str:
    return f"{settings.SITE_URL}/admin/hiring/loop/{loop_id}/change/"


def _ct(model: type[Any]) -> int:
    return ContentType.objects.get_for_model(model).pk


def _notifications(reason: str, model: type[Any]) -> QuerySet[Notification]:
    return Notification.objects.filter(content_type_id=_ct(model), reason=reason, resend=0)


# --- Who owes a scorecard ------------------------------------------------------------------


def owed_seats(*, now: datetime) -> QuerySet[Any]:
    """Panel seats that owe a scorecard and are still chased: the interview ended (within
    ``SCORECARD_REMINDER_DAYS``) and was not cancelled, the loop is open, and no submitted
    scorecard exists. Whether the *requisition's* first delay has passed is checked per row
    (``is_overdue``)."""
    submitted = Scorecard.objects.filter(
        interview_id=OuterRef("interview_id"),
        interviewer_id=OuterRef("user_id"),
        status=Scorecard.Status.SUBMITTED,
    )
    return Panel.objects.filter(
        interview__status__in=OWING_INTERVIEW,
        interview__ends_at__gte=now - timedelta(days=settings.SCORECARD_REMINDER_DAYS),
        interview__ends_at__lte=now,
        interview__loop__status__in=Loop.OPEN_STATUSES,
    ).filter(~Exists(submitted))


SEAT_FIELDS = (
    "pk",
    "interview_id",
    "user_id",
    "user__email",
    "user__time_zone",
    "interview__ends_at",
    "interview__loop_id",
    "interview__loop__requisition_id",
    "interview__loop__requisition__first_reminder_after_minutes",
    "interview__loop__requisition__reminder_interval_hours",
    "interview__loop__requisition__escalate_after_hours",
)


def is_overdue(seat: dict[str, Any], now: datetime) -> bool:
    first = timedelta(minutes=seat["interview__loop__requisition__first_reminder_after_minutes"])
    return bool(seat["interview__ends_at"] + first <= now)


def overdue_seats(*, now: datetime, requisition_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Overdue panel seats in these requisitions, oldest first, with what the digest shows."""
    seats = (
        owed_seats(now=now)
        .filter(interview__loop__requisition_id__in=list(requisition_ids))
        .order_by("interview__ends_at", "pk")
        .values(
            *SEAT_FIELDS,
            "interview__title",
            "interview__loop__candidate__full_name",
            "interview__loop__requisition__title",
            "user__first_name",
            "user__last_name",
            "user__username",
        )
    )
    return [seat for seat in seats if is_overdue(seat, now)]


# --- The sweep -----------------------------------------------------------------------------


@dataclass
class SweepResult:
    scheduled: int
    next_after: int | None  # re-queue from this panel seat, or None when done
    started_at: datetime  # when the sweep's first batch began: the next batch carries it on


def schedule_due_reminders(
    *,
    now: datetime | None = None,
    after_id: int = 0,
    limit: int = SWEEP_BATCH,
    started_at: datetime | None = None,
) -> SweepResult:
    """Write the notification rows whose moment has come. One bounded batch of overdue seats
    (keyset on the panel seat id); the first batch also covers upcoming interviews and loops
    that became ready for debrief without a notice (an interview cancelled last). The last
    batch records when the sweep began (``started_at``, given by the batch before) and ended."""
    started_at = started_at or timezone.now()
    now = now or timezone.now()
    with transaction.atomic():
        rows: list[Notification] = []
        if after_id == 0:
            rows += _upcoming_interview_reminders(now)
            rows += _missed_ready_for_debrief(now)
        seats, next_after = _overdue_batch(now, after_id, limit)
        rows += _scorecard_reminders(seats, now)
        scheduled = n.notify_many(rows)
    if next_after is None:
        _record_sweep(started_at, timezone.now())
    return SweepResult(scheduled=scheduled, next_after=next_after, started_at=started_at)


def _record_sweep(started_at: datetime, finished_at: datetime) -> None:
    Heartbeat.objects.bulk_create(
        [
            Heartbeat(name=SWEEP_STARTED, seen_at=started_at),
            Heartbeat(name=SWEEP_FINISHED, seen_at=finished_at),
        ],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["seen_at"],
    )


def overdue_batch_query(*, now: datetime, after_id: int, limit: int) -> QuerySet[Any] | None:
    """The sweep's one big query: a batch of owing panel seats past the shortest first delay,
    with the last 'scorecard due' sequence and whether the recruiters were told, per seat."""
    min_first = Requisition.objects.aggregate(m=Min("first_reminder_after_minutes"))["m"]
    if min_first is None:
        return None  # no requisitions, no interviews
    interview_ct = _ct(Interview)
    last_due = (
        Notification.objects.filter(
            content_type_id=interview_ct,
            object_id=OuterRef("interview_id"),
            reason=n.SCORECARD_DUE,
            recipient_id=OuterRef("user_id"),
            resend=0,
        )
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    escalated = Notification.objects.filter(
        content_type_id=interview_ct,
        object_id=OuterRef("interview_id"),
        reason=n.SCORECARD_ESCALATION,
        resend=0,
    )
    return (
        owed_seats(now=now)
        .filter(pk__gt=after_id, interview__ends_at__lte=now - timedelta(minutes=min_first))
        .annotate(last_due=Subquery(last_due), escalated=Exists(escalated))
        .order_by("pk")
        .values(*SEAT_FIELDS, "last_due", "escalated")[:limit]
    )


def _overdue_batch(
    now: datetime, after_id: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    query = overdue_batch_query(now=now, after_id=after_id, limit=limit)
    seats = list(query) if query is not None else []
    next_after = seats[-1]["pk"] if len(seats) == limit else None
    return [seat for seat in seats if is_overdue(seat, now)], next_after


def _scorecard_reminders(seats: list[dict[str, Any]], now: datetime) -> list[Notification]:
    """'Scorecard due' (then daily) to the interviewer; once, the escalation to the
    recruiters; and each recruiter's daily digest."""
    interview_ct, user_ct = _ct(Interview), _ct(User)
    recruiters = _recruiters_of({seat["interview__loop__requisition_id"] for seat in seats})
    rows: list[Notification] = []
    escalated: set[int] = set()
    for seat in seats:
        requisition_id = seat["interview__loop__requisition_id"]
        first_at = seat["interview__ends_at"] + timedelta(
            minutes=seat["interview__loop__requisition__first_reminder_after_minutes"]
        )
        interval = timedelta(hours=seat["interview__loop__requisition__reminder_interval_hours"])
        sequence = int((now - first_at) // interval)
        if seat["last_due"] is None or seat["last_due"] < sequence:
            rows.append(
                n.prepare(
                    reason=n.SCORECARD_DUE,
                    content_type_id=interview_ct,
                    object_id=seat["interview_id"],
                    recipient_email=seat["user__email"],
                    recipient_id=seat["user_id"],
                    tz=n.zone(seat["user__time_zone"]),
                    requisition_id=requisition_id,
                    due_at=first_at + sequence * interval,
                    sequence=sequence,
                )
            )
        escalate_at = seat["interview__ends_at"] + timedelta(
            hours=seat["interview__loop__requisition__escalate_after_hours"]
        )
        if now >= escalate_at and not seat["escalated"] and seat["interview_id"] not in escalated:
            escalated.add(seat["interview_id"])
            rows += [
                n.prepare(
                    reason=n.SCORECARD_ESCALATION,
                    content_type_id=interview_ct,
                    object_id=seat["interview_id"],
                    recipient_email=email,
                    recipient_id=user_id,
                    tz=n.zone(tz),
                    requisition_id=requisition_id,
                    due_at=escalate_at,
                )
                for user_id, email, tz in recruiters.get(requisition_id, [])
            ]
    rows += _digests(recruiters, now, user_ct)
    return rows


def _recruiters_of(requisition_ids: set[int]) -> dict[int, list[tuple[int, str, str]]]:
    through = Requisition.recruiters.through
    by_requisition: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in through.objects.filter(requisition_id__in=requisition_ids).values_list(
        "requisition_id", "user_id", "user__email", "user__time_zone"
    ):
        if row[2]:
            by_requisition[row[0]].append((row[1], row[2], row[3]))
    return by_requisition


def digest_sequence(now: datetime, tz_name: str) -> int:
    return int(now.astimezone(n.zone(tz_name)).strftime("%Y%m%d"))


def _digests(
    recruiters: dict[int, list[tuple[int, str, str]]], now: datetime, user_ct: int
) -> list[Notification]:
    """One digest a day per recruiter with overdue scorecards, from RECRUITER_DIGEST_HOUR
    until the quiet hours in their own time zone (a digest written in the evening would wait
    for the next morning and be stale by then: that morning's digest replaces it)."""
    people = {user_id: (email, tz) for rows in recruiters.values() for user_id, email, tz in rows}
    wanted = {
        user_id: digest_sequence(now, tz)
        for user_id, (_, tz) in people.items()
        if now.astimezone(n.zone(tz)).hour >= settings.RECRUITER_DIGEST_HOUR
        and n.outside_quiet_hours(now, n.zone(tz)) == now
    }
    if not wanted:
        return []
    existing = set(
        _notifications(n.SCORECARD_DIGEST, User)
        .filter(object_id__in=list(wanted), sequence__in=set(wanted.values()))
        .values_list("object_id", "sequence")
    )
    return [
        n.prepare(
            reason=n.SCORECARD_DIGEST,
            content_type_id=user_ct,
            object_id=user_id,
            recipient_email=people[user_id][0],
            recipient_id=user_id,
            tz=n.zone(people[user_id][1]),
            requisition_id=None,
            due_at=now,
            sequence=sequence,
        )
        for user_id, sequence in wanted.items()
        if (user_id, sequence) not in existing
    ]


def morning_hour() -> int:
    """'The morning of': when the quiet hours end (08:00 by default)."""
    quiet = settings.QUIET_HOURS_START != settings.QUIET_HOURS_END
    return int(settings.QUIET_HOURS_END) if quiet else 8


UPCOMING_FIELDS = (
    "interview_id",
    "user_id",
    "user__email",
    "user__time_zone",
    "interview__starts_at",
    "interview__calendar_sequence",
    "interview__loop__requisition_id",
    "interview__loop__requisition__remind_before_hours",
    "interview__loop__requisition__remind_morning_of",
    "has_day_before",
    "has_morning_of",
)


def _upcoming_interview_reminders(now: datetime) -> list[Notification]:
    """The day before (``remind_before_hours``) and the morning of an interview."""
    longest = Requisition.objects.aggregate(m=Max("remind_before_hours"))["m"] or 0
    horizon = now + timedelta(hours=max(longest, 24) + 24)
    interview_ct = _ct(Interview)
    sent_for = {
        reason: _notifications(reason, Interview).filter(
            object_id=OuterRef("interview_id"),
            recipient_id=OuterRef("user_id"),
            sequence=OuterRef("interview__calendar_sequence"),
        )
        for reason in (n.INTERVIEW_DAY_BEFORE, n.INTERVIEW_MORNING_OF)
    }
    seats = (
        Panel.objects.filter(
            interview__status=Interview.Status.SCHEDULED,
            interview__loop__status__in=Loop.OPEN_STATUSES,
            interview__ends_at__gt=now,  # the (status, ends_at) index bounds the scan
            interview__ends_at__lte=horizon,
            interview__starts_at__gt=now,
        )
        .annotate(
            has_day_before=Exists(sent_for[n.INTERVIEW_DAY_BEFORE]),
            has_morning_of=Exists(sent_for[n.INTERVIEW_MORNING_OF]),
        )
        .values(*UPCOMING_FIELDS)
    )
    rows: list[Notification] = []
    for seat in seats:
        tz = n.zone(seat["user__time_zone"])
        starts = seat["interview__starts_at"]
        common = {
            "content_type_id": interview_ct,
            "object_id": seat["interview_id"],
            "recipient_email": seat["user__email"],
            "recipient_id": seat["user_id"],
            "tz": tz,
            "requisition_id": seat["interview__loop__requisition_id"],
            "sequence": seat["interview__calendar_sequence"],
        }
        before = timedelta(hours=seat["interview__loop__requisition__remind_before_hours"])
        day_before_at = n.outside_quiet_hours(starts - before, tz) if before else None
        if (
            day_before_at is not None
            and now >= starts - before
            and day_before_at < starts
            and not seat["has_day_before"]
        ):
            rows.append(n.prepare(reason=n.INTERVIEW_DAY_BEFORE, due_at=starts - before, **common))
        local_start = starts.astimezone(tz)
        morning = datetime.combine(local_start.date(), time(morning_hour()), tzinfo=tz)
        same_morning = (
            day_before_at is not None and day_before_at.astimezone(tz).date() == local_start.date()
        )
        if (
            seat["interview__loop__requisition__remind_morning_of"]
            and morning < starts
            and now >= morning
            and not same_morning
            and not seat["has_morning_of"]
        ):
            rows.append(n.prepare(reason=n.INTERVIEW_MORNING_OF, due_at=morning, **common))
    return rows


def _missed_ready_for_debrief(now: datetime) -> list[Notification]:
    """Loops that became ready without a scorecard submission (the last owing interview was
    cancelled) get their notice too; the outbox handler covers the usual path."""
    notified = _notifications(n.LOOP_READY_FOR_DEBRIEF, Loop).filter(object_id=OuterRef("pk"))
    loops = Loop.objects.filter(
        status=Loop.Status.READY_FOR_DEBRIEF, updated_at__gte=now - timedelta(days=1)
    ).filter(~Exists(notified))
    rows: list[Notification] = []
    for loop in loops.select_related("requisition__hiring_manager"):
        rows += ready_for_debrief_rows(loop, now)
    return rows


def ready_for_debrief_rows(loop: Loop, now: datetime) -> list[Notification]:
    requisition = loop.requisition
    people = list(requisition.recruiters.all())
    if requisition.hiring_manager is not None:
        people.append(requisition.hiring_manager)
    loop_ct = _ct(Loop)
    return [
        n.prepare(
            reason=n.LOOP_READY_FOR_DEBRIEF,
            content_type_id=loop_ct,
            object_id=loop.pk,
            recipient_email=person.email,
            recipient_id=person.pk,
            tz=n.zone(person.time_zone),
            requisition_id=requisition.pk,
            due_at=now,
        )
        for person in {person.pk: person for person in people}.values()
        if person.email
    ]


def notify_ready_for_debrief(*, loop_id: int) -> int:
    """Tell the recruiters and the hiring manager, once, that a loop is ready for debrief.
    Runs in the outbox dispatcher's transaction; idempotent through the unique key."""
    loop = Loop.objects.select_related("requisition__hiring_manager").get(pk=loop_id)
    if loop.status != Loop.Status.READY_FOR_DEBRIEF:
        return 0
    return n.notify_many(ready_for_debrief_rows(loop, timezone.now()))
