"""Outcomes after the hire in the API (issue 18), for the requisition's hiring manager and
recruiters and for superusers (HR), like the page; nobody else learns anything (404):

- ``GET /api/v1/outcomes/``: every outcome the caller may see, filtered by ``requisition``,
  ``loop``, ``months`` or ``still_employed``, in keyset pages;
- ``GET /api/v1/loops/{loop_id}/outcomes/``: both checkpoints of a hired loop, with their due
  dates and what was recorded (empty for a loop that was not a hire);
- ``POST /api/v1/loops/{loop_id}/outcomes/``: record or revise one checkpoint (201; 400
  with field errors from ``hiring.outcomes``; retry-safe with an ``Idempotency-Key``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from hiring import access, limits, outcomes
from hiring.api import idempotency
from hiring.api.filters import IdFilter
from hiring.api.idempotency import idempotent
from hiring.api.permissions import request_user
from hiring.api.schema import DocumentedErrors
from hiring.api.serializers import LimitedCharField
from hiring.models import HireOutcome, Loop


class OutcomeSerializer(serializers.ModelSerializer[HireOutcome]):
    requisition = serializers.IntegerField(source="loop.requisition_id", read_only=True)
    performance_label = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(
        source="recorded_by.display_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = HireOutcome
        fields = [
            "id",
            "loop",
            "requisition",
            "months",
            "performance",
            "performance_label",
            "scale_max",
            "still_employed",
            "regretted",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_performance_label(self, outcome: HireOutcome) -> str:
        return outcomes.performance_label(outcome.performance, outcome.scale_max)


class OutcomeRecordSerializer(serializers.Serializer[Any]):
    months = serializers.ChoiceField(
        choices=HireOutcome.Checkpoint.choices, help_text="The checkpoint: 6 or 12."
    )
    performance = serializers.IntegerField(
        allow_null=True,
        required=False,
        default=None,
        help_text="1 to the size of OUTCOME_PERFORMANCE_SCALE (worst first); null only if "
        "they left before a rating.",
    )
    still_employed = serializers.BooleanField()
    regretted = serializers.BooleanField(
        allow_null=True,
        required=False,
        default=None,
        help_text="Only if they left: was it regretted attrition? null while employed.",
    )
    note = LimitedCharField(
        max_length=limits.OUTCOME_NOTE, required=False, allow_blank=True, default=""
    )


class CheckpointSerializer(serializers.Serializer[Any]):
    months = serializers.IntegerField()
    name = serializers.CharField(source="label", help_text='"6 months" or "12 months".')
    due_at = serializers.DateTimeField()
    due = serializers.BooleanField()
    outcome = OutcomeSerializer(allow_null=True)


class OutcomeFilter(django_filters.FilterSet):
    requisition = IdFilter(field_name="loop__requisition")
    loop = IdFilter(field_name="loop")

    class Meta:
        model = HireOutcome
        fields = ["months", "still_employed"]


def visible_outcomes(request: Request) -> QuerySet[HireOutcome]:
    return access.visible(request_user(request), HireOutcome).select_related("loop", "recorded_by")


class OutcomeViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[HireOutcome]):
    """Outcomes after the hire: the requisition's staff and superusers; an interviewer's list
    is empty."""

    serializer_class = OutcomeSerializer
    filterset_class = OutcomeFilter
    ordering_fields = ["recorded_at", "id"]
    ordering = ["-recorded_at", "id"]

    def get_queryset(self) -> QuerySet[HireOutcome]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return HireOutcome.objects.none()
        return visible_outcomes(self.request)


class LoopOutcomeViewSet(DocumentedErrors, viewsets.ViewSet):
    """One hired loop's checkpoints: read and recorded by its requisition's staff."""

    def _loop(self, request: Request, loop_id: int) -> Loop:
        user = request_user(request)
        return get_object_or_404(access.loops_staffed(user), pk=loop_id)

    @extend_schema(
        responses={200: CheckpointSerializer(many=True)},
        summary="A hired loop's two checkpoints (6 and 12 months), due dates and outcomes.",
        description=(
            "The requisition's hiring manager and recruiters, and superusers; anyone else "
            "(the panel included) gets 404. Empty for a loop whose decision is not to hire."
        ),
    )
    def list(self, request: Request, loop_id: int) -> Response:
        loop = self._loop(request, loop_id)
        points = outcomes.checkpoints(loop)
        return Response(CheckpointSerializer(points, many=True).data)

    @extend_schema(
        request=OutcomeRecordSerializer,
        responses={201: OutcomeSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Record or revise the outcome at one checkpoint of a hired loop.",
        description=(
            "From the checkpoint's due date (6 or 12 months after the decision to hire) on; "
            "a superuser (HR) may record one earlier. A revision keeps the earlier values in "
            "the audit trail. Bad values are a 400 naming the field; nothing is written."
        ),
    )
    @idempotent
    def create(self, request: Request, loop_id: int) -> Response:
        user = request_user(request)
        loop = self._loop(request, loop_id)
        access.check(user, "record_outcome", loop)
        serializer = OutcomeRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = outcomes.record_outcome(
            loop=loop,
            months=int(data["months"]),
            performance=data["performance"],
            still_employed=data["still_employed"],
            regretted=data["regretted"],
            note=data["note"],
            by=user,
        )
        visible = visible_outcomes(request).get(pk=outcome.pk)
        return Response(OutcomeSerializer(visible).data, status=status.HTTP_201_CREATED)
