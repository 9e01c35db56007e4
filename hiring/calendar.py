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

from .models import Interview, User
from .notifications import zone

REQUEST = "REQUEST"
CANCEL = "CANCEL"


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


def interview_calendar(
    *,
    interview: Interview,
    method: str,
    attendees: Iterable[User],
    summary: str,
    description: str = "",
    url: str = "",
) -> bytes:
    """The ``.ics`` for one interview, as sent to ``attendees``."""
    tz = zone(interview.time_zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Loopwise//Interview loops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid_for(interview))
    event.add("sequence", interview.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", interview.starts_at.astimezone(tz))
    event.add("dtend", interview.ends_at.astimezone(tz))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if interview.location:
        event.add("location", interview.location)
    elif interview.video_url:
        event.add("location", interview.video_url)
    if interview.video_url:
        event.add("url", interview.video_url)
    elif url:
        event.add("url", url)
    event.add("organizer", _address(organizer_email(), "Loopwise"))
    for attendee in attendees:
        event.add(
            "attendee", _address(attendee.email, attendee.display_name, role="REQ-PARTICIPANT")
        )
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def attachment(*, interview: Interview, ics: bytes, method: str) -> MIMEText:
    """The ``.ics`` as a MIME part for ``RenderedEmail.attachments``, with the iTIP method
    on its Content-Type as RFC 6047 asks."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"interview-{interview.pk}.ics")
    return part
