"""Scorecards: one per (interview, interviewer), with every revision kept.

A scorecard's content lives in revisions. The open draft is the revision with no
``submitted_at``; submitting stamps it and makes it current. An amendment opens a new draft
copied from the current revision and, once submitted, replaces it as current while the
history keeps both. Summaries read only current revisions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from hiring import limits
from hiring.models import Dimension, Interview, RedFlag, Signal


class Recommendation(models.TextChoices):
    STRONG_NO = "strong_no", "Strong no"
    NO = "no", "No"
    YES = "yes", "Yes"
    STRONG_YES = "strong_yes", "Strong yes"


class Scorecard(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="scorecards")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scorecards"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "interviewer"], name="scorecard_one_per_interviewer"
            ),
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(first_submitted_at__isnull=True))
                | (Q(status="submitted") & Q(first_submitted_at__isnull=False)),
                name="scorecard_status_matches_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"Scorecard of {self.interviewer} for {self.interview}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class ScorecardRevision(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(
        default=False, help_text="The latest submitted revision: the one summaries use."
    )
    overall_recommendation = models.CharField(
        max_length=10, choices=Recommendation.choices, blank=True
    )
    key_takeaways = limits.LimitedTextField(blank=True, max_length=limits.KEY_TAKEAWAYS)
    amendment_reason = limits.LimitedTextField(blank=True, max_length=limits.AMENDMENT_REASON)
    imported = models.BooleanField(
        default=False, help_text="Historical, from import_scorecards: may lack a recommendation."
    )
    signals = models.ManyToManyField(Signal, blank=True, related_name="+")
    red_flags = models.ManyToManyField(RedFlag, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scorecard", "number"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "number"], name="revision_number_unique"),
            models.UniqueConstraint(
                fields=["scorecard"],
                condition=Q(submitted_at__isnull=True),
                name="revision_one_open_draft",
            ),
            models.UniqueConstraint(
                fields=["scorecard"], condition=Q(is_current=True), name="revision_one_current"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(submitted_at__isnull=False),
                name="revision_current_is_submitted",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True)
                | ~Q(overall_recommendation="")
                | Q(imported=True),
                name="revision_submitted_has_recommendation",
            ),
        ]

    def __str__(self) -> str:
        state = "draft" if self.submitted_at is None else "submitted"
        return f"Revision {self.number} ({state}) of {self.scorecard}"

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None


class DimensionRating(models.Model):
    """A rating of one dimension in one revision. ``scale_max`` records the profile's scale
    in force when rated, so the database itself keeps every rating on its scale."""

    revision = models.ForeignKey(
        ScorecardRevision, on_delete=models.CASCADE, related_name="ratings"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    not_assessed = models.BooleanField(default=False)
    evidence = limits.LimitedTextField(blank=True, max_length=limits.EVIDENCE)
    scale_max = models.PositiveSmallIntegerField(default=4)

    class Meta:
        ordering = ["revision", "dimension__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "dimension"], name="rating_one_per_dimension"
            ),
            models.CheckConstraint(condition=Q(scale_max__in=[4, 5]), name="rating_scale_4_or_5"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | (Q(rating__gte=1) & Q(rating__lte=F("scale_max"))),
                name="rating_within_scale",
            ),
            models.CheckConstraint(
                condition=Q(not_assessed=False) | Q(rating__isnull=True),
                name="rating_absent_when_not_assessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.rating or 'n/a'}"


class CalibrationRun(models.Model):
    """One refit of interviewer leniency over all history; the newest is in force."""

    fitted_at = models.DateTimeField(auto_now_add=True)
    model_version = models.CharField(max_length=40)
    n_ratings = models.PositiveIntegerField()
    n_interviewers = models.PositiveIntegerField()
    residual_variance = models.FloatField()
    pair_variance = models.FloatField()
    prior_variance = models.FloatField()
    shrinkage = models.FloatField()
    estimated = models.BooleanField(help_text="False: too little history, defaults used.")
    converged = models.BooleanField()
    seconds = models.FloatField()
    # The precision-aware scores' inputs (model "ridge-als-2"); null on older refits.
    dimension_variance = models.FloatField(
        null=True, help_text="Spread of one candidate's true scores across dimensions."
    )
    rating_variance = models.FloatField(
        null=True, help_text="Variance of one rating around the candidate's dimension score."
    )
    dimension_means = models.JSONField(
        default=dict, blank=True, help_text="Fitted mean of each dimension, by dimension id."
    )

    class Meta:
        ordering = ["-fitted_at", "-id"]
        get_latest_by = "fitted_at"

    def __str__(self) -> str:
        return f"Calibration of {self.fitted_at:%Y-%m-%d %H:%M} ({self.n_ratings} ratings)"


class InterviewerCalibration(models.Model):
    """An interviewer's fitted leniency b_i, in rating points (positive = lenient)."""

    interviewer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calibration"
    )
    run = models.ForeignKey(CalibrationRun, on_delete=models.CASCADE, related_name="+")
    leniency = models.FloatField()
    leniency_se = models.FloatField()
    ratings = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.interviewer}: {self.leniency:+.2f} over {self.ratings} ratings"


class InterviewerLeniency(models.Model):
    """An interviewer's leniency as one refit found it: the history behind the trends
    (issue 18). ``InterviewerCalibration`` holds the newest refit only; every refit also
    writes its rows here, in the same transaction, and they are kept."""

    run = models.ForeignKey(CalibrationRun, on_delete=models.CASCADE, related_name="leniencies")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leniency_history"
    )
    leniency = models.FloatField()
    leniency_se = models.FloatField()
    ratings = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "interviewer leniencies"
        constraints = [
            models.UniqueConstraint(
                fields=["run", "interviewer"], name="leniency_one_per_run_and_interviewer"
            ),
        ]
        indexes = [models.Index(fields=["interviewer", "run"])]

    def __str__(self) -> str:
        return f"{self.interviewer} in run {self.run_id}: {self.leniency:+.2f}"


class LoopSummary(models.Model):
    """Computed, never typed (DESIGN §4): one per loop, replaced on every recompute."""

    loop = models.OneToOneField("hiring.Loop", on_delete=models.CASCADE, related_name="summary")
    computed_at = models.DateTimeField()
    model_version = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64, help_text="Hash of every input used.")
    recommendation = models.CharField(max_length=12)
    needs_debrief = models.BooleanField(default=False)
    level_suggestion = models.CharField(max_length=120, blank=True)
    scorecards_in = models.PositiveSmallIntegerField(default=0)
    scorecards_expected = models.PositiveSmallIntegerField(default=0)
    raw_score = models.FloatField(null=True, blank=True)
    calibrated_score = models.FloatField(null=True, blank=True)
    calibrated_low = models.FloatField(null=True, blank=True)
    calibrated_high = models.FloatField(null=True, blank=True)
    data = models.JSONField(default=dict, help_text="Scores, corrections, verdict and reasons.")

    class Meta:
        verbose_name_plural = "loop summaries"

    def __str__(self) -> str:
        return f"{self.recommendation} for {self.loop_id}"

    @property
    def reason_codes(self) -> list[str]:
        return [reason["code"] for reason in self.data.get("verdict", {}).get("reasons", [])]


class SummaryRefresh(models.Model):
    """One refresh of the open loops' summaries (after a refit), split into batches that
    workers share. Each batch adds its counts once; the last one to finish stamps
    ``finished_at``, so the refresh's duration is ``finished_at - started_at``."""

    run = models.ForeignKey(
        CalibrationRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The refit this refresh followed (none: a refresh on its own).",
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    batch_size = models.PositiveIntegerField()
    batches_total = models.PositiveIntegerField()
    batches_done = models.PositiveIntegerField(default=0)
    loops_seen = models.PositiveIntegerField(default=0, help_text="Open loops looked at.")
    changed = models.PositiveIntegerField(
        default=0, help_text="Summaries written: new, or their inputs changed."
    )
    unchanged = models.PositiveIntegerField(
        default=0, help_text="Summaries left as they were: same inputs, same model."
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"Summary refresh {self.pk} of {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        """How long the refresh took, from planning to its last batch; None while running."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SummaryRefreshBatch(models.Model):
    """One batch of a refresh: the open loops with a pk in ``first_loop_id..last_loop_id``.
    ``done_at`` is set in the same transaction that stores the batch's summaries and adds
    its counts to the refresh, so a batch run twice is computed and counted once."""

    refresh = models.ForeignKey(SummaryRefresh, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_loop_id = models.PositiveBigIntegerField()
    last_loop_id = models.PositiveBigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    loops_seen = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["refresh", "number"]
        constraints = [
            models.UniqueConstraint(fields=["refresh", "number"], name="refresh_batch_number"),
        ]

    def __str__(self) -> str:
        loops = f"loops {self.first_loop_id}-{self.last_loop_id}"
        return f"Batch {self.number} of refresh {self.refresh_id} ({loops})"
