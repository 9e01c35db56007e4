"""The reminder e-mails (DESIGN §3.4), rendered at send time from the notification row; each
returns None when the message no longer applies (submitted, cancelled, superseded)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from hiring.delivery import notifications as n
from hiring.delivery.notifications import RenderedEmail, renders
from hiring.models import Interview, Loop, Notification, User
from scorecards.magic_links import magic_link_url
from scorecards.models import Scorecard
from scorecards.reminders.sweep import (
    OWING_INTERVIEW,
    admin_loop_url,
    digest_sequence,
    overdue_seats,
)

# --- Renderers: they run at send time and return None when the message no longer applies ---


def _local(moment: datetime, recipient: User | None) -> datetime:
    return moment.astimezone(n.recipient_zone(recipient))


def _when(moment: datetime, recipient: User | None) -> str:
    """A moment as the recipient reads it: 'Tuesday 11 March 2025, 14:00 (Europe/London)'.
    Formatted here, because template filters would convert it back to the server's zone."""
    local = _local(moment, recipient)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({n.recipient_zone(recipient).key})"


def _interview(notification: Notification) -> Interview | None:
    return (
        Interview.objects.select_related("loop__candidate", "loop__requisition", "case_exercise")
        .filter(pk=notification.object_id)
        .first()
    )


def _on_panel(interview: Interview, user_id: int | None) -> bool:
    return user_id is not None and interview.interviewers.filter(pk=user_id).exists()


def _owes(interview: Interview, user_id: int | None) -> bool:
    return (
        interview.status in OWING_INTERVIEW
        and interview.loop.status in Loop.OPEN_STATUSES
        and _on_panel(interview, user_id)
        and not Scorecard.objects.filter(
            interview=interview, interviewer_id=user_id, status=Scorecard.Status.SUBMITTED
        ).exists()
    )


def _superseded(notification: Notification) -> bool:
    """A later occurrence of the same reminder is already scheduled: send that one only."""
    return (
        notification.resend == 0
        and Notification.objects.filter(
            content_type_id=notification.content_type_id,
            object_id=notification.object_id,
            reason=notification.reason,
            recipient_id=notification.recipient_id,
            sequence__gt=notification.sequence,
            resend=0,
        ).exists()
    )


@renders(n.INTERVIEW_DAY_BEFORE)
@renders(n.INTERVIEW_MORNING_OF)
def render_interview_reminder(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    recipient = notification.recipient
    now = timezone.now()
    if (
        interview is None
        or recipient is None
        or interview.status != Interview.Status.SCHEDULED
        or interview.loop.status not in Loop.OPEN_STATUSES
        or interview.starts_at <= now
        or notification.sequence != interview.calendar_sequence  # rescheduled since
        or not _on_panel(interview, recipient.pk)
    ):
        return None
    starts, ends = _local(interview.starts_at, recipient), _local(interview.ends_at, recipient)
    days = (starts.date() - _local(now, recipient).date()).days
    when = {0: "today", 1: "tomorrow"}.get(days, f"on {starts:%A} {starts.day} {starts:%B}")
    candidate = interview.loop.candidate.full_name
    context = {
        "recipient": recipient,
        "interview": interview,
        "candidate": candidate,
        "when": when,
        "starts": _when(interview.starts_at, recipient),
        "ends": f"{ends:%H:%M}",
        "focus": list(interview.focus_dimensions.order_by("order", "pk")),
        "case": interview.case_exercise,
        "link": magic_link_url(interview=interview, interviewer=recipient),
    }
    return RenderedEmail.from_templates(
        "scorecards/emails/interview_reminder",
        context,
        subject=f"Interview {when}: {candidate} — {interview.title}",
    )


@renders(n.SCORECARD_DUE)
def render_scorecard_due(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    recipient = notification.recipient
    if (
        interview is None
        or recipient is None
        or not _owes(interview, recipient.pk)
        or _superseded(notification)
    ):
        return None
    candidate = interview.loop.candidate.full_name
    overdue = notification.sequence > 0
    context = {
        "recipient": recipient,
        "interview": interview,
        "candidate": candidate,
        "overdue": overdue,
        "ended": _when(interview.ends_at, recipient),
        "link": magic_link_url(interview=interview, interviewer=recipient),
    }
    what = "Scorecard overdue" if overdue else "Scorecard due"
    return RenderedEmail.from_templates(
        "scorecards/emails/scorecard_due",
        context,
        subject=f"{what}: {candidate} — {interview.title}",
    )


@renders(n.SCORECARD_ESCALATION)
def render_escalation(notification: Notification) -> RenderedEmail | None:
    interview = _interview(notification)
    if interview is None or notification.recipient is None:
        return None
    late = [person for person in interview.interviewers.all() if _owes(interview, person.pk)]
    if not late:
        return None
    candidate = interview.loop.candidate.full_name
    names = ", ".join(person.display_name for person in late)
    hours = interview.loop.requisition.escalate_after_hours
    context = {
        "recipient": notification.recipient,
        "interview": interview,
        "candidate": candidate,
        "late": late,
        "hours": hours,
        "ended": _when(interview.ends_at, notification.recipient),
        "link": admin_loop_url(interview.loop_id),
    }
    return RenderedEmail.from_templates(
        "scorecards/emails/escalation",
        context,
        subject=f"Scorecard missing after {hours} h: {names} — {candidate}, {interview.title}",
    )


@renders(n.SCORECARD_DIGEST)
def render_digest(notification: Notification) -> RenderedEmail | None:
    recipient = notification.recipient
    if recipient is None:
        return None
    now = timezone.now()
    if notification.resend == 0 and notification.sequence != digest_sequence(
        now, recipient.time_zone
    ):
        return None  # yesterday's digest, delivered late: today's replaces it
    requisitions = list(recipient.recruited_requisitions.values_list("pk", "title"))
    seats = overdue_seats(now=now, requisition_ids=[pk for pk, _ in requisitions])
    if not seats:
        return None
    items = [
        {
            "candidate": seat["interview__loop__candidate__full_name"],
            "interview": seat["interview__title"],
            "requisition": seat["interview__loop__requisition__title"],
            "interviewer": " ".join(
                part for part in (seat["user__first_name"], seat["user__last_name"]) if part
            )
            or seat["user__username"],
            "ended": _when(seat["interview__ends_at"], recipient),
            "hours_overdue": int((now - seat["interview__ends_at"]).total_seconds() // 3600),
            "link": admin_loop_url(seat["interview__loop_id"]),
        }
        for seat in seats
    ]
    titles = sorted({item["requisition"] for item in items})
    scope = titles[0] if len(titles) == 1 else f"{len(titles)} requisitions"
    count = len(items)
    context = {
        "recipient": recipient,
        "items": items,
        "count": count,
        "link": f"{settings.SITE_URL}/admin/hiring/loop/?status__exact=awaiting_feedback",
    }
    plural = "scorecard" if count == 1 else "scorecards"
    return RenderedEmail.from_templates(
        "scorecards/emails/digest",
        context,
        subject=f"Overdue {plural}: {count} in {scope}",
    )


@renders(n.LOOP_READY_FOR_DEBRIEF)
def render_ready_for_debrief(notification: Notification) -> RenderedEmail | None:
    loop = (
        Loop.objects.select_related("candidate", "requisition")
        .filter(pk=notification.object_id)
        .first()
    )
    recipient = notification.recipient
    if loop is None or loop.status != Loop.Status.READY_FOR_DEBRIEF:
        return None  # decided, withdrawn, or back to awaiting feedback meanwhile
    summary = getattr(loop, "summary", None)  # scorecards.LoopSummary, when computed
    recommendation = _recommendation_label(summary)
    is_recruiter = (
        recipient is not None and loop.requisition.recruiters.filter(pk=recipient.pk).exists()
    )
    candidate = loop.candidate.full_name
    context = {
        "recipient": recipient,
        "loop": loop,
        "candidate": candidate,
        "requisition": loop.requisition.title,
        "scorecards": Scorecard.objects.filter(
            interview__loop=loop, status=Scorecard.Status.SUBMITTED
        ).count(),
        "recommendation": recommendation,
        "needs_debrief": bool(getattr(summary, "needs_debrief", False)),
        "link": admin_loop_url(loop.pk) if is_recruiter else f"{settings.SITE_URL}/",
    }
    return RenderedEmail.from_templates(
        "scorecards/emails/ready_for_debrief",
        context,
        subject=f"Ready for debrief: {candidate} — {loop.requisition.title}",
    )


def _recommendation_label(summary: object) -> str | None:
    value = getattr(summary, "recommendation", None)
    if not value:
        return None
    display = getattr(summary, "get_recommendation_display", None)
    return str(display() if callable(display) else value)
