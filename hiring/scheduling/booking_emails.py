"""The booking link's e-mails: the link itself to the candidate, and to the loop's
recruiters a word when the candidate cancels through it. Registered on import by
``HiringConfig.ready``; rendered at send time, so a link replaced or used up since it was
sent renders to nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from hiring.delivery.notifications import RenderedEmail, renders
from hiring.models import BookingLink, Loop, Notification
from hiring.scheduling import booking, proposals
from hiring.scheduling.invites import when


def _link(notification: Notification) -> BookingLink | None:
    return (
        BookingLink.objects.select_related("loop__candidate", "loop__requisition")
        .filter(pk=notification.object_id)
        .first()
    )


@renders(booking.CANDIDATE_BOOKING_LINK)
def render_booking_link(notification: Notification) -> RenderedEmail | None:
    link = _link(notification)
    if (
        link is None
        or link.status != BookingLink.Status.OPEN
        or link.expires_at <= timezone.now()
        or link.loop.status not in Loop.OPEN_STATUSES
        or link.loop.candidate.anonymised_at is not None
    ):
        return None
    loop = link.loop
    zone = proposals.candidate_zone(loop)
    expires = timezone.localtime(link.expires_at, ZoneInfo(zone))
    context = {
        "candidate": loop.candidate,
        "requisition": loop.requisition.title,
        "link": booking.link_url(link),
        "first_day": link.first_day,
        "last_day": link.last_day,
        "expires": f"{expires:%A %d %B %Y, %H:%M} ({zone})",
    }
    return RenderedEmail.from_templates(
        "hiring/emails/booking_link",
        context,
        subject=f"Choose your interview times: {loop.requisition.title}",
    )


@renders(booking.BOOKING_CANCELLED)
def render_booking_cancelled(notification: Notification) -> RenderedEmail | None:
    link = _link(notification)
    recipient = notification.recipient
    if link is None or recipient is None or link.status != BookingLink.Status.CANCELLED:
        return None
    loop = link.loop
    cancelled = [
        {"title": interview.title, "when": when(interview, interview.time_zone)}
        for interview in link.loop.interviews.filter(
            status="cancelled", booking_links=link
        ).order_by("starts_at")
    ]
    context = {
        "recipient": recipient,
        "candidate": loop.candidate,
        "requisition": loop.requisition.title,
        "cancelled": cancelled,
    }
    return RenderedEmail.from_templates(
        "hiring/emails/booking_cancelled",
        context,
        subject=f"{loop.candidate.full_name} cancelled their interviews: {loop.requisition.title}",
    )
