"""Debriefs (issue 18): the meeting a recruiter schedules once a loop is ready for debrief
(or flagged), the discussion thread on the loop's summary page, and what the hiring manager
records about the debrief with the decision."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from hiring import limits
from hiring.models.base import TimeStamped, User
from hiring.models.pipeline import Decision, Loop, new_calendar_uid
from hiring.validators import validate_time_zone


class Debrief(TimeStamped):
    """One debrief meeting. Rescheduling edits it and bumps ``calendar_sequence``; a
    cancelled one stays (its UID answered the calendars), and a new one may follow."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="debriefs")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The zone the meeting was agreed in.",
    )
    location = models.CharField(max_length=200, blank=True)
    video_url = models.URLField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: bumped on every change and on cancellation."
    )
    calendar_uid = models.CharField(
        max_length=255, unique=True, default=new_calendar_uid, editable=False
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="debrief_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["loop"],
                condition=Q(status="scheduled"),
                name="debrief_one_scheduled_per_loop",
            ),
        ]

    def __str__(self) -> str:
        return f"Debrief for {self.loop}"


class DebriefComment(models.Model):
    """A comment in a loop's debrief discussion: plain text, never edited (what the panel
    read is what stays), deleted only by its author, softly (the thread says so)."""

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="debrief_comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = limits.LimitedTextField(max_length=limits.DEBRIEF_COMMENT)
    mentioned = models.ManyToManyField(User, related_name="+", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["loop", "created_at"])]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.loop}"


class DebriefOutcome(models.Model):
    """What the hiring manager recorded about the debrief with a decision."""

    class Outcome(models.TextChoices):
        HELD = "held", "Debrief held"
        NOT_NEEDED = "not_needed", "Not needed: the panel agreed"
        SKIPPED = "skipped", "Skipped"

    decision = models.OneToOneField(
        Decision, on_delete=models.CASCADE, related_name="debrief_outcome"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    attendees = models.ManyToManyField(User, related_name="+", blank=True)

    def __str__(self) -> str:
        return self.get_outcome_display()
