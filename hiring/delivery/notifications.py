"""E-mail notifications that are never lost and never arrive twice (DESIGN §5).

How a message travels:

1. ``notify()`` (or ``notify_many()`` for a sweep) writes a ``Notification`` row in the
   caller's transaction: rolled back with the change that caused it, committed with it. A
   unique key (object, reason, recipient, sequence, resend) makes a second ``notify()`` for
   the same message a no-op, however many requests, handlers or sweepers race for it.
2. ``deliver_due()`` (task ``hiring.tasks.send_due_notifications``: beat every minute, and a
   nudge after every commit that adds a due row) claims one due row at a time with a
   conditional UPDATE (``pending`` → ``sending``, attempts + 1), renders it *at send time*
   through the renderer registered for its reason (``None`` = no longer relevant: cancelled),
   sends it through Django's e-mail backend and marks it ``sent`` only after the SMTP server
   accepted it. Every write after the claim is fenced on ``claimed_at``, so a worker whose
   lease ran out cannot overwrite the outcome of the worker that took over.
3. Transient failures (connection refused, 4xx) go back to ``pending`` with exponential
   backoff and jitter, capped; a 5xx refusal or the last allowed attempt ends ``failed``,
   visible in the admin. A row left in ``sending`` by a killed worker is reclaimed after
   ``NOTIFICATION_LEASE_SECONDS``.

The one window this cannot close: a worker killed after the SMTP server answered "250
accepted" but before the UPDATE that marks the row sent. SMTP offers no two-phase commit
with our database, so after the lease the row is sent again. Two things keep that honest:
the window is a single round trip to PostgreSQL wide (the kill has to land between two
statements), and the Message-ID is stored with the row (random, written with it), so the
retry carries the *same* Message-ID and mail servers and clients that de-duplicate on it
(and the test server, which counts unique Message-IDs) see one message. A kill *before* the
server's 250 (stalled in DATA, connection refused, timeout) loses nothing and duplicates
nothing: the server never accepted that copy, and the reclaimed row delivers the first one.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.mime.base import MIMEBase
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone

from hiring import access
from hiring.delivery.background import enqueue_after_commit, enqueue_retry, jittered_backoff
from hiring.models import Interview, Loop, Notification, Requisition, User

logger = logging.getLogger(__name__)

# --- Reasons -------------------------------------------------------------------------------
# The reasons this module and scorecards.reminders schedule. Other modules register their
# own (hiring.invites: "interview.invite", "interview.update", "interview.cancel",
# "candidate.schedule").

INTERVIEW_DAY_BEFORE = "interview.day_before"
INTERVIEW_MORNING_OF = "interview.morning_of"
SCORECARD_DUE = "scorecard.due"
SCORECARD_ESCALATION = "scorecard.escalation"
SCORECARD_DIGEST = "scorecard.digest"
LOOP_READY_FOR_DEBRIEF = "loop.ready_for_debrief"

# Reminders wait for the morning in the recipient's time zone; everything else (invites,
# cancellations, "ready for debrief") goes out as soon as it is due.
REMINDER_REASONS = frozenset(
    {
        INTERVIEW_DAY_BEFORE,
        INTERVIEW_MORNING_OF,
        SCORECARD_DUE,
        SCORECARD_ESCALATION,
        SCORECARD_DIGEST,
    }
)

# --- Rendering -----------------------------------------------------------------------------

Attachment = tuple[str, bytes | str, str] | MIMEBase


@dataclass
class RenderedEmail:
    """What a renderer returns: one e-mail, plain text and (normally) HTML."""

    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_templates(
        cls,
        template: str,
        context: dict[str, Any],
        *,
        subject: str,
        attachments: list[Attachment] | None = None,
        headers: dict[str, str] | None = None,
    ) -> RenderedEmail:
        """Render ``<template>.txt`` and ``<template>.html`` with ``context``."""
        context = {"site_url": settings.SITE_URL, "subject": subject, **context}
        return cls(
            subject=subject,
            text=render_to_string(f"{template}.txt", context),
            html=render_to_string(f"{template}.html", context),
            attachments=list(attachments or []),
            headers=dict(headers or {}),
        )


Renderer = Callable[[Notification], RenderedEmail | None]
# Filled on import by the modules that render (each app's ``ready`` imports them: web and
# worker processes alike know every reason before the first delivery).
_renderers: dict[str, Renderer] = {}


def renders(reason: str) -> Callable[[Renderer], Renderer]:
    """Register ``render(notification) -> RenderedEmail | None`` for a reason. It runs at send
    time, so it sees the data as it is then; returning None cancels the notification."""

    def register(renderer: Renderer) -> Renderer:
        _renderers[reason] = renderer
        return renderer

    return register


def renderer_for(reason: str) -> Renderer | None:
    return _renderers.get(reason)


Hook = Callable[[Notification], None]
# Work that follows a message into the same transaction when ``notify()`` schedules it: the
# CalDAV write-back of an invite (``hiring.scheduling.writeback``).
_when_scheduled: dict[str, list[Hook]] = {}


def also_when_scheduled(*reasons: str) -> Callable[[Hook], Hook]:
    """Register ``hook(notification)`` to run in the caller's transaction whenever
    ``notify()`` schedules a new message for one of ``reasons`` (not for a repeat)."""

    def register(hook: Hook) -> Hook:
        for reason in reasons:
            hooks = _when_scheduled.setdefault(reason, [])
            if hook not in hooks:
                hooks.append(hook)
        return hook

    return register


# --- Quiet hours ---------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def recipient_zone(recipient: User | None) -> ZoneInfo:
    return zone(recipient.time_zone if recipient is not None else None)


def outside_quiet_hours(when: datetime, tz: ZoneInfo) -> datetime:
    """``when``, or the end of the quiet hours (08:00 by default) it falls into, in ``tz``."""
    start, end = settings.QUIET_HOURS_START, settings.QUIET_HOURS_END
    if start == end:
        return when  # no quiet hours
    local = when.astimezone(tz)
    hour = local.hour
    quiet = (hour >= start or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return when
    day = local.date()
    if start > end and hour >= start:
        day += timedelta(days=1)  # evening: wait for tomorrow morning
    wake = datetime.combine(day, time(end), tzinfo=tz)
    return wake.astimezone(when.tzinfo or tz)


# --- Creating notifications ----------------------------------------------------------------


def _requisition_id_for(obj: models.Model) -> int | None:
    """The requisition whose recruiters may see this notification in the admin."""
    if isinstance(obj, Requisition):
        return obj.pk
    if isinstance(obj, Loop):
        return obj.requisition_id
    if isinstance(obj, Interview):
        return obj.loop.requisition_id
    for attribute in ("interview", "loop"):  # scorecards, summaries, decisions
        related = getattr(obj, attribute, None)
        if isinstance(related, (Interview, Loop)):
            return _requisition_id_for(related)
    return None


def prepare(
    *,
    reason: str,
    content_type_id: int,
    object_id: int,
    recipient_email: str,
    recipient_id: int | None,
    tz: ZoneInfo,
    requisition_id: int | None,
    due_at: datetime,
    sequence: int = 0,
) -> Notification:
    """An unsaved notification for ``notify_many``, with quiet hours applied."""
    if reason in REMINDER_REASONS:
        due_at = outside_quiet_hours(due_at, tz)
    return Notification(
        reason=reason,
        content_type_id=content_type_id,
        object_id=object_id,
        recipient_email=recipient_email.strip(),
        recipient_id=recipient_id,
        requisition_id=requisition_id,
        due_at=due_at,
        sequence=sequence,
    )


def notify(
    *,
    reason: str,
    obj: models.Model,
    recipient_email: str,
    recipient: User | None = None,
    due_at: datetime | None = None,
    sequence: int = 0,
) -> Notification | None:
    """Schedule one e-mail; call it inside the transaction of the change that causes it.

    Idempotent: a second call with the same (reason, object, recipient, sequence) returns the
    row the first one wrote and schedules nothing. Due now unless ``due_at`` says otherwise;
    reminder-type reasons move out of the recipient's quiet hours. Nobody to write to (an
    empty address) schedules nothing and returns None."""
    if not recipient_email.strip():
        return None
    now = timezone.now()
    notification = prepare(
        reason=reason,
        content_type_id=ContentType.objects.get_for_model(obj).pk,
        object_id=int(obj.pk),
        recipient_email=recipient_email,
        recipient_id=recipient.pk if recipient is not None else None,
        tz=recipient_zone(recipient),
        requisition_id=_requisition_id_for(obj),
        due_at=due_at or now,
        sequence=sequence,
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return _existing(notification)
    for hook in _when_scheduled.get(reason, ()):
        hook(notification)
    if notification.due_at <= now:
        nudge()
    return notification


def _existing(notification: Notification) -> Notification | None:
    return Notification.objects.filter(
        content_type_id=notification.content_type_id,
        object_id=notification.object_id,
        reason=notification.reason,
        recipient_email__iexact=notification.recipient_email,
        sequence=notification.sequence,
        resend=notification.resend,
    ).first()


def notify_many(notifications: Iterable[Notification]) -> int:
    """Insert prepared notifications in bulk; rows whose key exists already are skipped by the
    database (ON CONFLICT DO NOTHING), so two sweepers racing write each row once."""
    rows = [row for row in notifications if row.recipient_email]
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    now = timezone.now()
    if any(row.due_at <= now for row in rows):
        nudge()
    return len(rows)


def notification_resend(*, notification: Notification, by: User) -> Notification:
    """A deliberate new send of the same message, due now: the next ``resend`` number under
    the same key, so the original stays as history and a scheduled occurrence is never
    shadowed."""
    access.check(by, "resend", notification)
    same_message = Notification.objects.filter(
        content_type_id=notification.content_type_id,
        object_id=notification.object_id,
        reason=notification.reason,
        recipient_email__iexact=notification.recipient_email,
        sequence=notification.sequence,
    )
    for _ in range(5):  # two admins clicking at once: the loser takes the next number
        resend = (same_message.aggregate(last=Max("resend"))["last"] or 0) + 1
        try:
            with transaction.atomic():
                copy = Notification.objects.create(
                    reason=notification.reason,
                    recipient_id=notification.recipient_id,
                    recipient_email=notification.recipient_email,
                    content_type_id=notification.content_type_id,
                    object_id=notification.object_id,
                    sequence=notification.sequence,
                    resend=resend,
                    requisition_id=notification.requisition_id,
                    due_at=timezone.now(),
                    created_by=by,
                )
        except IntegrityError:
            continue
        nudge()
        return copy
    raise IntegrityError("Could not number the re-send; try again.")


def nudge() -> None:
    """Ask a worker to deliver after commit; the beat sweep covers a broker outage."""
    enqueue_after_commit("hiring.tasks.send_due_notifications")


# --- Delivering ----------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter (50-100 % of the step), capped."""
    return jittered_backoff(
        attempts,
        base_seconds=float(settings.NOTIFICATION_RETRY_BASE_SECONDS),
        cap_seconds=float(settings.NOTIFICATION_RETRY_MAX_SECONDS),
    )


def is_permanent(exc: BaseException) -> bool:
    """True when trying again cannot help: the server refused with a 5xx, or the message
    itself is malformed. Connection errors, timeouts and 4xx replies are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # a configuration problem an operator fixes; the attempt cap still holds
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, (ValueError, UnicodeError))  # bad address or header


def message_id_for(notification: Notification) -> str:
    """Stable per row: a retry after a crash carries the same Message-ID as the first try.
    The row's stored random id (``Notification.message_id``); a row written before there was
    one keeps the id derived from its pk."""
    if notification.message_id:
        return notification.message_id
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loopwise.local"
    return f"<notification.{notification.pk}@{domain}>"


def build_message(notification: Notification, rendered: RenderedEmail) -> EmailMultiAlternatives:
    headers = {
        **rendered.headers,
        "Message-ID": message_id_for(notification),
        "X-Loopwise-Notification": str(notification.pk),
        "X-Loopwise-Reason": notification.reason,
    }
    message = EmailMultiAlternatives(
        subject=" ".join(rendered.subject.split()),
        body=rendered.text,
        to=[notification.recipient_email],
        headers=headers,
    )
    if rendered.html:
        message.attach_alternative(rendered.html, "text/html")
    for attachment in rendered.attachments:
        if isinstance(attachment, MIMEBase):
            message.attach(attachment)
        else:
            message.attach(*attachment)
    return message


def reclaim_stale(*, now: datetime) -> int:
    """Rows left in ``sending`` past the lease belong to a worker that died: make them due
    again (or failed, when that was their last allowed attempt)."""
    expired = Notification.objects.filter(
        status=Notification.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS),
    )
    max_attempts = settings.NOTIFICATION_MAX_ATTEMPTS
    lost = "The worker sending this was lost (lease expired)."
    failed = expired.filter(attempts__gte=max_attempts).update(
        status=Notification.Status.FAILED, last_error=lost
    )
    retried = expired.filter(attempts__lt=max_attempts).update(
        status=Notification.Status.PENDING, due_at=now, last_error=lost
    )
    if failed or retried:
        logger.warning("notifications: reclaimed %s rows from lost workers", failed + retried)
    return failed + retried


def deliver_due(limit: int | None = None) -> int:
    """One sweep: send up to ``limit`` due notifications; return how many were taken. When
    the SMTP server cannot be reached at all, the sweep stops at the first failure: the rest
    keep their attempts for when it is back."""
    limit = limit or settings.NOTIFICATION_BATCH_SIZE
    now = timezone.now()
    reclaim_stale(now=now)
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, due_at__lte=now)
        .select_related("recipient")
        .order_by("due_at", "id")[:limit]
    )
    for notification in due:
        if notification.reason in REMINDER_REASONS:
            # Late rows (a sweep that could not run, a retry) must not land in the night.
            wake = outside_quiet_hours(now, recipient_zone(notification.recipient))
            if wake > now:
                Notification.objects.filter(
                    pk=notification.pk, status=Notification.Status.PENDING
                ).update(due_at=wake)
                continue
        if _claim(notification, now) and not _deliver(notification):
            return due.index(notification) + 1
    return len(due)


def _claim(notification: Notification, now: datetime) -> bool:
    claimed = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.PENDING, due_at__lte=now
    ).update(
        # The lease runs from the claim itself, not from the start of the batch.
        status=Notification.Status.SENDING,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if claimed != 1:
        return False  # another sweeper took it
    notification.refresh_from_db(fields=["status", "claimed_at", "attempts"])
    return True


def _finish(notification: Notification, **changes: Any) -> bool:
    """Write the outcome, only if this worker still holds the claim."""
    updated = Notification.objects.filter(
        pk=notification.pk,
        status=Notification.Status.SENDING,
        claimed_at=notification.claimed_at,
    ).update(**changes)
    if updated != 1:
        logger.warning("notifications: lost the claim on %s before recording it", notification.pk)
    return updated == 1


def _unreachable(exc: BaseException) -> bool:
    """The server could not be reached or hung up: not this message's fault."""
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


def _deliver(notification: Notification) -> bool:
    """Render and send one claimed notification; False when the SMTP server is unreachable."""
    try:
        renderer = renderer_for(notification.reason)
        if renderer is None:
            raise LookupError(f"No renderer is registered for {notification.reason!r}.")
        rendered = renderer(notification)
    except Exception as exc:
        logger.exception("notifications: could not render %s", notification.pk)
        _failed_attempt(notification, exc, permanent=False)
        return True
    if rendered is None:
        _finish(
            notification,
            status=Notification.Status.CANCELLED,
            last_error="No longer relevant when it fell due.",
        )
        return True
    try:
        accepted = build_message(notification, rendered).send()
    except Exception as exc:
        _failed_attempt(notification, exc, permanent=is_permanent(exc))
        return not _unreachable(exc)
    if not accepted:  # the backend had no recipient to send to: nothing went out
        _failed_attempt(notification, ValueError("No recipient to send to."), permanent=True)
        return True
    # Marked only now: the server accepted the message.
    _finish(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        subject=" ".join(rendered.subject.split())[:300],
        message_id=message_id_for(notification),
        last_error="",
    )
    return True


def _failed_attempt(notification: Notification, exc: Exception, *, permanent: bool) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if permanent or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        logger.error("notifications: giving up on %s: %s", notification.pk, error)
        _finish(notification, status=Notification.Status.FAILED, last_error=error)
        return
    now = timezone.now()
    retry_at = now + backoff(notification.attempts)
    if notification.reason in REMINDER_REASONS:
        retry_at = outside_quiet_hours(retry_at, recipient_zone(notification.recipient))
    logger.warning(
        "notifications: %s failed (%s), retrying at %s", notification.pk, error, retry_at
    )
    if _finish(notification, status=Notification.Status.PENDING, due_at=retry_at, last_error=error):
        enqueue_retry("hiring.tasks.send_due_notifications", retry_at - now)
