"""iCalendar (RFC 5545) invites for interviews, with iTIP methods (RFC 5546).

One stable UID per interview (``interview-<pk>@<domain>``), so a calendar client files the
invite, every update and the cancellation under one event; SEQUENCE is the interview's
``calendar_sequence``, bumped on every reschedule and on cancellation, so the newer message
wins whatever order the e-mails arrive in."""

from __future__ import annotations

from collections.abc import Iterable
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from hiring.delivery.notifications import zone
from hiring.models import Interview, User

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


def domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loopwise.local"


def organizer_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"loopwise@{domain()}"


def uid_for(interview: Interview) -> str:
    return f"interview-{interview.pk}@{domain()}"


def _address(email: str, name: str, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Loopwise//Interview loops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _event(interview: Interview, *, uid: str, summary: str, cancelled: bool) -> Event:
    tz = zone(interview.time_zone)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", interview.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", interview.starts_at.astimezone(tz))
    event.add("dtend", interview.ends_at.astimezone(tz))
    event.add("summary", summary)
    if interview.location:
        event.add("location", interview.location)
    elif interview.video_url:
        event.add("location", interview.video_url)
    event.add("organizer", _address(organizer_email(), "Loopwise"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def interview_calendar(
    *,
    interview: Interview,
    method: str,
    attendees: Iterable[User],
    summary: str,
    description: str = "",
    url: str = "",
) -> bytes:
    """The ``.ics`` for one interview, as sent to the panel ``attendees``."""
    calendar = _calendar(method)
    event = _event(interview, uid=uid_for(interview), summary=summary, cancelled=method == CANCEL)
    if description:
        event.add("description", description)
    if interview.video_url:
        event.add("url", interview.video_url)
    elif url:
        event.add("url", url)
    for attendee in attendees:
        event.add(
            "attendee", _address(attendee.email, attendee.display_name, role="REQ-PARTICIPANT")
        )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def candidate_uid_for(interview: Interview) -> str:
    """The candidate's copy of an interview is another event than the panel's invite: it
    carries no kit link, and must not merge with it in a shared calendar."""
    return f"interview-{interview.pk}-candidate@{domain()}"


def schedule_calendar(
    *, interviews: Iterable[Interview], cancelled: Iterable[Interview], title: str
) -> bytes:
    """The candidate's schedule as one ``.ics`` (METHOD:PUBLISH, nothing to answer): an
    event per scheduled interview, and the cancelled ones as STATUS:CANCELLED so a calendar
    that imported an earlier schedule drops them. SEQUENCE follows each interview's, so a
    later schedule updates the earlier events in place."""
    calendar = _calendar(PUBLISH)
    for interview, is_cancelled in [
        *((i, False) for i in interviews),
        *((i, True) for i in cancelled),
    ]:
        event = _event(
            interview,
            uid=candidate_uid_for(interview),
            summary=f"Interview: {interview.title} ({title})",
            cancelled=is_cancelled,
        )
        if interview.video_url:
            event.add("url", interview.video_url)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def schedule_attachment(*, loop_id: int, ics: bytes) -> MIMEText:
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", PUBLISH)
    part.add_header("Content-Disposition", "attachment", filename=f"interviews-{loop_id}.ics")
    return part


def attachment(*, interview: Interview, ics: bytes, method: str) -> MIMEText:
    """The ``.ics`` as a MIME part for ``RenderedEmail.attachments``, with the iTIP method
    on its Content-Type as RFC 6047 asks."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"interview-{interview.pk}.ics")
    return part
