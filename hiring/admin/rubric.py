"""Role profiles and their rubric in the admin: read by recruiters, written by administrators
(DESIGN §6)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from hiring import access
from hiring.admin.base import PolicyAdmin, request_user
from hiring.admin.plans import ProfilePlanInline
from hiring.models import (
    CaseExercise,
    Dimension,
    RedFlag,
    RoleProfile,
    Signal,
)


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
class RoleProfileAdmin(PolicyAdmin):
    """The rubric: read by recruiters, written by administrators only (DESIGN §6)."""

    list_display = ("name", "level", "level_below", "rating_scale", "bar", "dimension_count")
    list_select_related = ("level_below",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = [DimensionInline, CaseExerciseInline, SignalInline, RedFlagInline, ProfilePlanInline]
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

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A plan's slots pick the profile's dimensions: a profile is saved before its plan.
        return [i for i in self.inlines if obj is not None or i is not ProfilePlanInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and access.administers(request_user(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and access.administers(request_user(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and access.administers(
            request_user(request)
        )

    @admin.display(description="dimensions", ordering="_dimensions")
    def dimension_count(self, obj: Any) -> int:
        return int(obj._dimensions)
