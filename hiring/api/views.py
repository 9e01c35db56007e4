"""Read-only API viewsets for the hiring domain. Every queryset comes from
``hiring.api.selectors``, so a list shows only what the caller may see and another's object
answers 404 (DESIGN §6)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from hiring import access, debriefs, privacy
from hiring.api import debriefs as debrief_api
from hiring.api import idempotency, selectors
from hiring.api.filters import filterset_for
from hiring.api.idempotency import idempotent
from hiring.api.permissions import request_user
from hiring.api.schema import DocumentedErrors
from hiring.api.serializers import (
    CandidateEraseSerializer,
    CandidateSerializer,
    DecisionSerializer,
    InterviewSerializer,
    LoopSerializer,
    PlanSerializer,
    RequisitionSerializer,
    RoleProfileSerializer,
)
from hiring.models import (
    Candidate,
    CaseExercise,
    Decision,
    Interview,
    Loop,
    Requisition,
    RoleProfile,
)
from hiring.scheduling import plans


class RoleProfileViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[RoleProfile]):
    serializer_class = RoleProfileSerializer
    filterset_fields = ["slug", "rating_scale"]
    ordering_fields = ["name", "level", "id"]
    ordering = ["-level", "name"]

    def get_queryset(self) -> QuerySet[RoleProfile]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return RoleProfile.objects.none()
        return selectors.role_profiles_visible_to(user=request_user(self.request)).prefetch_related(
            "dimensions",
            Prefetch(
                "case_exercises", queryset=CaseExercise.objects.prefetch_related("dimensions")
            ),
        )


class RequisitionViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Requisition]):
    serializer_class = RequisitionSerializer
    filterset_class = filterset_for(Requisition, ids=["profile"], fields=["status"])
    ordering_fields = ["title", "created_at", "id"]
    ordering = ["title"]

    def get_queryset(self) -> QuerySet[Requisition]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Requisition.objects.none()
        return selectors.requisitions_visible_to(user=request_user(self.request))

    @extend_schema(
        responses={200: PlanSerializer},
        summary="The interview plan the requisition's loops follow.",
        description=(
            "The requisition's own plan when it has one, else its role profile's: the slots "
            "in order (duration, focus dimensions, case exercise, eligible interviewers, "
            "whether the hiring manager must be on it, buffers, order), and which of the "
            "profile's dimensions the plan covers. Readable by whoever may read the "
            "requisition."
        ),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def plan(self, request: Request, pk: str | None = None) -> Response:
        plan = plans.plan_for(self.get_object())
        coverage = plans.plan_coverage(plan)
        body = {
            "owner": plan.source,
            "slots": plan.slots,
            "covered_dimensions": [dimension.slug for dimension in coverage.covered],
            "missing_must_haves": [dimension.slug for dimension in coverage.must_haves_missing],
        }
        return Response(PlanSerializer(body).data)


class CandidateViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Candidate]):
    serializer_class = CandidateSerializer
    filterset_class = filterset_for(Candidate, ids=["loops__requisition"])
    ordering_fields = ["full_name", "created_at", "id"]
    ordering = ["full_name", "id"]

    def get_queryset(self) -> QuerySet[Candidate]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Candidate.objects.none()
        return selectors.candidates_visible_to(user=request_user(self.request))

    # Personal data (DESIGN §7): the same services as the admin's buttons, for an ATS or
    # HRIS that relays a candidate's request. Whoever may read the candidate but is not one
    # of their recruiters gets 403 with the reason; anyone else 404.

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything Loopwise holds about the candidate, as JSON (recruiters).",
        description=(
            "The candidate's fields, loops, interviews, submitted scorecards, decisions, "
            "audit trail and the e-mails about them. Each export is itself audited."
        ),
    )
    @action(detail=True, methods=["get"], url_path="personal-data", filterset_class=None)
    def personal_data(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        return Response(privacy.candidate_export(candidate=candidate, by=request_user(request)))

    @extend_schema(
        request=CandidateEraseSerializer,
        responses={200: CandidateSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Erase the candidate's personal data at their request (recruiters).",
        description=(
            "Anonymises the candidate at once, history included; ratings and decisions stay "
            "for calibration. Erasing an erased candidate changes nothing."
        ),
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    @idempotent
    def erase(self, request: Request, pk: str | None = None) -> Response:
        candidate = self.get_object()
        serializer = CandidateEraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        privacy.candidate_erase(
            candidate=candidate,
            by=request_user(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(CandidateSerializer(self.get_queryset().get(pk=candidate.pk)).data)


class LoopViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Loop]):
    serializer_class = LoopSerializer
    filterset_class = filterset_for(Loop, ids=["requisition", "candidate"], fields=["status"])
    ordering_fields = ["created_at", "status", "id"]
    ordering = ["-created_at", "id"]

    def get_queryset(self) -> QuerySet[Loop]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Loop.objects.none()
        return selectors.loops_visible_to(user=request_user(self.request))

    # The debrief (issue 18): the meeting for whoever sees the loop; the discussion only for
    # whoever may read its summary (403 with the reason for a panelist who owes a scorecard).

    @extend_schema(
        responses={200: debrief_api.LoopDebriefSerializer},
        summary="The loop's scheduled debrief meeting and who is invited.",
        description=(
            "`debrief` is null while none is scheduled. Readable by the loop's staff and its "
            "panel (who are invited to it)."
        ),
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def debrief(self, request: Request, pk: str | None = None) -> Response:
        loop = self.get_object()
        return Response(debrief_api.LoopDebriefSerializer(debrief_api.loop_debrief(loop)).data)

    @extend_schema(
        methods=["GET"],
        responses={200: debrief_api.CommentSerializer(many=True)},
        summary="The loop's debrief discussion, oldest first (who may read the summary).",
        description=(
            "Recruiters and the hiring manager of the requisition, once any scorecard they "
            "owe on the loop is in (the blind rule): anyone else who sees the loop gets 403."
        ),
    )
    @extend_schema(
        methods=["POST"],
        request=debrief_api.CommentSerializer,
        responses={201: debrief_api.CommentSerializer, 422: idempotency.KEY_REUSED_RESPONSE},
        parameters=[idempotency.PARAMETER],
        summary="Add a comment to the loop's debrief discussion.",
        description=(
            "Mentions (`@username`) e-mail the person; mentioning someone who may not read "
            "the summary is a 400 that names them, and nothing is posted."
        ),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        filter_backends=[],
        pagination_class=None,  # one loop's thread: people typing, read whole
    )
    @idempotent
    def comments(self, request: Request, pk: str | None = None) -> Response:
        user = request_user(request)
        loop = self.get_object()
        access.check(user, "discuss", loop)
        if request.method == "POST":
            serializer = debrief_api.CommentSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            comment = debriefs.comment_post(
                loop=loop, body=serializer.validated_data["body"], by=user
            )
            return Response(debrief_api.CommentSerializer(comment).data, status=201)
        rows = debrief_api.thread(loop=loop, user=user)
        return Response(debrief_api.CommentSerializer(rows, many=True).data)


class InterviewViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Interview]):
    serializer_class = InterviewSerializer
    filterset_class = filterset_for(Interview, ids=["loop"], fields=["status"])
    ordering_fields = ["starts_at", "ends_at", "id"]
    ordering = ["starts_at", "id"]

    def get_queryset(self) -> QuerySet[Interview]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Interview.objects.none()
        return selectors.interviews_visible_to(user=request_user(self.request))


class DecisionViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Decision]):
    serializer_class = DecisionSerializer
    filterset_class = filterset_for(Decision, ids=["loop"], fields=["outcome", "is_current"])
    ordering_fields = ["decided_at", "id"]
    ordering = ["-decided_at", "id"]

    def get_queryset(self) -> QuerySet[Decision]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Decision.objects.none()
        return selectors.decisions_visible_to(user=request_user(self.request))
