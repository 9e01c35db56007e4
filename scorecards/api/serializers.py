"""Scorecards in and out of the API. Reading goes through the blind-rule querysets; writing
goes through ``scorecards.services``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Manager
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hiring import limits
from hiring.api.serializers import LimitedCharField, display
from scorecards.api import selectors as prefetched
from scorecards.calibration.recommendation import LABELS
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    LoopSummary,
    Recommendation,
    Scorecard,
    ScorecardRevision,
)
from scorecards.services import Held, RatingInput, ScorecardContent


class _ByDimension(serializers.ListSerializer[DimensionRating]):
    """Ratings in dimension id order, however they were read."""

    def to_representation(self, data: Any) -> list[Any]:
        ratings = data.all() if isinstance(data, Manager) else data
        return super().to_representation(sorted(ratings, key=lambda r: r.dimension_id))


class DimensionRatingSerializer(serializers.ModelSerializer[DimensionRating]):
    class Meta:
        model = DimensionRating
        fields = ["dimension", "rating", "not_assessed", "evidence"]
        list_serializer_class = _ByDimension

    def to_representation(self, instance: DimensionRating) -> dict[str, Any]:
        # What DRF's field-by-field walk gives, read directly: a page of 50 scorecards holds
        # 500 ratings, and the walk cost more than the rest of the page.
        return {
            "dimension": instance.dimension_id,
            "rating": instance.rating,
            "not_assessed": instance.not_assessed,
            "evidence": instance.evidence,
        }


IDS = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class RevisionSerializer(serializers.ModelSerializer[ScorecardRevision]):
    """A revision. Its signals and red flags come from ``context["held"]`` (by revision id,
    what a write left) when given, else from the revision's (prefetched) relations."""

    ratings = DimensionRatingSerializer(many=True, read_only=True)
    overall_recommendation_display = display("overall_recommendation")
    signals = serializers.SerializerMethodField()
    red_flags = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardRevision
        fields = ["id", "number", "submitted_at", "is_current", "overall_recommendation",
                  "overall_recommendation_display", "key_takeaways", "amendment_reason",
                  "ratings", "signals", "red_flags"]  # fmt: skip

    def to_representation(self, instance: ScorecardRevision) -> dict[str, Any]:
        # The declared fields' output, read directly (DRF's generic walk asks each field for
        # its attribute and inspects callables: most of a scorecard list's CPU). The
        # timestamp still goes through its field, for the reader's time zone and format.
        submitted_at = instance.submitted_at
        ratings = getattr(instance, prefetched.RATINGS, None)
        return {
            "id": instance.pk,
            "number": instance.number,
            "submitted_at": None
            if submitted_at is None
            else self.fields["submitted_at"].to_representation(submitted_at),
            "is_current": instance.is_current,
            "overall_recommendation": instance.overall_recommendation,
            "overall_recommendation_display": instance.get_overall_recommendation_display(),
            "key_takeaways": instance.key_takeaways,
            "amendment_reason": instance.amendment_reason,
            "ratings": self.fields["ratings"].to_representation(
                instance.ratings if ratings is None else ratings
            ),
            "signals": self.get_signals(instance),
            "red_flags": self.get_red_flags(instance),
        }

    @extend_schema_field(IDS)
    def get_signals(self, revision: ScorecardRevision) -> list[int]:
        held: Held | None = self.context.get("held", {}).get(revision.pk)
        if held is not None:
            return sorted(held.signals)
        signals = getattr(revision, prefetched.SIGNALS, None)
        if signals is None:
            signals = revision.signals.all()
        return sorted(signal.pk for signal in signals)

    @extend_schema_field(IDS)
    def get_red_flags(self, revision: ScorecardRevision) -> list[int]:
        held: Held | None = self.context.get("held", {}).get(revision.pk)
        if held is not None:
            return sorted(held.red_flags)
        flags = getattr(revision, prefetched.RED_FLAGS, None)
        if flags is None:
            flags = revision.red_flags.all()
        return sorted(flag.pk for flag in flags)


class ScorecardSerializer(serializers.ModelSerializer[Scorecard]):
    current = serializers.SerializerMethodField()
    draft = serializers.SerializerMethodField()
    loop = serializers.IntegerField(source="interview.loop_id", read_only=True)
    status_display = display("status")

    class Meta:
        model = Scorecard
        fields = ["id", "interview", "loop", "interviewer", "status", "status_display",
                  "first_submitted_at",
                  "last_submitted_at", "current", "draft"]  # fmt: skip

    @cached_property
    def _revision(self) -> RevisionSerializer:
        """One revision serializer for every scorecard of a list: DRF builds a
        ModelSerializer's fields once per instance, which cost a list of 50 scorecards
        ~30 ms of CPU when each revision got a serializer of its own."""
        return RevisionSerializer(context=self.context)

    def _revisions(self, scorecard: Scorecard) -> Iterable[ScorecardRevision]:
        """``context["revisions"]`` (what a write left) when given, else the prefetched."""
        given: Iterable[ScorecardRevision] | None = self.context.get("revisions")
        if given is None:
            given = getattr(scorecard, prefetched.REVISIONS, None)
        return scorecard.revisions.all() if given is None else given

    @extend_schema_field(RevisionSerializer(allow_null=True))
    def get_current(self, scorecard: Scorecard) -> dict[str, Any] | None:
        for revision in self._revisions(scorecard):
            if revision.is_current:
                return self._revision.to_representation(revision)
        return None

    @extend_schema_field(RevisionSerializer(allow_null=True))
    def get_draft(self, scorecard: Scorecard) -> dict[str, Any] | None:
        """The open draft: only ever shown to its author."""
        request = self.context.get("request")
        if request is None or scorecard.interviewer_id != request.user.pk:
            return None
        for revision in self._revisions(scorecard):
            if revision.submitted_at is None:
                return self._revision.to_representation(revision)
        return None


class RatingInputSerializer(serializers.Serializer[Any]):
    dimension = serializers.IntegerField(min_value=1)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    not_assessed = serializers.BooleanField(required=False, default=False)
    evidence = LimitedCharField(
        max_length=limits.EVIDENCE, required=False, allow_blank=True, default=""
    )


class ScorecardContentSerializer(serializers.Serializer[Any]):
    """What an interviewer writes: a draft may be partial, a submission must be whole."""

    ratings = RatingInputSerializer(many=True, required=False, default=list)
    overall_recommendation = serializers.ChoiceField(
        choices=Recommendation.choices, required=False, allow_blank=True, default=""
    )
    key_takeaways = LimitedCharField(
        max_length=limits.KEY_TAKEAWAYS, required=False, allow_blank=True, default=""
    )
    signals = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    red_flags = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    amendment_reason = LimitedCharField(
        max_length=limits.AMENDMENT_REASON, required=False, allow_blank=True, default=""
    )

    def validate_ratings(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen = [item["dimension"] for item in value]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError("Rate each dimension once.")
        return value

    def to_content(self) -> ScorecardContent:
        data = self.validated_data
        return ScorecardContent(
            ratings={
                item["dimension"]: RatingInput(
                    rating=item.get("rating"),
                    not_assessed=item.get("not_assessed", False),
                    evidence=item.get("evidence", ""),
                )
                for item in data["ratings"]
            },
            overall_recommendation=data["overall_recommendation"],
            key_takeaways=data["key_takeaways"],
            signal_ids=data["signals"],
            red_flag_ids=data["red_flags"],
            amendment_reason=data["amendment_reason"],
        )


class ScorecardSubmitSerializer(ScorecardContentSerializer):
    amend = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Amend a submitted scorecard (needs amendment_reason).",
    )


DIMENSION_SCORE_KEYS = (
    "calibrated", "low", "high", "shrunk", "shrunk_low", "shrunk_high", "pull", "raw_mean",
    "n_ratings",
)  # fmt: skip


class LoopSummarySerializer(serializers.ModelSerializer[LoopSummary]):
    recommendation_display = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    reason_messages = serializers.SerializerMethodField(
        help_text="The reasons in plain English, in the order of `reasons`."
    )
    stale = serializers.SerializerMethodField(
        help_text="True when scorecards or the calibration changed since `computed_at`: a "
        "recompute is queued; ask again in a moment for the fresh one."
    )

    dimensions = serializers.SerializerMethodField(
        help_text="Each rated dimension by slug: `calibrated` (mean of leniency-corrected "
        "ratings) and `shrunk` (pulled toward the candidate's level in proportion to its "
        "uncertainty: what the overall and must-have checks use) with their intervals "
        "(`low`/`high`, `shrunk_low`/`shrunk_high`), `pull` (0 to 1, how far), `raw_mean` and "
        "`n_ratings`. Summaries computed by an older "
        "model have no `shrunk` values (null) until recomputed."
    )

    class Meta:
        model = LoopSummary
        fields = ["loop", "computed_at", "model_version", "recommendation",
                  "recommendation_display", "needs_debrief",
                  "level_suggestion", "scorecards_in", "scorecards_expected", "raw_score",
                  "calibrated_score", "calibrated_low", "calibrated_high", "dimensions",
                  "reasons", "reason_messages", "stale"]  # fmt: skip

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    key: {"type": "number", "nullable": True} for key in DIMENSION_SCORE_KEYS
                },
            },
        }
    )
    def get_dimensions(self, summary: LoopSummary) -> dict[str, dict[str, float | None]]:
        stored = summary.data.get("scores", {}).get("dimensions", {})
        return {
            slug: {key: scores.get(key) for key in DIMENSION_SCORE_KEYS}
            for slug, scores in stored.items()
        }

    def get_recommendation_display(self, summary: LoopSummary) -> str:
        return LABELS.get(summary.recommendation, summary.recommendation)

    def get_reasons(self, summary: LoopSummary) -> list[str]:
        return summary.reason_codes

    def get_reason_messages(self, summary: LoopSummary) -> list[str]:
        return [r["message"] for r in summary.data.get("verdict", {}).get("reasons", [])]

    def get_stale(self, summary: LoopSummary) -> bool:
        return bool(self.context.get("stale", False))


class InterviewerCalibrationSerializer(serializers.ModelSerializer[InterviewerCalibration]):
    interviewer_name = serializers.CharField(source="interviewer.display_name", read_only=True)
    fitted_at = serializers.DateTimeField(source="run.fitted_at", read_only=True)

    class Meta:
        model = InterviewerCalibration
        fields = ["interviewer", "interviewer_name", "leniency", "leniency_se", "ratings",
                  "fitted_at"]  # fmt: skip
