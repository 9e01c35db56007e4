"""Scorecards in the admin are for reading: interviewers write them through their own
pages. Recruiters see submitted scorecards of their requisitions only (DESIGN §6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hiring.models import User

from .models import DimensionRating, Scorecard, ScorecardRevision


class RevisionInline(admin.StackedInline):
    model = ScorecardRevision
    extra = 0
    can_delete = False
    fields = (
        "number",
        "submitted_at",
        "is_current",
        "overall_recommendation",
        "key_takeaways",
        "amendment_reason",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScorecardRevision]:
        return super().get_queryset(request).filter(submitted_at__isnull=False)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = ("interview", "interviewer", "status", "first_submitted_at")
    list_filter = ("status",)
    list_select_related = ("interview__loop__candidate", "interviewer")
    search_fields = ("interview__loop__candidate__full_name", "interviewer__email")
    readonly_fields = (
        "interview",
        "interviewer",
        "status",
        "first_submitted_at",
        "last_submitted_at",
    )
    inlines = [RevisionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scorecard]:
        user = request.user
        assert isinstance(user, User)
        qs = super().get_queryset(request)
        if user.is_superuser:
            return qs
        return qs.filter(
            interview__loop__requisition__recruiters=user, status=Scorecard.Status.SUBMITTED
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


@admin.register(DimensionRating)
class DimensionRatingAdmin(admin.ModelAdmin):
    list_display = ("revision", "dimension", "rating", "not_assessed")
    list_select_related = ("revision__scorecard__interviewer", "dimension")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DimensionRating]:
        user = request.user
        assert isinstance(user, User)
        qs = super().get_queryset(request).filter(revision__submitted_at__isnull=False)
        if user.is_superuser:
            return qs
        return qs.filter(revision__scorecard__interview__loop__requisition__recruiters=user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
