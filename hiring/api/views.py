"""Read-only API viewsets for the hiring domain. Every queryset comes from
``hiring.api.selectors``, so a list shows only what the caller may see and another's object
answers 404 (DESIGN §6)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework import viewsets

from hiring.models import (
    Candidate,
    CaseExercise,
    Decision,
    Interview,
    Loop,
    Requisition,
    RoleProfile,
)

from . import selectors
from .filters import filterset_for
from .permissions import request_user
from .schema import DocumentedErrors
from .serializers import (
    CandidateSerializer,
    DecisionSerializer,
    InterviewSerializer,
    LoopSerializer,
    RequisitionSerializer,
    RoleProfileSerializer,
)


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


class CandidateViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Candidate]):
    serializer_class = CandidateSerializer
    filterset_class = filterset_for(Candidate, ids=["loops__requisition"])
    ordering_fields = ["full_name", "created_at", "id"]
    ordering = ["full_name", "id"]

    def get_queryset(self) -> QuerySet[Candidate]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Candidate.objects.none()
        return selectors.candidates_visible_to(user=request_user(self.request))


class LoopViewSet(DocumentedErrors, viewsets.ReadOnlyModelViewSet[Loop]):
    serializer_class = LoopSerializer
    filterset_class = filterset_for(Loop, ids=["requisition", "candidate"], fields=["status"])
    ordering_fields = ["created_at", "status", "id"]
    ordering = ["-created_at", "id"]

    def get_queryset(self) -> QuerySet[Loop]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Loop.objects.none()
        return selectors.loops_visible_to(user=request_user(self.request))


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
