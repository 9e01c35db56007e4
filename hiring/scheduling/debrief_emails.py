"""The debrief's e-mails (issue 18): the invite and its updates (METHOD:REQUEST), the
cancellation (METHOD:CANCEL), and "you were mentioned" for the discussion.

The invite is written with ``hiring.scheduling.calendar``'s machinery (the RRULE VTIMEZONE,
the organizer): its own stored UID (``Debrief.calendar_uid``) so every update and the
cancellation file under one event, and SEQUENCE from ``Debrief.calendar_sequence``.
Renderers run at send time: a message superseded by a later change renders to None."""

from __future__ import annotations

from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.urls import reverse
from icalendar import Event

from hiring import access
from hiring.debriefs import DEBRIEF_CANCEL, DEBRIEF_INVITE, DEBRIEF_MENTION, invitees
from hiring.delivery.notifications import RenderedEmail, recipient_zone, renders, zone
from hiring.models import Debrief, DebriefComment, Loop, Notification, User
from hiring.scheduling import calendar


def when(debrief: Debrief, tz_name: str) -> str:
    tz = zone(tz_name)
    start, end = debrief.starts_at.astimezone(tz), debrief.ends_at.astimezone(tz)
    return f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} ({tz_name})"


def summary_url(loop: Loop) -> str:
    return f"{settings.SITE_URL}{reverse('scorecards:manager_loop', args=[loop.pk])}"


def debrief_ics(debrief: Debrief, *, method: str, attendees: list[User], link: str = "") -> bytes:
    """The ``.ics`` for one debrief, as sent to ``attendees``."""
    tz = zone(debrief.time_zone)
    event = Event()
    event.add("uid", debrief.calendar_uid)
    event.add("sequence", debrief.calendar_sequence)
    event.add("dtstamp", debrief.updated_at)
    event.add("dtstart", debrief.starts_at.astimezone(tz))
    event.add("dtend", debrief.ends_at.astimezone(tz))
    event.add("summary", f"Debrief: {debrief.loop.candidate.full_name}")
    if debrief.location or debrief.video_url:
        event.add("location", debrief.location or debrief.video_url)
    if debrief.video_url:
        event.add("url", debrief.video_url)
    if link:
        event.add("description", f"Loop summary and discussion: {link}")
    event.add("organizer", calendar._address(calendar.organizer_email(), "Loopwise"))
    event.add("status", "CANCELLED" if method == calendar.CANCEL else "CONFIRMED")
    for person in attendees:
        event.add(
            "attendee",
            calendar._address(person.email, person.display_name, role="REQ-PARTICIPANT"),
        )
    return calendar._calendar(method, [event])


def attachment(debrief: Debrief, ics: bytes, method: str) -> MIMEText:
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"debrief-{debrief.pk}.ics")
    return part


def _debrief(notification: Notification) -> Debrief | None:
    return (
        Debrief.objects.select_related("loop__candidate", "loop__requisition")
        .filter(pk=notification.object_id)
        .first()
    )


def _context(debrief: Debrief, recipient: User) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "debrief": debrief,
        "candidate": debrief.loop.candidate,
        "requisition": debrief.loop.requisition,
        "when_local": when(debrief, str(recipient_zone(recipient))),
        "when_agreed": when(debrief, debrief.time_zone),
    }


@renders(DEBRIEF_INVITE)
def render_invite(notification: Notification) -> RenderedEmail | None:
    debrief = _debrief(notification)
    recipient = notification.recipient
    if (
        debrief is None
        or recipient is None
        or debrief.status != Debrief.Status.SCHEDULED
        or notification.sequence != debrief.calendar_sequence  # a later change follows
        or debrief.loop.status == Loop.Status.WITHDRAWN
    ):
        return None
    people = invitees(debrief.loop)
    if not any(person.pk == recipient.pk for person in people):
        return None
    update = debrief.calendar_sequence > 0
    link = summary_url(debrief.loop)
    subject = f"{'Updated: ' if update else ''}Debrief: {debrief.loop.candidate.full_name}"
    ics = debrief_ics(debrief, method=calendar.REQUEST, attendees=people, link=link)
    return RenderedEmail.from_templates(
        "hiring/emails/debrief_invite",
        {**_context(debrief, recipient), "update": update, "link": link, "people": people},
        subject=subject,
        attachments=[attachment(debrief, ics, calendar.REQUEST)],
    )


@renders(DEBRIEF_CANCEL)
def render_cancel(notification: Notification) -> RenderedEmail | None:
    debrief = _debrief(notification)
    recipient = notification.recipient
    if (
        debrief is None
        or recipient is None
        or notification.sequence != debrief.calendar_sequence  # a later change follows
    ):
        return None
    if debrief.status == Debrief.Status.SCHEDULED and any(
        person.pk == recipient.pk for person in invitees(debrief.loop)
    ):
        return None  # taken off the panel, then put back before this went out
    ics = debrief_ics(debrief, method=calendar.CANCEL, attendees=[recipient])
    return RenderedEmail.from_templates(
        "hiring/emails/debrief_cancel",
        _context(debrief, recipient),
        subject=f"Cancelled: Debrief: {debrief.loop.candidate.full_name}",
        attachments=[attachment(debrief, ics, calendar.CANCEL)],
    )


@renders(DEBRIEF_MENTION)
def render_mention(notification: Notification) -> RenderedEmail | None:
    """Checked again at send time: a person who may no longer read the summary (they joined
    the panel and owe a scorecard, say) is not sent the comment."""
    comment = (
        DebriefComment.objects.select_related("author", "loop__candidate")
        .filter(pk=notification.object_id, deleted_at__isnull=True)
        .first()
    )
    recipient = notification.recipient
    if comment is None or recipient is None or not access.can(recipient, "discuss", comment.loop):
        return None
    return RenderedEmail.from_templates(
        "hiring/emails/debrief_mention",
        {
            "recipient": recipient,
            "comment": comment,
            "candidate": comment.loop.candidate,
            "link": summary_url(comment.loop) + "#discussion-heading",
        },
        subject=(
            f"{comment.author.display_name} mentioned you: "
            f"debrief of {comment.loop.candidate.full_name}"
        ),
    )
