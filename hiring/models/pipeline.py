"""The hiring pipeline: requisitions, candidates, loops, interviews and decisions. Scorecards
live in the ``scorecards`` app."""

from __future__ import annotations

import uuid
from email.utils import parseaddr

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from hiring import limits
from hiring.models.base import TimeStamped, User
from hiring.models.rubric import CaseExercise, Dimension, RoleProfile
from hiring.validators import validate_time_zone


class Requisition(TimeStamped):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on_hold", "On hold"
        FILLED = "filled", "Filled"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=200, unique=True)
    profile = models.ForeignKey(RoleProfile, on_delete=models.PROTECT, related_name="requisitions")
    hiring_manager = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_requisitions",
    )
    recruiters = models.ManyToManyField(User, related_name="recruited_requisitions", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    # When interviewers and recruiters hear from Loopwise (DESIGN §3.3-3.4). Quiet hours are
    # global (QUIET_HOURS_START/END) and apply in each recipient's own time zone.
    remind_before_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Remind each interviewer this long before the interview (0: never)."
    )
    remind_morning_of = models.BooleanField(
        default=True, help_text="Also remind interviewers on the morning of the interview."
    )
    first_reminder_after_minutes = models.PositiveIntegerField(
        default=60, help_text="'Scorecard due' goes out this long after the interview ends."
    )
    reminder_interval_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text="Then again this often while the scorecard is overdue.",
    )
    escalate_after_hours = models.PositiveSmallIntegerField(
        default=48,
        help_text="Tell the recruiters when a scorecard is still missing this long after the end.",
    )

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_interval_hours__gte=1),
                name="requisition_reminder_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Candidate(TimeStamped):
    """Personal data: audited, exportable, erasable, anonymised after retention."""

    full_name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    location = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    current_title = models.CharField(max_length=200, blank=True)
    current_company = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(blank=True)
    source = models.CharField(max_length=120, blank=True)
    recruiter_notes = limits.LimitedTextField(
        blank=True, max_length=limits.RECRUITER_NOTES, help_text="Never shown to interviewers."
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="candidate_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.full_name


class Loop(TimeStamped):
    """One candidate for one requisition."""

    class Status(models.TextChoices):
        SCHEDULING = "scheduling", "Scheduling"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_FEEDBACK = "awaiting_feedback", "Awaiting feedback"
        READY_FOR_DEBRIEF = "ready_for_debrief", "Ready for debrief"
        DECIDED = "decided", "Decided"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (
        Status.SCHEDULING,
        Status.IN_PROGRESS,
        Status.AWAITING_FEEDBACK,
        Status.READY_FOR_DEBRIEF,
    )

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="loops")
    requisition = models.ForeignKey(Requisition, on_delete=models.PROTECT, related_name="loops")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULING)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "requisition"], name="loop_one_per_candidate_requisition"
            ),
        ]
        indexes = [
            models.Index(fields=["requisition", "status"]),
            # Newest first (the admin's loop list, the pipeline's "newest" sort): a page of
            # 50 walks this index instead of joining and sorting all the recruiter's loops.
            models.Index(fields=["created_at", "id"], name="loop_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} for {self.requisition}"


def calendar_domain() -> str:
    """The right-hand side of the calendar UIDs this installation writes: the domain it sends
    e-mail from."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loopwise.local"


def new_calendar_uid() -> str:
    """A UID no other installation (nor a test install beside production) can write: an
    attendee's calendar merges events by UID alone."""
    return f"{uuid.uuid4().hex}@{calendar_domain()}"


class Interview(TimeStamped):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    # Interviews in these states owe no scorecard.
    NO_FEEDBACK_STATUSES = (Status.CANCELLED, Status.NO_SHOW)

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="interviews")
    title = models.CharField(max_length=160)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="The zone the slot was agreed in; shown to the candidate.",
    )
    location = models.CharField(max_length=200, blank=True)
    video_url = models.URLField(blank=True)
    interviewers = models.ManyToManyField(User, related_name="interviews")
    trainees = models.ManyToManyField(
        User,
        related_name="trainee_interviews",
        blank=True,
        help_text=(
            "Panelists sitting in as trainees (each is also on the panel, so they get the "
            "invite and the kit and write a scorecard). Their scorecards count towards neither "
            "the recommendation nor the calibration."
        ),
    )
    focus_dimensions = models.ManyToManyField(Dimension, related_name="interviews", blank=True)
    case_exercise = models.ForeignKey(
        CaseExercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="interviews"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    plan_slot = models.ForeignKey(
        "hiring.PlanSlot",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interviews",
        help_text="The slot of the interview plan this interview fills.",
    )
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: bumped on every reschedule."
    )
    calendar_uid = models.CharField(
        max_length=255,
        unique=True,
        default=new_calendar_uid,
        editable=False,
        help_text="iCalendar UID of its invites, updates and cancellations; never changes.",
    )
    external_key = models.CharField(
        max_length=300,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Set by imports, so importing the same history twice changes nothing.",
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="interview_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.loop.candidate})"

    @property
    def owes_feedback(self) -> bool:
        return self.status not in self.NO_FEEDBACK_STATUSES


class Decision(models.Model):
    """A hiring manager's decision. A change is a new row; the old one stays as history."""

    class Outcome(models.TextChoices):
        HIRE = "hire", "Hire"
        NO_HIRE = "no_hire", "No hire"

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    level_offered = models.ForeignKey(
        RoleProfile, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rationale = limits.LimitedTextField(max_length=limits.DECISION_RATIONALE)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="decisions")
    decided_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    # What the loop's summary recommended when the decision was recorded (what the hiring
    # manager had in front of them), kept because the summary changes after an amendment or
    # a refit: the pipeline report sets decisions against it.
    recommendation = models.CharField(
        max_length=12,
        blank=True,
        help_text="The summary's recommendation when decided (empty: no summary yet, or "
        "decided before it was kept).",
    )
    panel_split = models.BooleanField(
        default=False, help_text="The summary said the panel split when decided."
    )

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["loop"], condition=Q(is_current=True), name="decision_one_current_per_loop"
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_rationale_required"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for {self.loop}"
