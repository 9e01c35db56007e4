"""The hiring domain: role profiles (the rubric), requisitions, candidates, loops, interviews
and decisions. Scorecards live in the ``scorecards`` app, which depends on this one."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from . import limits
from .validators import validate_time_zone

DEFAULT_SCALE_LABELS = {
    4: ["Below bar", "Mixed", "Meets bar", "Excellent"],
    5: ["Well below bar", "Below bar", "Mixed", "Meets bar", "Excellent"],
}


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """Anyone who signs in. Roles come from relations (a requisition's hiring manager and
    recruiters, an interview's panel), not from a flag on the user."""

    email = models.EmailField("e-mail address")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        verbose_name = "user"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email or self.username


class RoleProfile(TimeStamped):
    """A template for a kind of role: its rubric, rating scale and recommendation thresholds."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    summary = limits.LimitedTextField(blank=True, max_length=limits.ROLE_SUMMARY)
    level = models.PositiveSmallIntegerField(
        default=1, help_text="Rank on the career ladder: higher is more senior."
    )
    level_below = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="levels_above",
        help_text=(
            "The next level down, suggested when a candidate clears its bar but not this one."
        ),
    )
    rating_scale = models.PositiveSmallIntegerField(
        choices=[(4, "4 points"), (5, "5 points")], default=4
    )
    scale_labels = models.JSONField(
        default=list, blank=True, help_text="One label per point of the scale, lowest first."
    )
    bar = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("3.00"),
        help_text="The rating that means 'meets bar'.",
    )
    strong_hire_margin = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.50"),
        help_text="Strong hire needs the calibrated overall at least this far above the bar.",
    )
    no_hire_margin = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.25"),
        help_text="'Clearly below the bar' means the calibrated overall is this far below it.",
    )
    red_flag_no_hire_count = models.PositiveSmallIntegerField(
        default=2, help_text="This many interviewers raising red flags means no hire."
    )
    disagreement_points = models.PositiveSmallIntegerField(
        default=2, help_text="Ratings of one dimension this far apart call for a debrief."
    )
    level_below_bar = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Calibrated overall (and must-haves) that clears the level below.",
    )
    colleagues_visible_after_submit = models.BooleanField(
        default=True,
        help_text="Interviewers may read colleagues' submitted scorecards once theirs is in.",
    )
    hiring_manager_may_interview = models.BooleanField(
        default=True, help_text="Whether the requisition's hiring manager may sit on a panel."
    )

    class Meta:
        ordering = ["-level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_scale__in=[4, 5]), name="roleprofile_scale_4_or_5"
            ),
            models.CheckConstraint(
                condition=Q(bar__gte=1) & Q(bar__lte=F("rating_scale")),
                name="roleprofile_bar_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(strong_hire_margin__gte=0) & Q(no_hire_margin__gte=0),
                name="roleprofile_margins_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        labels = self.scale_labels
        if not labels:
            return
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise ValidationError({"scale_labels": 'Give a list of labels, like ["Low", "High"].'})
        if len(labels) != self.rating_scale:
            raise ValidationError(
                {"scale_labels": f"Give exactly {self.rating_scale} labels, one per point."}
            )
        for label in labels:
            limits.check_lengths(scale_labels=(label, limits.SCALE_LABEL))

    def labels(self) -> list[str]:
        return list(self.scale_labels) or DEFAULT_SCALE_LABELS[self.rating_scale]

    def scale_choices(self) -> list[tuple[int, str]]:
        return [(value, label) for value, label in enumerate(self.labels(), start=1)]


class Dimension(models.Model):
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="dimensions")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    description = limits.LimitedTextField(
        blank=True, max_length=limits.RUBRIC_TEXT, help_text="The question this dimension answers."
    )
    meets_bar = limits.LimitedTextField(
        "what 'meets bar' looks like", max_length=limits.RUBRIC_TEXT
    )
    excellent = limits.LimitedTextField(
        "what 'excellent' looks like", max_length=limits.RUBRIC_TEXT
    )
    weight = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    must_have = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["profile", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "slug"], name="dimension_slug_per_profile"),
            models.UniqueConstraint(fields=["profile", "name"], name="dimension_name_per_profile"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="dimension_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class CaseExercise(models.Model):
    profile = models.ForeignKey(
        RoleProfile, on_delete=models.CASCADE, related_name="case_exercises"
    )
    title = models.CharField(max_length=160)
    slug = models.SlugField(max_length=160)
    minutes = models.PositiveSmallIntegerField()
    brief = limits.LimitedTextField(
        max_length=limits.RUBRIC_TEXT, help_text="What the candidate is given."
    )
    deliverables = limits.LimitedTextField(
        max_length=limits.RUBRIC_TEXT, help_text="What the candidate must produce."
    )
    evaluates = limits.LimitedTextField(
        blank=True, max_length=limits.RUBRIC_TEXT, help_text="What the interviewer evaluates."
    )
    dimensions = models.ManyToManyField(Dimension, related_name="case_exercises", blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["profile", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "slug"], name="case_slug_per_profile"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="case_minutes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes} min)"


class Signal(models.Model):
    class Kind(models.TextChoices):
        STRONG = "strong", "Strong signal"
        WEAK = "weak", "Weak signal"

    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["profile", "kind", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "text"], name="signal_text_per_profile"),
        ]

    def __str__(self) -> str:
        return self.text


class RedFlag(models.Model):
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="red_flags")
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["profile", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "text"], name="redflag_text_per_profile"),
        ]

    def __str__(self) -> str:
        return self.text


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
        indexes = [models.Index(fields=["requisition", "status"])]

    def __str__(self) -> str:
        return f"{self.candidate} for {self.requisition}"


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
    focus_dimensions = models.ManyToManyField(Dimension, related_name="interviews", blank=True)
    case_exercise = models.ForeignKey(
        CaseExercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="interviews"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="iCalendar SEQUENCE: bumped on every reschedule."
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


class AuditEvent(models.Model):
    """Who changed which personal data, when, and from what to what (DESIGN §7)."""

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    candidate = models.ForeignKey(
        "Candidate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="Whose personal data this is about: their trail, export and erasure.",
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class OutboxEvent(models.Model):
    """Something that must happen after a commit, written in the same transaction as the
    change that caused it (DESIGN §5). Delivered by ``hiring.outbox.dispatch``: a broker
    outage delays it, never loses it."""

    topic = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="Emitting twice with one key records one event.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(help_text="Not delivered before this (retry backoff).")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    failed = models.BooleanField(default=False, help_text="Gave up after the last attempt.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                condition=Q(processed_at__isnull=True),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class Notification(models.Model):
    """One e-mail to one person, due at a time: the database is the schedule (DESIGN §5).

    The unique key (recipient, reason, object, sequence, resend) is what makes a message go
    out once however many sweeps, workers or retries race for it. ``sequence`` numbers the
    scheduled occurrences of one reason (the n-th daily reminder, an invite's iCalendar
    SEQUENCE); ``resend`` counts deliberate re-sends of that occurrence from the admin, so a
    re-send never takes the key of a later scheduled occurrence."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled (no longer relevant)"

    reason = models.CharField(max_length=60)
    recipient = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    recipient_email = models.EmailField()
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    sequence = models.PositiveIntegerField(default=0)
    resend = models.PositiveSmallIntegerField(
        default=0, help_text="0 for the scheduled send; n for the n-th deliberate re-send."
    )
    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="Whose recruiters may see it in the admin.",
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took it; reclaimed after a lease."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True, help_text="As sent.")
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("content_type"),
                F("object_id"),
                F("reason"),
                Lower("recipient_email"),
                F("sequence"),
                F("resend"),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="notification_sent_has_sent_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status="pending"),
                name="notification_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="notification_sending_idx",
            ),
            models.Index(fields=["requisition", "status"], name="notification_requisition_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} to {self.recipient_email}"


# Models of one app kept in two modules; re-exported so ``hiring.models`` names them all.
from .integration_models import IdempotencyRecord as IdempotencyRecord  # noqa: E402
from .integration_models import WebhookDelivery as WebhookDelivery  # noqa: E402
from .integration_models import WebhookSubscription as WebhookSubscription  # noqa: E402
