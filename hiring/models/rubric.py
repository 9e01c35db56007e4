"""The rubric: role profiles with their dimensions, case exercises, signals and red flags
(DESIGN §2). The shipped content is data (``hiring/rubric/*.yaml``), loaded by a migration."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from hiring import limits
from hiring.models.base import TimeStamped

DEFAULT_SCALE_LABELS = {
    4: ["Below bar", "Mixed", "Meets bar", "Excellent"],
    5: ["Well below bar", "Below bar", "Mixed", "Meets bar", "Excellent"],
}


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
