"""Interview plans (issue 17): an ordered list of interview slots that a loop's schedule is
built from. A role profile has one (the VP of Product plan ships with the rubric, as data); a
requisition may have its own, which then replaces its profile's.

A plan is the slots of one owner, so the admin edits it as an inline on the role profile or
the requisition. The database keeps what it can (one owner, durations and buffers in range,
no slot after itself, a same-day rule only with an order); the rest needs the whole plan or
the many-to-many rows and is checked by ``PlanSlot.clean``, ``choice_errors`` and
``order_errors`` (called by the admin's formset and by ``hiring.scheduling.plans``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from hiring.models.base import User
from hiring.models.pipeline import Requisition
from hiring.models.rubric import CaseExercise, Dimension, RoleProfile

MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_BUFFER_MINUTES = 240

DURATION_MESSAGE = (
    f"An interview slot lasts between {MIN_MINUTES} and {MAX_MINUTES} minutes (8 hours)."
)
BUFFER_MESSAGE = f"A buffer is between 0 and {MAX_BUFFER_MINUTES} minutes."


def unlink_followers(collector: Any, field: Any, sub_objs: Any, using: str) -> None:
    """``on_delete`` of ``PlanSlot.after``: a slot that followed a deleted one follows
    nothing, and so is no longer bound to its day (the database refuses "same day" alone)."""
    # Updates run in the order added: "same day" goes first, so no row is ever same-day
    # with nothing to follow.
    collector.add_field_update(field.model._meta.get_field("same_day"), False, sub_objs)
    collector.add_field_update(field, None, sub_objs)


class PlanSlot(models.Model):
    """One interview of a plan: what it assesses, who may hold it, and where it goes."""

    profile = models.ForeignKey(
        RoleProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plan_slots",
        help_text="The role profile whose plan this is (or leave empty for a requisition's).",
    )
    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plan_slots",
        help_text="A requisition's own plan replaces its role profile's.",
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text="Where the slot comes in the plan: 1 first."
    )
    slug = models.SlugField(max_length=80, help_text="Stable name of the slot within its plan.")
    title = models.CharField(max_length=160, help_text="The interview's title on the schedule.")
    minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        validators=[
            MinValueValidator(MIN_MINUTES, DURATION_MESSAGE),
            MaxValueValidator(MAX_MINUTES, DURATION_MESSAGE),
        ],
    )
    focus_dimensions = models.ManyToManyField(
        Dimension,
        related_name="plan_slots",
        blank=True,
        help_text="The dimensions this interview assesses (from the role profile).",
    )
    case_exercise = models.ForeignKey(
        CaseExercise,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_slots",
    )
    pool = models.ManyToManyField(
        User,
        related_name="plan_slot_pools",
        blank=True,
        verbose_name="eligible interviewers",
        help_text="Who may sit on this interview's panel (empty: anyone).",
    )
    hiring_manager_required = models.BooleanField(
        "hiring manager must be on it",
        default=False,
        help_text="The requisition's hiring manager sits on this interview's panel.",
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        "buffer before (minutes)",
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES, BUFFER_MESSAGE)],
        help_text="Free time the panel needs before it (to read the brief, say).",
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        "buffer after (minutes)",
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES, BUFFER_MESSAGE)],
        help_text="Free time the panel needs after it (to write the scorecard, say).",
    )
    after = models.ForeignKey(
        "self",
        on_delete=unlink_followers,
        null=True,
        blank=True,
        related_name="followers",
        verbose_name="comes after",
        help_text="A slot of the same plan this one must follow.",
    )
    same_day = models.BooleanField(
        default=False, help_text="On the same day as the slot it comes after."
    )
    # Training (issue 17): a trainee on this slot shadows this many interviews, then leads
    # this many with a qualified interviewer watching, and is then qualified.
    shadow_count = models.PositiveSmallIntegerField(
        "trainees shadow",
        default=2,
        validators=[MaxValueValidator(20, "At most 20 interviews.")],
        help_text="Interviews a trainee on this slot sits in on first.",
    )
    reverse_shadow_count = models.PositiveSmallIntegerField(
        "then reverse-shadow",
        default=1,
        validators=[MaxValueValidator(20, "At most 20 interviews.")],
        help_text="Interviews the trainee then leads, watched, before they are qualified.",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(profile__isnull=False) & Q(requisition__isnull=True))
                | (Q(profile__isnull=True) & Q(requisition__isnull=False)),
                name="planslot_one_owner",
            ),
            models.UniqueConstraint(fields=["profile", "slug"], name="planslot_slug_per_profile"),
            models.UniqueConstraint(
                fields=["requisition", "slug"], name="planslot_slug_per_requisition"
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=MIN_MINUTES) & Q(minutes__lte=MAX_MINUTES),
                name="planslot_minutes_in_range",
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=MAX_BUFFER_MINUTES)
                & Q(buffer_after_minutes__lte=MAX_BUFFER_MINUTES),
                name="planslot_buffers_in_range",
            ),
            models.CheckConstraint(
                condition=Q(after__isnull=True) | ~Q(after=F("id")),
                name="planslot_not_after_itself",
            ),
            models.CheckConstraint(
                condition=Q(same_day=False) | Q(after__isnull=False),
                name="planslot_same_day_needs_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes} min)"

    @property
    def owner(self) -> RoleProfile | Requisition | None:
        return self.requisition if self.requisition_id else self.profile

    def rubric_profile_id(self) -> int | None:
        """The role profile whose dimensions and case exercises this slot may use."""
        if self.profile_id:
            return self.profile_id
        requisition = self.requisition if self.requisition_id else None
        return requisition.profile_id if requisition is not None else None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if bool(self.profile_id) == bool(self.requisition_id):
            errors.setdefault("__all__", []).append(
                "A slot belongs to a role profile's plan or to a requisition's, not both."
            )
        after = self.after if self.after_id is not None else None
        if after is not None:
            if self.pk is not None and after.pk == self.pk:
                errors.setdefault("after", []).append("A slot cannot come after itself.")
            elif (after.profile_id, after.requisition_id) != (
                self.profile_id,
                self.requisition_id,
            ):
                errors.setdefault("after", []).append(f"“{after.title}” is a slot of another plan.")
        if self.same_day and self.after_id is None:
            errors.setdefault("same_day", []).append(
                "“Same day” needs a slot this one comes after."
            )
        profile_id = self.rubric_profile_id()
        case = self.case_exercise if self.case_exercise_id is not None else None
        if case is not None and profile_id and case.profile_id != profile_id:
            errors.setdefault("case_exercise", []).append(
                f"“{case.title}” is a case exercise of another role profile."
            )
        if errors:
            raise ValidationError(errors)


def choice_errors(
    *,
    title: str,
    profile_id: int | None,
    dimensions: Iterable[Dimension],
    case_exercise: CaseExercise | None,
) -> list[str]:
    """What is wrong with a slot's focus and case exercise: each must be of the plan's role
    profile (a requisition's plan: its requisition's profile)."""
    errors = []
    foreign = [dimension.name for dimension in dimensions if dimension.profile_id != profile_id]
    if foreign:
        errors.append(
            f"“{title}”: {', '.join(foreign)} "
            f"{'is a dimension' if len(foreign) == 1 else 'are dimensions'} "
            "of another role profile."
        )
    if case_exercise is not None and case_exercise.profile_id != profile_id:
        errors.append(f"“{title}”: “{case_exercise.title}” is a case exercise of another profile.")
    return errors


def order_errors(after: Mapping[Any, Any], titles: Mapping[Any, str]) -> list[str]:
    """What is wrong with a plan's order constraints: ``after`` maps each slot's key to the
    key of the slot it comes after (or None). A slot after itself, or a chain that comes
    back to where it started, can never be scheduled."""
    errors = []
    reported: set[Any] = set()
    for start in after:
        if after[start] == start:
            errors.append(f"“{titles.get(start, start)}” cannot come after itself.")
            reported.add(start)
            continue
        seen = [start]
        node = after.get(start)
        while node is not None and node not in seen and node in after:
            seen.append(node)
            node = after.get(node)
        if node is not None and node in seen and not set(seen) & reported:
            cycle = seen[seen.index(node) :]
            reported.update(cycle)
            chain = " → ".join(f"“{titles.get(key, key)}”" for key in [*cycle, node])
            errors.append(f"These slots wait for each other in a circle: {chain}.")
    return errors
