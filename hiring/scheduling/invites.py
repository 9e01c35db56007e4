"""Renderers for the recruiter's e-mails: calendar invites, updates and cancellations for the
panel, the candidate's own schedule, and "please submit your scorecard" nudges.

Registered with ``notifications.renders`` when ``HiringConfig.ready()`` imports this module.
They run at send time: a message superseded since it was scheduled (a later reschedule, a
cancelled interview, a submitted scorecard) renders to None and is not sent."""

from __future__ import annotations

from typing import Any

from hiring.delivery.notifications import RenderedEmail, recipient_zone, renders, zone
from hiring.models import Interview, Loop, Notification, User
from hiring.scheduling import calendar
from hiring.services import (
    CANDIDATE_SCHEDULE,
    INTERVIEW_CANCEL,
    INTERVIEW_INVITE,
    INTERVIEW_UPDATE,
    SCORECARD_NUDGE,
    schedule_version,
)
from scorecards.magic_links import magic_link_url


def kit_link(*, interview: Interview, interviewer: User) -> str:
    """The interviewer's e-mail link to the kit (a magic link: that interview only)."""
    return magic_link_url(interview=interview, interviewer=interviewer)


def _interview(notification: Notification) -> Interview | None:
    return (
        Interview.objects.select_related(
            "loop__candidate", "loop__requisition__profile", "case_exercise"
        )
        .prefetch_related("interviewers", "focus_dimensions")
        .filter(pk=notification.object_id)
        .first()
    )


def when(interview: Interview, tz_name: str) -> str:
    tz = zone(tz_name)
    start, end = interview.starts_at.astimezone(tz), interview.ends_at.astimezone(tz)
    return f"{start:%A %d %B %Y, %H:%M} to {end:%H:%M} ({tz_name})"


def _on_panel(interview: Interview, user: User) -> bool:
    return any(member.pk == user.pk for member in interview.interviewers.all())


def _panel_context(interview: Interview, recipient: User) -> dict[str, Any]:
    return {
        "recipient": recipient,
        "interview": interview,
        "candidate": interview.loop.candidate,
        "when_local": when(interview, str(recipient_zone(recipient))),
        "when_agreed": when(interview, interview.time_zone),
        "panel": list(interview.interviewers.all()),
        "focus_dimensions": list(interview.focus_dimensions.all()),
        "case_exercise": interview.case_exercise,
    }


def panel_summary(interview: Interview) -> str:
    return f"Interview: {interview.loop.candidate.full_name} — {interview.title}"


def panel_ics(interview: Interview, recipient: User, *, link: str | None = None) -> bytes:
    """The panel member's invite (METHOD:REQUEST) as e-mailed, and as written back to their
    CalDAV calendar (``hiring.scheduling.writeback``): one event, one UID, one SEQUENCE."""
    link = link or kit_link(interview=interview, interviewer=recipient)
    return calendar.interview_calendar(
        interview=interview,
        method=calendar.REQUEST,
        attendees=interview.interviewers.all(),
        summary=panel_summary(interview),
        description=f"Interview kit and scorecard: {link}",
        url=link,
    )


@renders(INTERVIEW_INVITE)
@renders(INTERVIEW_UPDATE)
def render_invite(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    recipient = notification.recipient
    if (
        interview is None
        or recipient is None
        or interview.status != Interview.Status.SCHEDULED
        or interview.loop.status not in Loop.OPEN_STATUSES
        or notification.sequence != interview.calendar_sequence  # superseded by a later change
        or not _on_panel(interview, recipient)
    ):
        return None
    update = notification.reason == INTERVIEW_UPDATE
    link = kit_link(interview=interview, interviewer=recipient)
    summary = panel_summary(interview)
    ics = panel_ics(interview, recipient, link=link)
    context = {**_panel_context(interview, recipient), "link": link, "update": update}
    return RenderedEmail.from_templates(
        "hiring/emails/invite",
        context,
        subject=f"{'Updated: ' if update else ''}{summary}",
        attachments=[calendar.attachment(interview=interview, ics=ics, method=calendar.REQUEST)],
    )


@renders(INTERVIEW_CANCEL)
def render_cancel(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    recipient = notification.recipient
    if (
        interview is None
        or recipient is None
        or notification.sequence != interview.calendar_sequence
        # cancelled, or this person was taken off the panel
        or (interview.status != Interview.Status.CANCELLED and _on_panel(interview, recipient))
    ):
        return None
    candidate = interview.loop.candidate.full_name
    summary = f"Interview: {candidate} — {interview.title}"
    ics = calendar.interview_calendar(
        interview=interview, method=calendar.CANCEL, attendees=[recipient], summary=summary
    )
    return RenderedEmail.from_templates(
        "hiring/emails/invite_cancel",
        _panel_context(interview, recipient),
        subject=f"Cancelled: {summary}",
        attachments=[calendar.attachment(interview=interview, ics=ics, method=calendar.CANCEL)],
    )


@renders(CANDIDATE_SCHEDULE)
def render_candidate_schedule(notification: Notification) -> RenderedEmail | None:
    """What the candidate may see: times, places and who they meet. Never focus dimensions,
    descriptors, case exercise details or kit links."""
    loop = (
        Loop.objects.select_related("candidate", "requisition")
        .filter(pk=notification.object_id)
        .first()
    )
    if (
        loop is None
        or loop.status not in Loop.OPEN_STATUSES
        or notification.sequence != schedule_version(loop)  # a newer schedule follows
    ):
        return None
    interviews = list(
        loop.interviews.filter(status=Interview.Status.SCHEDULED)
        .prefetch_related("interviewers")
        .order_by("starts_at")
    )
    if not interviews:
        return None
    slots = [
        {
            "title": interview.title,
            "when": when(interview, interview.time_zone),
            "location": interview.location,
            "video_url": interview.video_url,
            "panel": ", ".join(m.name_for_candidates for m in interview.interviewers.all()),
        }
        for interview in interviews
    ]
    context = {
        "candidate": loop.candidate,
        "requisition": loop.requisition.title,
        "slots": slots,
    }
    ics = calendar.schedule_calendar(
        interviews=interviews,
        # a calendar holding them from an earlier schedule marks them cancelled
        cancelled=loop.interviews.filter(status=Interview.Status.CANCELLED),
        title=loop.requisition.title,
    )
    return RenderedEmail.from_templates(
        "hiring/emails/candidate_schedule",
        context,
        subject=f"Your interview schedule: {loop.requisition.title}",
        attachments=[calendar.schedule_attachment(loop_id=loop.pk, ics=ics)],
    )


@renders(SCORECARD_NUDGE)
def render_nudge(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    recipient = notification.recipient
    if (
        interview is None
        or recipient is None
        or interview.status in Interview.NO_FEEDBACK_STATUSES
        or not _on_panel(interview, recipient)
        or Interview.objects.filter(
            pk=interview.pk, scorecards__interviewer=recipient, scorecards__status="submitted"
        ).exists()
    ):
        return None
    link = kit_link(interview=interview, interviewer=recipient)
    context = {**_panel_context(interview, recipient), "link": link}
    return RenderedEmail.from_templates(
        "hiring/emails/nudge",
        context,
        subject=(
            f"Your scorecard is waiting: {interview.loop.candidate.full_name} — {interview.title}"
        ),
    )
