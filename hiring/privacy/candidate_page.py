"""What the candidate page of the admin shows below the contact data: the candidate's loops
and their stages, every interview with its status and how many scorecards are in, and one
activity timeline, newest first, of the e-mails sent to and about them, the decisions and
the audit trail.

Each list is asked of ``hiring.access`` for the reader, so the blind rule and the policy
hold (a decision the reader may not see yet is not on the page), and each is one query
(two for the interviews and their panels), however many loops, interviews or events there
are. Scores and evidence are never read here: a scorecard is only counted as in or not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q
from django.utils.text import capfirst

from hiring import access
from hiring.models import AuditEvent, Candidate, Decision, Interview, Loop, Notification, User
from hiring.privacy.audit import CANDIDATE

# Each list on the page stops at this many rows, newest first; the audit trail page has all.
LIMIT = 200

AUDIT_LABELS = {
    "candidate.created": "Added",
    "candidate.imported": "Added by a CSV import",
    "candidate.changed": "Contact data changed",
    "candidate.changed_by_import": "Contact data changed by a CSV import",
    "candidate.exported": "Personal data exported",
    "candidate.erased": "Personal data erased on request",
    "candidate.anonymised": "Personal data anonymised (retention period over)",
    "candidate.deleted": "Deleted",
    "loop.created": "Put forward for a requisition",
    "loop.stage_changed": "Stage changed",
    "loop.reopened": "Loop reopened",
    "scorecard.submitted": "Scorecard submitted",
    "scorecard.amended": "Scorecard amended",
    "scorecard.amendment_discarded": "Scorecard amendment discarded",
    "scorecard.imported": "Scorecard imported",
    "interview.cancelled": "Interview cancelled",
    "interview.no_show": "Interview marked as a no-show",
    "interview.completed": "Interview completed",
    "interview.scheduled": "Interview scheduled again",
}
EMAIL_LABELS = {
    "interview.invite": "Interview invitation",
    "interview.update": "Interview update",
    "interview.cancel": "Interview cancellation",
    "candidate.schedule": "Interview schedule",
    "scorecard.nudge": "Scorecard nudge",
    "interview.day_before": "Reminder the day before",
    "interview.morning_of": "Reminder the morning of",
    "scorecard.due": "Scorecard due",
    "scorecard.escalation": "Overdue scorecard escalation",
    "loop.ready_for_debrief": "Ready for debrief",
    "debrief.invite": "Debrief invitation",
    "debrief.cancel": "Debrief cancellation",
    "debrief.mention": "Mentioned in the debrief discussion",
}
FIELD_LABELS = {field.name: str(field.verbose_name) for field in Candidate._meta.fields}
STAGES = dict(Loop.Status.choices)


def human(code: str, labels: dict[str, str]) -> str:
    """The label of ``code``, or its words when there is none ("candidate.some_thing" →
    "Candidate some thing"): never a code on the page."""
    return labels.get(code) or capfirst(code.replace(".", " ").replace("_", " "))


@dataclass(frozen=True)
class Entry:
    """One line of the activity timeline."""

    at: datetime
    kind: str  # "E-mail", "Decision", "Record"
    title: str
    detail: str = ""
    who: str = ""


@dataclass(frozen=True)
class InterviewRow:
    interview: Interview
    panel: list[User]
    scorecards: str


def _person(user: User | None) -> str:
    return user.display_name if user is not None else "Loopwise"


def _audit_detail(event: AuditEvent) -> str:
    before, after = event.before or {}, event.after or {}
    if event.action == "loop.stage_changed":
        moved = (
            f"{human(before.get('status', ''), STAGES)} → {human(after.get('status', ''), STAGES)}"
        )
        return f"{moved}; reason: {after['reason']}" if after.get("reason") else moved
    if event.action == "loop.created":
        return str(after.get("requisition", ""))
    if event.object_type == CANDIDATE and event.action.startswith("candidate.changed"):
        return ", ".join(human(name, FIELD_LABELS) for name in after)
    if after.get("reason"):
        return f"Reason: {after['reason']}"
    return ""


def _interviews(user: User, loops: Any) -> list[InterviewRow]:
    interviews = (
        access.visible(user, Interview)
        .filter(loop__in=loops.values("pk"))
        .select_related("loop__requisition")
        .prefetch_related(
            Prefetch(
                "interviewers", queryset=User.objects.order_by("last_name", "first_name", "pk")
            )
        )
        .annotate(
            submitted=Count("scorecards", filter=Q(scorecards__status="submitted"), distinct=True)
        )
        .order_by("starts_at", "pk")[:LIMIT]
    )
    rows = []
    for interview in interviews:
        panel = list(interview.interviewers.all())
        if interview.status in Interview.NO_FEEDBACK_STATUSES:
            state = "none owed"
        else:
            state = f"{interview.submitted} of {len(panel)} in"
        rows.append(InterviewRow(interview, panel, state))
    return rows


def _emails(user: User, candidate: Candidate, loops: Any) -> list[Entry]:
    types = ContentType.objects.get_for_models(Loop, Interview)
    about = (
        Q(recipient_email__iexact=candidate.email)
        | Q(content_type=types[Loop], object_id__in=loops.values("pk"))
        | Q(
            content_type=types[Interview],
            object_id__in=Interview.objects.filter(loop__in=loops.values("pk")).values("pk"),
        )
    )
    rows = (
        access.visible(user, Notification)
        .filter(about)
        .select_related("recipient")
        .order_by("-created_at", "-pk")[:LIMIT]
    )
    entries = []
    for row in rows:
        to = row.recipient.display_name if row.recipient else row.recipient_email
        title = row.subject or human(row.reason, EMAIL_LABELS)
        when = row.sent_at or row.created_at
        entries.append(Entry(when, "E-mail", title, f"to {to}: {row.get_status_display()}"))
    return entries


def _decisions(user: User, loops: Any) -> list[Entry]:
    rows = (
        access.visible(user, Decision)
        .filter(loop__in=loops.values("pk"))
        .select_related("decided_by", "loop__requisition")
        .order_by("-decided_at", "-pk")[:LIMIT]
    )
    return [
        Entry(
            row.decided_at,
            "Decision",
            f"{row.get_outcome_display()} for {row.loop.requisition}",
            "" if row.is_current else "since revised",
            _person(row.decided_by),
        )
        for row in rows
    ]


def _trail(user: User, candidate: Candidate) -> list[Entry]:
    rows = (
        access.visible(user, AuditEvent)
        .filter(Q(candidate=candidate) | Q(object_type=CANDIDATE, object_id=str(candidate.pk)))
        .exclude(action="decision.recorded")  # the decision itself is on the timeline
        .select_related("actor")
        .order_by("-at", "-pk")[:LIMIT]
    )
    return [
        Entry(
            row.at,
            "Record",
            human(row.action, AUDIT_LABELS),
            _audit_detail(row),
            _person(row.actor),
        )
        for row in rows
    ]


def candidate_page(user: User, candidate: Candidate) -> dict[str, Any]:
    """The page's lists for ``user``, in a fixed number of queries."""
    loops = access.loops_staffed(user).filter(candidate=candidate)
    loop_rows = list(loops.select_related("requisition").order_by("-created_at", "-pk")[:LIMIT])
    timeline = [
        *_emails(user, candidate, loops),
        *_decisions(user, loops),
        *_trail(user, candidate),
    ]
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    return {
        "candidate_loops": loop_rows,
        "candidate_interviews": _interviews(user, loops),
        "candidate_timeline": timeline,
    }
