"""Every model of the ``hiring`` app, by job: ``base`` (users), ``rubric`` (role profiles and
their rubric), ``pipeline`` (requisitions, candidates, loops, interviews, decisions),
``attachments`` (a candidate's documents), ``audit`` (the personal-data trail) and
``delivery`` (outbox, notifications, webhooks, idempotency keys), ``plans`` (interview
plans), ``booking`` (candidate booking links) and ``outcomes`` (what happened after a
hire). Import them from here."""

from hiring.models.attachments import Attachment
from hiring.models.audit import AuditEvent
from hiring.models.base import TimeStamped, User
from hiring.models.booking import BookingLink
from hiring.models.calendars import BusyBlock, CalendarSource, CalendarWrite
from hiring.models.debriefs import Debrief, DebriefComment, DebriefOutcome
from hiring.models.delivery import (
    WEBHOOK_EVENTS,
    IdempotencyRecord,
    Notification,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
    new_webhook_secret,
)
from hiring.models.outcomes import HireOutcome
from hiring.models.pipeline import Candidate, Decision, Interview, Loop, Requisition
from hiring.models.plans import PlanSlot
from hiring.models.profiles import SchedulingProfile, TrainingRecord
from hiring.models.rubric import (
    DEFAULT_SCALE_LABELS,
    CaseExercise,
    Dimension,
    RedFlag,
    RoleProfile,
    Signal,
)
from hiring.models.stage_history import LoopStageChange

__all__ = [
    "DEFAULT_SCALE_LABELS",
    "WEBHOOK_EVENTS",
    "Attachment",
    "AuditEvent",
    "BookingLink",
    "BusyBlock",
    "CalendarSource",
    "CalendarWrite",
    "Candidate",
    "CaseExercise",
    "Debrief",
    "DebriefComment",
    "DebriefOutcome",
    "Decision",
    "Dimension",
    "HireOutcome",
    "IdempotencyRecord",
    "Interview",
    "Loop",
    "LoopStageChange",
    "Notification",
    "OutboxEvent",
    "PlanSlot",
    "RedFlag",
    "Requisition",
    "RoleProfile",
    "SchedulingProfile",
    "Signal",
    "TimeStamped",
    "TrainingRecord",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "new_webhook_secret",
]
