"""Read serializers for the hiring domain. Candidates read by a panel member carry kit fields
only: contact data and recruiter notes come back as null."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hiring import limits
from hiring.models import (
    Candidate,
    CaseExercise,
    DebriefOutcome,
    Decision,
    Dimension,
    Interview,
    Loop,
    PlanSlot,
    Requisition,
    RoleProfile,
    User,
)


class LimitedCharField(serializers.CharField):
    """Text with a limit from ``hiring.limits``: ``maxLength`` in the schema, and over it the
    same message as the pages, counted the same way."""

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.validators = [
            *(v for v in self.validators if not isinstance(v, MaxLengthValidator)),
            limits.MaxChars(max_length),
        ]


def display(field: str) -> serializers.CharField:
    """``<field>_display``: the words a person reads for a coded field (``get_<field>_display``),
    beside the stable code that programs should compare."""
    return serializers.CharField(source=f"get_{field}_display", read_only=True)


class DimensionSerializer(serializers.ModelSerializer[Dimension]):
    class Meta:
        model = Dimension
        fields = ["id", "name", "slug", "description", "meets_bar", "excellent", "weight",
                  "must_have", "order"]  # fmt: skip


class CaseExerciseSerializer(serializers.ModelSerializer[CaseExercise]):
    class Meta:
        model = CaseExercise
        fields = ["id", "title", "slug", "minutes", "brief", "deliverables", "evaluates",
                  "dimensions", "order"]  # fmt: skip


class RoleProfileSerializer(serializers.ModelSerializer[RoleProfile]):
    dimensions = DimensionSerializer(many=True, read_only=True)
    case_exercises = CaseExerciseSerializer(many=True, read_only=True)

    class Meta:
        model = RoleProfile
        fields = ["id", "name", "slug", "summary", "level", "rating_scale", "bar",
                  "dimensions", "case_exercises"]  # fmt: skip


class RequisitionSerializer(serializers.ModelSerializer[Requisition]):
    status_display = display("status")

    class Meta:
        model = Requisition
        fields = ["id", "title", "profile", "hiring_manager", "status", "status_display",
                  "created_at"]  # fmt: skip


class PlanSlotSerializer(serializers.ModelSerializer[PlanSlot]):
    class Meta:
        model = PlanSlot
        fields = ["id", "slug", "position", "title", "minutes", "focus_dimensions",
                  "case_exercise", "pool", "hiring_manager_required", "buffer_before_minutes",
                  "buffer_after_minutes", "after", "same_day"]  # fmt: skip
        read_only_fields = fields


class PlanSerializer(serializers.Serializer[Any]):
    """The interview plan a requisition's loops follow (issue 17)."""

    owner = serializers.ChoiceField(
        choices=[("requisition", "requisition"), ("role_profile", "role_profile")],
        help_text="Whose plan: the requisition's own, or its role profile's.",
    )
    slots = PlanSlotSerializer(many=True, help_text="In order: position, then id.")
    covered_dimensions = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of the dimensions a slot assesses."
    )
    missing_must_haves = serializers.ListField(
        child=serializers.SlugField(), help_text="Slugs of the must-haves no slot assesses."
    )


# Only recruiters and hiring managers of the candidate's requisitions (and superusers) read these.
PRIVATE_CANDIDATE_FIELDS = ("email", "phone", "location", "profile_url", "source",
                            "recruiter_notes")  # fmt: skip


class CandidateSerializer(serializers.ModelSerializer[Candidate]):
    # May be blank: a plain string, not a URI.
    profile_url = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Candidate
        fields = ["id", "full_name", "current_title", "current_company", "anonymised_at",
                  *PRIVATE_CANDIDATE_FIELDS]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {name: {"allow_null": True} for name in PRIVATE_CANDIDATE_FIELDS}

    def to_representation(self, instance: Candidate) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not getattr(instance, "is_staff_view", False):
            for name in PRIVATE_CANDIDATE_FIELDS:
                data[name] = None
        return data


class CandidateKitSerializer(serializers.ModelSerializer[Candidate]):
    class Meta:
        model = Candidate
        fields = ["id", "full_name", "current_title", "current_company"]


class LoopSerializer(serializers.ModelSerializer[Loop]):
    candidate = CandidateKitSerializer(read_only=True)
    status_display = display("status")

    class Meta:
        model = Loop
        fields = ["id", "candidate", "requisition", "status", "status_display", "created_at"]


class InterviewSerializer(serializers.ModelSerializer[Interview]):
    status_display = display("status")

    class Meta:
        model = Interview
        fields = ["id", "loop", "title", "starts_at", "ends_at", "time_zone", "location",
                  "video_url", "status", "status_display", "interviewers", "focus_dimensions",
                  "case_exercise"]  # fmt: skip


class DebriefOutcomeSerializer(serializers.ModelSerializer[DebriefOutcome]):
    """What the hiring manager recorded about the debrief with the decision (issue 18)."""

    # the codes as in ``DecisionRecordSerializer.debrief_outcome``: one enum in the schema
    outcome = serializers.CharField(read_only=True, help_text="held, not_needed or skipped")
    outcome_display = display("outcome")

    class Meta:
        model = DebriefOutcome
        fields = ["outcome", "outcome_display", "attendees"]


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    outcome_display = display("outcome")
    debrief = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "loop", "outcome", "outcome_display", "level_offered", "rationale",
                  "decided_by", "decided_at", "is_current", "debrief"]  # fmt: skip

    @extend_schema_field(DebriefOutcomeSerializer(allow_null=True))
    def get_debrief(self, decision: Decision) -> dict[str, Any] | None:
        try:
            record = decision.debrief_outcome
        except DebriefOutcome.DoesNotExist:
            return None
        return dict(DebriefOutcomeSerializer(record).data)


class DecisionRecordSerializer(serializers.Serializer[Decision]):
    """What a hiring manager sends to record a decision; the rules are in
    ``hiring.decisions.decision_record``."""

    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    rationale = LimitedCharField(
        max_length=limits.DECISION_RATIONALE, help_text="Why this decision, in a sentence or two."
    )
    level_offered = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=RoleProfile.objects.all(),
        required=False,
        allow_null=True,
        help_text="The role profile's slug, when the level offered differs from the opening.",
    )
    debrief_outcome = serializers.ChoiceField(
        choices=DebriefOutcome.Outcome.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Whether the debrief was held, not needed or skipped.",
    )
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Who attended a debrief that was held: ids of panel members and the "
        "hiring manager.",
    )


class CandidateEraseSerializer(serializers.Serializer[Candidate]):
    reason = LimitedCharField(
        max_length=limits.ERASE_REASON,
        help_text="Why, for the audit trail (say, the candidate's request).",
    )
