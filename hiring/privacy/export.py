"""Export of one candidate's personal data (DESIGN §7), as far as the person exporting may see
it (``hiring.access``): a superuser's export is complete."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from hiring import access
from hiring.models import (
    Attachment,
    AuditEvent,
    BookingLink,
    Candidate,
    Debrief,
    DebriefComment,
    DebriefOutcome,
    Decision,
    HireOutcome,
    Interview,
    Loop,
    Notification,
    User,
)
from hiring.privacy.audit import (
    HOLDERS,
    audit,
    candidate_snapshot,
    json_value,
)

# The export is one JSON document: the files themselves are downloaded from their links.
ATTACHMENTS_NOTE = (
    "The documents' files are not inside this JSON export: download each from its link "
    "(signed in, on this site); every download is on the audit trail."
)

# --- Export --------------------------------------------------------------------------------


def candidate_export(*, candidate: Candidate, by: User) -> dict[str, Any]:
    """What Loopwise holds about one candidate that ``by`` may see, as JSON-ready data.
    Audited. A superuser's export is complete; a recruiter's holds the loops of the
    requisitions they staff, and within them only what ``hiring.access`` shows them (no
    colleague's feedback while they owe a scorecard on that loop)."""
    access.check(by, "change", candidate)
    loops = (
        access.loops_staffed(by)
        .filter(candidate=candidate)
        .select_related("requisition")
        .prefetch_related(
            models.Prefetch(
                "interviews",
                Interview.objects.select_related("case_exercise").prefetch_related(
                    "interviewers", "focus_dimensions"
                ),
            ),
            models.Prefetch(
                "decisions",
                access.visible(by, Decision)
                .select_related("level_offered", "debrief_outcome")
                .prefetch_related("debrief_outcome__attendees")
                .order_by("pk"),
            ),
            # The debrief (issue 18): the meetings, and the discussion as ``by`` may read it.
            models.Prefetch("debriefs", Debrief.objects.order_by("created_at", "pk")),
            models.Prefetch(
                "debrief_comments",
                access.visible(by, DebriefComment)
                .select_related("author")
                .order_by("created_at", "pk"),
            ),
            # Outcomes after the hire (issue 18), as far as ``by`` may see them.
            models.Prefetch(
                "outcomes",
                access.visible(by, HireOutcome).select_related("recorded_by").order_by("months"),
            ),
        )
        .order_by("created_at", "pk")
    )
    held = {name: holder.export(candidate, by) for name, holder in HOLDERS.items()}
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "scope": "complete" if by.is_superuser else "the requisitions you recruit for or manage",
        "candidate": {
            "id": candidate.pk,
            **candidate_snapshot(candidate),
            "created_at": json_value(candidate.created_at),
            "updated_at": json_value(candidate.updated_at),
        },
        "loops": [_loop_export(loop, held) for loop in loops],
    }
    data["attachments"] = [
        {
            "name": attachment.name,
            "label": attachment.get_kind_display(),
            "content_type": attachment.content_type,
            "size": attachment.size,
            "uploaded_at": json_value(attachment.uploaded_at),
            "download": reverse("attachment_download", args=[attachment.pk]),
        }
        for attachment in access.visible(by, Attachment).filter(candidate=candidate)
    ]
    if data["attachments"]:
        data["attachments_note"] = ATTACHMENTS_NOTE
    data["booking_links"] = [
        {
            "loop": link.loop_id,
            "status": link.status,
            "sent_at": json_value(link.created_at),
            "days_offered": [str(link.first_day), str(link.last_day)],
            "free": link.availability,  # when the candidate said they are free (UTC)
            "booked_at": json_value(link.booked_at),
        }
        for link in access.visible(by, BookingLink)
        .filter(loop__candidate=candidate)
        .order_by("created_at", "pk")
    ]
    data["audit_events"] = [
        {
            "at": json_value(event.at),
            "actor": event.actor.username if event.actor else None,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "before": event.before,
            "after": event.after,
        }
        for event in audit_events_about(candidate, by=by)
        .select_related("actor")
        .order_by("at", "pk")
    ]
    data["notifications"] = [
        {
            "reason": n.reason,
            "recipient_email": n.recipient_email,
            "subject": n.subject,
            "status": n.status,
            "due_at": json_value(n.due_at),
            "sent_at": json_value(n.sent_at),
        }
        for n in notifications_about(candidate)
        .filter(pk__in=access.visible(by, Notification).values("pk"))
        .order_by("due_at", "pk")
    ]
    with transaction.atomic():
        audit(action="candidate.exported", obj=candidate, by=by)
    return data


def _loop_export(loop: Loop, held: dict[str, dict[int, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        "id": loop.pk,
        "requisition": loop.requisition.title,
        "status": loop.status,
        "created_at": json_value(loop.created_at),
        "interviews": [
            {
                "id": interview.pk,
                "title": interview.title,
                "status": interview.status,
                "starts_at": json_value(interview.starts_at),
                "ends_at": json_value(interview.ends_at),
                "time_zone": interview.time_zone,
                "location": interview.location,
                "video_url": interview.video_url,
                "panel": [user.display_name for user in interview.interviewers.all()],
                "focus_dimensions": [d.slug for d in interview.focus_dimensions.all()],
                "case_exercise": str(interview.case_exercise or "") or None,
                **{name: records.get(interview.pk, []) for name, records in held.items()},
            }
            for interview in loop.interviews.all()
        ],
        "decisions": [
            {
                "id": d.pk,
                "outcome": d.outcome,
                "level_offered": d.level_offered.slug if d.level_offered else None,
                "rationale": d.rationale,
                "decided_at": json_value(d.decided_at),
                "is_current": d.is_current,
                "debrief": _debrief_outcome(d),
            }
            for d in loop.decisions.all()
        ],
        "debriefs": [
            {
                "status": debrief.status,
                "starts_at": json_value(debrief.starts_at),
                "ends_at": json_value(debrief.ends_at),
                "time_zone": debrief.time_zone,
                "location": debrief.location,
                "video_url": debrief.video_url,
            }
            for debrief in loop.debriefs.all()
        ],
        "debrief_comments": [
            {
                "author": comment.author.display_name,
                "at": json_value(comment.created_at),
                "body": comment.body,
                "deleted": comment.deleted_at is not None,
            }
            for comment in loop.debrief_comments.all()
        ],
        "outcomes_after_hire": [
            {
                "months": outcome.months,
                "performance": outcome.performance,
                "scale_max": outcome.scale_max,
                "still_employed": outcome.still_employed,
                "regretted": outcome.regretted,
                "note": outcome.note,
                "recorded_by": outcome.recorded_by.display_name if outcome.recorded_by else None,
                "recorded_at": json_value(outcome.recorded_at),
            }
            for outcome in loop.outcomes.all()
        ],
    }


def _debrief_outcome(decision: Decision) -> dict[str, Any] | None:
    try:
        record = decision.debrief_outcome
    except DebriefOutcome.DoesNotExist:
        return None
    return {
        "outcome": record.get_outcome_display(),
        "attendees": [person.display_name for person in record.attendees.all()],
    }


def audit_events_about(candidate: Candidate, *, by: User | None = None) -> QuerySet[AuditEvent]:
    """The trail of the candidate: their record, their scorecards, the decisions on them; as
    far as ``by`` may see it (everything when ``by`` is None: the erasure's own scrub)."""
    events = AuditEvent.objects.filter(candidate=candidate)
    if by is not None:
        events = events.filter(pk__in=access.visible(by, AuditEvent).values("pk"))
    return events


def notifications_about(candidate: Candidate) -> QuerySet[Notification]:
    """E-mails about the candidate's loops, interviews (and what other apps hold about them,
    such as scorecards), or sent to them."""
    related: list[QuerySet[Any]] = [
        Loop.objects.filter(candidate=candidate),
        Interview.objects.filter(loop__candidate=candidate),
        Debrief.objects.filter(loop__candidate=candidate),
        DebriefComment.objects.filter(loop__candidate=candidate),
        *(queryset for holder in HOLDERS.values() for queryset in holder.related(candidate)),
    ]
    types = ContentType.objects.get_for_models(*(queryset.model for queryset in related))
    about = Q(recipient_email__iexact=candidate.email)
    for queryset in related:
        about |= Q(content_type=types[queryset.model], object_id__in=queryset.values("pk"))
    return Notification.objects.filter(about)
