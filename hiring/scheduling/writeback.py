"""CalDAV write-back (issue 17): an interviewer's Loopwise interviews, in their own calendar.

A CalDAV ``CalendarSource`` with ``write_back`` on gets every interview its owner is invited
to as an event: the *same* iCalendar event as the e-mailed invite (``invites.panel_ics``:
same UID, same SEQUENCE, same times and VTIMEZONE), without the iTIP ``METHOD`` line, which a
calendar collection must not hold (RFC 4791 §4.1). A client that also files the e-mailed
invite merges the two by UID.

How it travels, the way e-mails do (``hiring.delivery.notifications``):

1. Every invite, update or cancellation ``notify()`` schedules for a person also makes their
   write-back calendars' ``CalendarWrite`` row for that interview due, in the same
   transaction (rolled back with the change), and nudges ``hiring.tasks.calendars_write_back``
   after commit; beat runs the same task every minute for a lost nudge. The web request never
   talks to a calendar server.
2. ``write_due()`` claims a due row (``pending`` → ``writing``, a conditional UPDATE) and
   decides *then* what the calendar should hold, from the interview as it is: the event
   (PUT, replacing whatever that UID held) while the owner is on its panel, unless it was
   cancelled or its loop closed before it took place; otherwise nothing (DELETE). An
   interview already held stays, as any past meeting does. Both are idempotent, so a row
   run twice, late, or after a lost worker writes the same calendar.
3. A server that cannot be reached, or refuses, puts the row back to ``pending`` with
   jittered exponential backoff, up to ``CALENDAR_WRITE_MAX_ATTEMPTS``; a new change to the
   interview makes it due at once with a fresh count. A row left ``writing`` by a killed
   worker is taken again after ``LEASE``.

On cancellation the event is *deleted*, not stored as STATUS:CANCELLED. The event is
Loopwise's copy, not one the interviewer accepted, so there is nothing of theirs to keep;
Google and Outlook remove an event on an organizer's CANCEL too; and a CANCELLED event left
behind is drawn as an ordinary meeting (and counted busy) by clients and free/busy bridges
that ignore STATUS. The e-mailed cancellation still tells the person it was cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote, urljoin

import caldav
from caldav.lib import error as caldav_error
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import timezone

from hiring.delivery import notifications
from hiring.delivery.background import enqueue_after_commit, enqueue_retry, jittered_backoff
from hiring.models import CalendarSource, CalendarWrite, Interview, Loop, Notification
from hiring.scheduling import busy, invites
from hiring.services import INTERVIEW_CANCEL, INTERVIEW_INVITE, INTERVIEW_UPDATE

logger = logging.getLogger(__name__)

TASK = "hiring.tasks.calendars_write_back"
# A row claimed this long ago by a worker that never finished belongs to a lost worker.
LEASE = timedelta(minutes=10)
ERROR_CHARS = 500


class WriteError(Exception):
    """The calendar server refused a write; the message says why, in words."""


# --- Queuing -------------------------------------------------------------------------------


def queue(*, interview_id: int, owner_id: int) -> int:
    """Make ``owner_id``'s write-back calendars' copy of the interview due now (call it in the
    transaction of the change); returns how many calendars that is."""
    source_ids = list(
        CalendarSource.objects.filter(
            owner_id=owner_id, kind=CalendarSource.Kind.CALDAV, write_back=True
        ).values_list("pk", flat=True)
    )
    if not source_ids:
        return 0
    now = timezone.now()
    # One row per calendar and interview: a second change while the first is pending (or
    # being written) makes the same row due again; the running write then loses its fence
    # and the row runs once more, with the newer interview.
    CalendarWrite.objects.bulk_create(
        [
            CalendarWrite(
                source_id=pk,
                interview_id=interview_id,
                status=CalendarWrite.Status.PENDING,
                due_at=now,
                attempts=0,
                last_error="",
            )
            for pk in source_ids
        ],
        update_conflicts=True,
        unique_fields=["source", "interview"],
        update_fields=["status", "due_at", "attempts", "last_error"],
    )
    enqueue_after_commit(TASK)
    return len(source_ids)


def queue_upcoming(source: CalendarSource) -> int:
    """Write-back just turned on: queue the interviews its owner was already invited to
    that are still to come (the ones invited from now on queue themselves)."""
    if not (source.write_back and source.kind == CalendarSource.Kind.CALDAV):
        return 0
    invited = Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(Interview),
        recipient_id=source.owner_id,
        reason__in=(INTERVIEW_INVITE, INTERVIEW_UPDATE),
    ).exclude(status=Notification.Status.CANCELLED)
    upcoming = Interview.objects.filter(
        pk__in=invited.values("object_id"),
        interviewers=source.owner,
        status=Interview.Status.SCHEDULED,
        loop__status__in=Loop.OPEN_STATUSES,
        ends_at__gt=timezone.now(),
    ).values_list("pk", flat=True)
    queued = 0
    for interview_id in upcoming:
        queued += queue(interview_id=interview_id, owner_id=source.owner_id)
    return queued


@notifications.also_when_scheduled(INTERVIEW_INVITE, INTERVIEW_UPDATE, INTERVIEW_CANCEL)
def _on_calendar_message(notification: Notification) -> None:
    if notification.recipient_id is not None:
        queue(interview_id=notification.object_id, owner_id=notification.recipient_id)


# --- What the calendar should hold -----------------------------------------------------------


def wanted(write: CalendarWrite) -> tuple[str, bytes | None, int | None]:
    """The interview's UID, the event ``write.source`` should hold for it now (None: none)
    and that event's SEQUENCE."""
    interview = (
        Interview.objects.select_related("loop__candidate", "loop__requisition")
        .prefetch_related("interviewers")
        .get(pk=write.interview_id)
    )
    on_panel = any(member.pk == write.source.owner_id for member in interview.interviewers.all())
    if (
        interview.status == Interview.Status.CANCELLED
        or not on_panel
        # a closed loop's interviews still to come will not happen; the ones held (completed,
        # no-show) stay in the calendar as they were, like any past meeting
        or (
            interview.loop.status not in Loop.OPEN_STATUSES and interview.starts_at > timezone.now()
        )
    ):
        return interview.calendar_uid, None, None
    ics = without_method(invites.panel_ics(interview, write.source.owner))
    return interview.calendar_uid, ics, interview.calendar_sequence


def without_method(ics: bytes) -> bytes:
    """The e-mailed ``.ics`` as a calendar object resource: the same bytes but the top-level
    ``METHOD`` line (a property value never starts a line: newlines are escaped, long lines
    fold onto lines that begin with a space)."""
    lines = ics.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.upper().startswith(b"METHOD:"))


def event_url(calendar_url: str, uid: str) -> str:
    base = calendar_url if calendar_url.endswith("/") else f"{calendar_url}/"
    return urljoin(base, quote(f"{uid}.ics", safe="@"))


# --- Writing -------------------------------------------------------------------------------


def write_one(source: CalendarSource, *, uid: str, ics: bytes | None) -> None:
    """Make the calendar at ``source`` hold ``ics`` under ``uid`` (None: hold nothing).
    The resource is found by UID first: a client may have filed the e-mailed invite under
    another name, and a collection holds one resource per UID."""
    refusal = busy.url_refusal(source.url)
    if refusal is not None:
        raise WriteError(refusal)
    client = caldav.DAVClient(
        url=source.url,
        username=source.username or None,
        password=source.secret or None,
        timeout=settings.CALENDAR_TIMEOUT_SECONDS,
    )
    with client:
        calendar = client.calendar(url=source.url)
        try:
            found = calendar.event_by_uid(uid)
        except caldav_error.NotFoundError:
            href = event_url(source.url, uid)
            exists = False
        else:
            href = str(found.url)
            exists = True
        if ics is None:
            if exists:
                _check(client.delete(href), allowed=(404, 410))
            return
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        _check(client.put(href, ics.decode(), headers))


def _check(response: caldav.davclient.DAVResponse, *, allowed: tuple[int, ...] = ()) -> None:
    status = int(response.status)
    if status < 300 or status in allowed:
        return
    if status in (401, 403):
        raise WriteError(f"the server refused to let us write (HTTP {status})")
    if status == 404:
        raise WriteError("no calendar at that address (HTTP 404)")
    raise WriteError(f"the server answered HTTP {status}")


def backoff(attempts: int) -> timedelta:
    return jittered_backoff(
        attempts,
        base_seconds=float(settings.CALENDAR_WRITE_RETRY_BASE_SECONDS),
        cap_seconds=6 * 3600.0,
    )


def _reclaim_lost(now: datetime) -> None:
    CalendarWrite.objects.filter(
        status=CalendarWrite.Status.WRITING, claimed_at__lt=now - LEASE
    ).update(status=CalendarWrite.Status.PENDING, due_at=now)


def _claim(write: CalendarWrite, now: datetime) -> bool:
    claimed_at = timezone.now()
    taken = CalendarWrite.objects.filter(
        pk=write.pk, status=CalendarWrite.Status.PENDING, due_at__lte=now
    ).update(status=CalendarWrite.Status.WRITING, claimed_at=claimed_at, attempts=F("attempts") + 1)
    if taken != 1:
        return False  # another worker took it
    write.refresh_from_db(fields=["status", "claimed_at", "attempts"])
    return True


def _finish(write: CalendarWrite, **changes: object) -> bool:
    """Record the outcome, only if the row is still this worker's: a change that made it due
    again meanwhile keeps it pending, to run with the newer interview."""
    return (
        CalendarWrite.objects.filter(
            pk=write.pk, status=CalendarWrite.Status.WRITING, claimed_at=write.claimed_at
        ).update(**changes)
        == 1
    )


def run(write: CalendarWrite) -> bool:
    """Write one claimed row; True when the calendar now holds what it should."""
    source = write.source
    if not (source.write_back and source.kind == CalendarSource.Kind.CALDAV):
        _finish(write, status=CalendarWrite.Status.DONE, last_error="Write-back is turned off.")
        return True
    try:
        uid, ics, sequence = wanted(write)
        write_one(source, uid=uid, ics=ics)
    except Exception as exc:  # whatever went wrong is recorded, in words, and retried
        error = busy.redact(busy.describe(exc), source)[:ERROR_CHARS]
        if write.attempts >= settings.CALENDAR_WRITE_MAX_ATTEMPTS:
            logger.error("calendar write-back: giving up on %s: %s", write.pk, error)
            _finish(write, status=CalendarWrite.Status.FAILED, last_error=error)
            return False
        now = timezone.now()
        retry_at = now + backoff(write.attempts)
        logger.warning("calendar write-back: %s failed (%s), retrying", write.pk, error)
        if _finish(write, status=CalendarWrite.Status.PENDING, due_at=retry_at, last_error=error):
            enqueue_retry(TASK, retry_at - now)
        return False
    _finish(
        write,
        status=CalendarWrite.Status.DONE,
        written_sequence=sequence,
        written_at=timezone.now(),
        last_error="",
    )
    return True


def write_due(limit: int) -> int:
    """One sweep: write up to ``limit`` due rows; return how many were due."""
    now = timezone.now()
    _reclaim_lost(now)
    due = list(
        CalendarWrite.objects.filter(status=CalendarWrite.Status.PENDING, due_at__lte=now)
        .select_related("source__owner")
        .order_by("due_at", "pk")[:limit]
    )
    for write in due:
        if _claim(write, now):
            run(write)
    return len(due)
