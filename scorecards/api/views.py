"""Scorecards, loop summaries and interviewer calibration over the API. Reads go through the
blind-rule selectors; writes go through ``scorecards.services``."""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiring import access
from hiring.api import idempotency
from hiring.api import selectors as hiring_selectors
from hiring.api.filters import filterset_for
from hiring.api.idempotency import idempotent
from hiring.api.parsers import JSONParser
from hiring.api.permissions import request_user
from hiring.api.schema import DocumentedErrors
from hiring.api.serializers import DecisionRecordSerializer, DecisionSerializer
from hiring.decisions import decision_record
from hiring.models import Interview, Loop, User
from scorecards import selectors as scorecard_selectors
from scorecards import services
from scorecards.api import selectors
from scorecards.api.serializers import (
    InterviewerCalibrationSerializer,
    LoopSummarySerializer,
    ScorecardContentSerializer,
    ScorecardSerializer,
    ScorecardSubmitSerializer,
)
from scorecards.calibration.summaries import loop_summary_read
from scorecards.models import InterviewerCalibration, Scorecard


class ScorecardViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Scorecard]):
    """Scorecards the caller may read: their own, colleagues' once theirs is submitted
    (blind rule), and every submitted one of their own requisitions."""

    serializer_class = ScorecardSerializer
    filterset_class = filterset_for(
        Scorecard, ids=["interview", "interview__loop", "interviewer"], fields=["status"]
    )
    ordering_fields = ["last_submitted_at", "created_at", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Scorecard]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Scorecard.objects.none()
        return selectors.api_scorecards_visible_to(user=request_user(self.request))


class _OwnScorecardWrite(DocumentedErrors, APIView):
    parser_classes = [JSONParser]

    def _interview(self, request: Request, pk: int) -> Interview:
        """The interview, if the caller sits on its panel (else 404)."""
        user = request_user(request)
        return scorecard_selectors.interview_get_for_interviewer(user=user, pk=pk)

    def _respond(self, request: Request, own: services.OwnScorecard) -> Response:
        """The caller's own scorecard as the write left it. Its author may always read it,
        so it is not read again through the blind rule: only its revisions' ratings are
        read, those the write has not read already."""
        prefetch_related_objects(own.revisions, "ratings")
        context = {"request": request, "revisions": own.revisions, "held": own.held}
        return Response(
            ScorecardSerializer(own.scorecard, context=context).data, status=status.HTTP_200_OK
        )


class ScorecardDraftView(_OwnScorecardWrite):
    @extend_schema(
        request=ScorecardContentSerializer,
        responses={200: ScorecardSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Save the caller's draft scorecard for an interview (partial is fine).",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        interview = self._interview(request, pk)
        serializer = ScorecardContentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        own = services.scorecard_save_own_draft(
            interview=interview, content=serializer.to_content(), by=request_user(request)
        )
        return self._respond(request, own)


class ScorecardSubmitView(_OwnScorecardWrite):
    @extend_schema(
        request=ScorecardSubmitSerializer,
        responses={200: ScorecardSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Submit the caller's scorecard for an interview, or amend it with a reason.",
        description=(
            "An amendment that repeats the current revision word for word, with the same "
            "reason (a retried request), is answered with that revision."
        ),
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        interview = self._interview(request, pk)
        serializer = ScorecardSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        own = services.scorecard_submit_own(
            interview=interview,
            content=serializer.to_content(),
            by=request_user(request),
            amend=serializer.validated_data["amend"],
        )
        return self._respond(request, own)


SUMMARY_PENDING = inline_serializer(
    name="LoopSummaryPending",
    fields={
        "loop": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["pending"]),
        "detail": serializers.CharField(),
    },
)


class LoopSummaryView(DocumentedErrors, APIView):
    @extend_schema(
        responses={
            200: LoopSummarySerializer,
            202: OpenApiResponse(
                SUMMARY_PENDING,
                description="No summary yet: one is queued. Ask again after `Retry-After` seconds.",
            ),
        },
        summary="The loop's calibrated summary (recruiters and hiring managers).",
        description=(
            "The stored summary, as of `computed_at`. Reading never computes: when scorecards "
            "or the calibration changed since, `stale` is true and a recompute is queued; "
            'when no summary exists yet the answer is 202 with `status: "pending"` (and a '
            "`Retry-After`), and one is queued. A recruiter or hiring manager who sits on the "
            "loop's panel gets 403 until their own scorecard is in (the blind rule)."
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        loop = selectors.loop_get_for_summary(user=user, pk=pk)
        _refuse_while_owing(user, loop)
        stored = loop_summary_read(loop_id=loop.pk)
        if stored.summary is None:
            body = {
                "loop": loop.pk,
                "status": "pending",
                "detail": "The summary is being computed; ask again in a moment.",
            }
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": "5"})
        return Response(LoopSummarySerializer(stored.summary, context={"stale": stored.stale}).data)


class InterviewerCalibrationViewSet(
    DocumentedErrors, viewsets.ReadOnlyModelViewSet[InterviewerCalibration]
):
    """Interviewers' fitted leniency, for recruiters and hiring managers of their
    requisitions; a plain interviewer gets an empty list."""

    serializer_class = InterviewerCalibrationSerializer
    filterset_class = filterset_for(InterviewerCalibration, ids=["interviewer"])
    ordering_fields = ["leniency", "ratings", "interviewer"]
    ordering = ["interviewer"]
    lookup_field = "interviewer"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[InterviewerCalibration]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return InterviewerCalibration.objects.none()
        return selectors.calibrations_visible_to(user=request_user(self.request))


def _refuse_while_owing(user: User, loop: Loop) -> None:
    """The blind rule on summaries: whoever sits on the loop's panel sees its scores only
    once their own scorecard is in (403 with the reason)."""
    access.check(user, "read_feedback", loop)


class LoopDecisionView(DocumentedErrors, APIView):
    @extend_schema(
        request=DecisionRecordSerializer,
        responses={201: DecisionSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Record the hiring decision on a loop (its requisition's hiring manager).",
        description=(
            "The previous decision, if any, stays in the history (`is_current` false). "
            "Whoever else can read the loop gets 403 with the reason; anyone else 404."
        ),
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        loop = get_object_or_404(hiring_selectors.loops_visible_to(user=user), pk=pk)
        serializer = DecisionRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # the service decides who may (403 with the reason) and when
        decision = decision_record(
            loop=loop,
            by=user,
            outcome=serializer.validated_data["outcome"],
            rationale=serializer.validated_data["rationale"],
            level_offered=serializer.validated_data.get("level_offered"),
            debrief_outcome=serializer.validated_data.get("debrief_outcome", ""),
            attendees=list(serializer.validated_data.get("attendees", [])),
        )
        visible = hiring_selectors.decisions_visible_to(user=user).get(pk=decision.pk)
        return Response(DecisionSerializer(visible).data, status=status.HTTP_201_CREATED)
