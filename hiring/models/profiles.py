"""Interviewers' scheduling profiles and training (issue 17).

A ``SchedulingProfile`` says when a person takes interviews (meeting hours per weekday, in
their own time zone: ``User.time_zone``), how many per day and per week, and what they are
qualified to assess. It is created lazily: a person without one takes the installation's
defaults (``SCHEDULING_MEETING_HOURS`` on weekdays, ``SCHEDULING_DAY_LIMIT`` and
``SCHEDULING_WEEK_LIMIT``) and is qualified for everything, so data written before profiles
existed schedules as it did.

A ``TrainingRecord`` puts a person in training on one plan slot: they shadow the slot's
``shadow_count`` interviews, reverse-shadow ``reverse_shadow_count`` more, and are then
qualified (``hiring.scheduling.training`` derives the state from the completed interviews
they sat in as a trainee; a recruiter may set it instead). Until qualified they are not
proposed to hold the slot, and the scorecards of their trainee seats
(``Interview.trainees``) count towards neither the recommendation nor the calibration.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from hiring.models.base import User
from hiring.models.plans import PlanSlot
from hiring.models.rubric import CaseExercise, Dimension

# Ceilings a typing slip runs into before a person is booked into the night.
MAX_PER_DAY = 12
MAX_PER_WEEK = 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def default_hours() -> tuple[time, time]:
    """The installation's meeting hours (``SCHEDULING_MEETING_HOURS``, e.g. 09:00-17:00)."""
    low, high = settings.SCHEDULING_MEETING_HOURS.split("-")
    return time.fromisoformat(low), time.fromisoformat(high)


def default_start() -> time:
    return default_hours()[0]


def default_end() -> time:
    return default_hours()[1]


def default_day_limit() -> int:
    return int(settings.SCHEDULING_DAY_LIMIT)


def default_week_limit() -> int:
    return int(settings.SCHEDULING_WEEK_LIMIT)


def _hours(name: str, weekend: bool) -> tuple[models.TimeField, models.TimeField]:
    help_off = "Leave both empty: no interviews on this day."
    start: models.TimeField = models.TimeField(
        f"{name} from",
        null=True,
        blank=True,
        default=None if weekend else default_start,
        help_text=help_off,
    )
    end: models.TimeField = models.TimeField(
        f"{name} until", null=True, blank=True, default=None if weekend else default_end
    )
    return start, end


class SchedulingProfile(models.Model):
    """When and how much one person interviews, and what they may assess."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="scheduling_profile")
    mon_start, mon_end = _hours("Monday", False)
    tue_start, tue_end = _hours("Tuesday", False)
    wed_start, wed_end = _hours("Wednesday", False)
    thu_start, thu_end = _hours("Thursday", False)
    fri_start, fri_end = _hours("Friday", False)
    sat_start, sat_end = _hours("Saturday", True)
    sun_start, sun_end = _hours("Sunday", True)
    day_limit = models.PositiveSmallIntegerField(
        "interviews per day at most",
        default=default_day_limit,
        validators=[MaxValueValidator(MAX_PER_DAY, f"At most {MAX_PER_DAY} interviews a day.")],
        help_text="0: none (on leave, say).",
    )
    week_limit = models.PositiveSmallIntegerField(
        "interviews per week at most",
        default=default_week_limit,
        validators=[MaxValueValidator(MAX_PER_WEEK, f"At most {MAX_PER_WEEK} interviews a week.")],
        help_text="Counted Monday to Sunday in the person's own time zone.",
    )
    qualified_dimensions = models.ManyToManyField(
        Dimension,
        blank=True,
        related_name="qualified_interviewers",
        help_text=(
            "The dimensions this person may assess. Leave empty: qualified for every "
            "dimension (as everyone was before profiles)."
        ),
    )
    qualified_cases = models.ManyToManyField(
        CaseExercise,
        blank=True,
        related_name="qualified_interviewers",
        verbose_name="qualified case exercises",
        help_text="The case exercises this person may run. Leave empty: every case exercise.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(day_limit__lte=MAX_PER_DAY) & Q(week_limit__lte=MAX_PER_WEEK),
                name="schedulingprofile_limits_sane",
            ),
            *(
                models.CheckConstraint(
                    condition=(Q(**{f"{d}_start__isnull": True}) & Q(**{f"{d}_end__isnull": True}))
                    | Q(**{f"{d}_end__gt": models.F(f"{d}_start")}),
                    name=f"schedulingprofile_{d}_hours",
                )
                for d in WEEKDAYS
            ),
        ]

    def __str__(self) -> str:
        return f"Scheduling profile of {self.user}"

    def hours(self, weekday: int) -> tuple[time, time] | None:
        """Meeting hours on ``weekday`` (0 Monday), or None for a day off."""
        day = WEEKDAYS[weekday]
        start, end = getattr(self, f"{day}_start"), getattr(self, f"{day}_end")
        return (start, end) if start is not None and end is not None else None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for day, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True):
            start, end = getattr(self, f"{day}_start"), getattr(self, f"{day}_end")
            if (start is None) != (end is None):
                errors[f"{day}_end" if end is None else f"{day}_start"] = (
                    f"{name}: give both times, or neither for a day off."
                )
            elif start is not None and end is not None and end <= start:
                errors[f"{day}_end"] = f"{name}: the meeting hours must end after they start."
        if (
            self.day_limit is not None
            and self.week_limit is not None
            and self.day_limit > self.week_limit
        ):
            errors["day_limit"] = "The day's limit cannot exceed the week's."
        if errors:
            raise ValidationError(errors)


class TrainingRecord(models.Model):
    """One person in training on one plan slot."""

    class State(models.TextChoices):
        SHADOWING = "shadowing", "Shadowing"
        REVERSE_SHADOWING = "reverse_shadowing", "Reverse-shadowing"
        QUALIFIED = "qualified", "Qualified"

    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="training_records")
    plan_slot = models.ForeignKey(
        PlanSlot, on_delete=models.CASCADE, related_name="training_records"
    )
    state_set = models.CharField(
        "state (set by a recruiter)",
        max_length=20,
        choices=State.choices,
        blank=True,
        help_text=(
            "Leave empty: the state follows the completed interviews they sat in as a trainee "
            "on this slot (the slot's shadow and reverse-shadow counts)."
        ),
    )

    class Meta:
        ordering = ["plan_slot", "person"]
        constraints = [
            models.UniqueConstraint(fields=["person", "plan_slot"], name="training_one_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.person} training on {self.plan_slot.title}"
