"""Outcomes after the hire (issue 18): what happened to a hired candidate at 6 and 12 months
after the decision. Personal data: audited, exported and erased with the candidate, hidden
from interviewers (``hiring.access``). The rules (a hired loop, a due checkpoint, the scale in
force) live in ``hiring.outcomes``; the constraints here keep the rows coherent."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from hiring import limits
from hiring.models.base import TimeStamped, User
from hiring.models.pipeline import Loop


class HireOutcome(TimeStamped):
    """What happened after a hire, at a checkpoint (6 or 12 months after the decision).
    One row per loop and checkpoint; a revision edits it (the audit trail keeps before/after)."""

    class Checkpoint(models.IntegerChoices):
        SIX_MONTHS = 6, "6 months"
        TWELVE_MONTHS = 12, "12 months"

    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="outcomes")
    months = models.PositiveSmallIntegerField(choices=Checkpoint.choices)
    performance = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="1 to scale_max; empty if they left before a rating.",
    )
    scale_max = models.PositiveSmallIntegerField(
        help_text="The top of the performance scale when this was recorded."
    )
    still_employed = models.BooleanField()
    regretted = models.BooleanField(
        null=True,
        blank=True,
        help_text="If they left: was it regretted attrition? Empty while employed.",
    )
    note = limits.LimitedTextField(max_length=limits.OUTCOME_NOTE, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["loop", "months"]
        constraints = [
            models.UniqueConstraint(
                fields=["loop", "months"], name="hire_outcome_one_per_checkpoint"
            ),
            models.CheckConstraint(
                condition=Q(performance__isnull=True)
                | Q(performance__gte=1, performance__lte=F("scale_max")),
                name="hire_outcome_performance_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(still_employed=False) | Q(regretted__isnull=True),
                name="hire_outcome_regretted_only_when_left",
            ),
            models.CheckConstraint(
                condition=Q(still_employed=False) | Q(performance__isnull=False),
                name="hire_outcome_rated_while_employed",
            ),
            models.CheckConstraint(condition=Q(scale_max__gte=2), name="hire_outcome_scale_max"),
            models.CheckConstraint(condition=Q(months__in=[6, 12]), name="hire_outcome_months"),
        ]

    def __str__(self) -> str:
        return f"{self.get_months_display()} outcome for {self.loop}"
