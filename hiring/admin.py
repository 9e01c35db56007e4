"""The recruiter's workplace. Every queryset is scoped to what the signed-in user may see
(DESIGN §6); superusers see everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from . import selectors
from .models import (
    AuditEvent,
    Candidate,
    CaseExercise,
    Decision,
    Dimension,
    Interview,
    Loop,
    RedFlag,
    Requisition,
    RoleProfile,
    Signal,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Loopwise", {"fields": ("time_zone",)}),
    )
    list_display = ("username", "email", "first_name", "last_name", "time_zone", "is_staff")


class DimensionInline(admin.TabularInline):
    model = Dimension
    extra = 0
    fields = ("order", "name", "slug", "weight", "must_have", "meets_bar", "excellent")
    prepopulated_fields = {"slug": ("name",)}


class CaseExerciseInline(admin.StackedInline):
    model = CaseExercise
    extra = 0
    fields = (
        "order",
        "title",
        "slug",
        "minutes",
        "brief",
        "deliverables",
        "evaluates",
        "dimensions",
    )
    filter_horizontal = ("dimensions",)


class SignalInline(admin.TabularInline):
    model = Signal
    extra = 0


class RedFlagInline(admin.TabularInline):
    model = RedFlag
    extra = 0


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "level_below", "rating_scale", "bar", "dimension_count")
    list_select_related = ("level_below",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DimensionInline, CaseExerciseInline, SignalInline, RedFlagInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "summary", "level", "level_below")}),
        ("Rating scale", {"fields": ("rating_scale", "scale_labels", "bar")}),
        (
            "Recommendation thresholds",
            {
                "fields": (
                    "strong_hire_margin",
                    "no_hire_margin",
                    "red_flag_no_hire_count",
                    "disagreement_points",
                    "level_below_bar",
                )
            },
        ),
        (
            "Panel rules",
            {"fields": ("colleagues_visible_after_submit", "hiring_manager_may_interview")},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleProfile]:
        return super().get_queryset(request).annotate(_dimensions=Count("dimensions"))

    @admin.display(description="dimensions", ordering="_dimensions")
    def dimension_count(self, obj: Any) -> int:
        return int(obj._dimensions)


@admin.register(Requisition)
class RequisitionAdmin(admin.ModelAdmin):
    list_display = ("title", "profile", "hiring_manager", "status", "open_loops")
    list_filter = ("status", "profile")
    list_select_related = ("profile", "hiring_manager")
    search_fields = ("title",)
    filter_horizontal = ("recruiters",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requisition]:
        user = request.user
        assert isinstance(user, User)
        return selectors.requisitions_for_recruiter(user=user).annotate(
            _open_loops=Count("loops", filter=Q(loops__status__in=Loop.OPEN_STATUSES))
        )

    @admin.display(description="open loops", ordering="_open_loops")
    def open_loops(self, obj: Any) -> int:
        return int(obj._open_loops)


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "current_title", "current_company", "source")
    search_fields = ("full_name", "email")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Candidate]:
        user = request.user
        assert isinstance(user, User)
        qs = super().get_queryset(request)
        if user.is_superuser:
            return qs
        return qs.filter(loops__requisition__recruiters=user).distinct()


class InterviewInline(admin.StackedInline):
    model = Interview
    extra = 0
    fields = (
        ("title", "status"),
        ("starts_at", "ends_at", "time_zone"),
        ("location", "video_url"),
        "interviewers",
        "focus_dimensions",
        "case_exercise",
    )
    filter_horizontal = ("interviewers", "focus_dimensions")


@admin.register(Loop)
class LoopAdmin(admin.ModelAdmin):
    list_display = ("candidate", "requisition", "status", "created_at")
    list_filter = ("status", "requisition")
    list_select_related = ("candidate", "requisition")
    search_fields = ("candidate__full_name", "candidate__email")
    autocomplete_fields = ("candidate",)
    inlines = [InterviewInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Loop]:
        user = request.user
        assert isinstance(user, User)
        if user.is_superuser:
            return super().get_queryset(request)
        return super().get_queryset(request).filter(requisition__recruiters=user)


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("loop", "outcome", "decided_by", "decided_at", "is_current")
    list_select_related = ("loop__candidate", "loop__requisition", "decided_by")
    readonly_fields = ("decided_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        user = request.user
        assert isinstance(user, User)
        qs = super().get_queryset(request)
        if user.is_superuser:
            return qs
        return qs.filter(loop__requisition__recruiters=user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    list_select_related = ("actor",)
    readonly_fields = ("at", "actor", "action", "object_type", "object_id", "before", "after")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


from . import notifications_admin  # noqa: E402, F401
