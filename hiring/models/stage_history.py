"""A loop's stage history (issue 18): one row per change of ``Loop.status``, whoever made it
(a person, or the system following the interviews and scorecards), and one for the stage a
loop started in. ``hiring.stages`` writes it in the same transaction as the change, so
"loops by stage over time" and "time in each stage" read what happened, not a guess.

Rows written by the backfill migration (loops older than the history) say so
(``backfilled``): they are a plausible reconstruction, not a record."""

from __future__ import annotations

from django.db import models

from hiring.models.base import User
from hiring.models.pipeline import Loop


class LoopStageChange(models.Model):
    loop = models.ForeignKey(Loop, on_delete=models.CASCADE, related_name="stage_changes")
    from_status = models.CharField(
        max_length=20,
        choices=Loop.Status.choices,
        blank=True,
        help_text="Empty: the stage the loop was created in.",
    )
    to_status = models.CharField(max_length=20, choices=Loop.Status.choices)
    at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the system moved it (interviews, scorecards, a decision's service).",
    )
    backfilled = models.BooleanField(
        default=False, help_text="Reconstructed for a loop older than the history."
    )

    class Meta:
        ordering = ["loop", "at", "id"]
        indexes = [models.Index(fields=["loop", "at"], name="stagechange_loop_at_idx")]

    def __str__(self) -> str:
        return f"{self.loop_id}: {self.from_status or '—'} → {self.to_status} at {self.at:%Y-%m-%d}"
