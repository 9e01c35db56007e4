"""Scorecards, loop summaries and interviewer calibration in the admin are for reading:
interviewers write scorecards through their own pages, summaries and calibration are
computed. Recruiters see those of their own requisitions, with the blind rule (DESIGN §6):
one who sits on a loop's panel sees its colleagues' scorecards and its summary only after
submitting their own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from hiring import access
from hiring.admin.base import ReadOnlyLog, request_user
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    LoopSummary,
    Scorecard,
    ScorecardRevision,
    SummaryRefresh,
    SummaryRefreshBatch,
)


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
        visible = access.visible(request_user(request), Scorecard)
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible.values("pk"), status=Scorecard.Status.SUBMITTED)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A scorecard is history (and audited): it changes only through an amendment.
        return False


@admin.register(DimensionRating)
class DimensionRatingAdmin(admin.ModelAdmin):
    list_display = ("revision", "dimension", "rating", "not_assessed")
    list_select_related = ("revision__scorecard__interviewer", "dimension")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DimensionRating]:
        visible = access.visible(request_user(request), DimensionRating)
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible.values("pk"), revision__submitted_at__isnull=False)
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.administers(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoopSummary)
class LoopSummaryAdmin(ReadOnlyLog, admin.ModelAdmin):
    """Every loop's calibrated summary at a glance; the full page, with reasons and charts,
    is the hiring manager's (``View on site``)."""

    list_display = (
        "candidate",
        "requisition",
        "recommendation",
        "needs_debrief",
        "calibrated_score",
        "scorecards",
        "computed_at",
    )
    list_filter = ("recommendation", "needs_debrief")
    list_select_related = ("loop__candidate", "loop__requisition")
    search_fields = ("loop__candidate__full_name",)
    fields = readonly_fields = (
        "loop",
        "recommendation",
        "needs_debrief",
        "level_suggestion",
        "scorecards_in",
        "scorecards_expected",
        "raw_score",
        "calibrated_score",
        "calibrated_low",
        "calibrated_high",
        "computed_at",
        "model_version",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoopSummary]:
        visible = access.visible(request_user(request), LoopSummary)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def get_view_on_site_url(self, obj: LoopSummary | None = None) -> str | None:
        return reverse("scorecards:manager_loop", args=[obj.loop_id]) if obj else None

    @admin.display(description="candidate", ordering="loop__candidate__full_name")
    def candidate(self, obj: LoopSummary) -> str:
        return str(obj.loop.candidate)

    @admin.display(description="requisition", ordering="loop__requisition__title")
    def requisition(self, obj: LoopSummary) -> str:
        return str(obj.loop.requisition)

    @admin.display(description="scorecards in")
    def scorecards(self, obj: LoopSummary) -> str:
        return f"{obj.scorecards_in}/{obj.scorecards_expected}"


@admin.register(InterviewerCalibration)
class InterviewerCalibrationAdmin(ReadOnlyLog, admin.ModelAdmin):
    """Each interviewer's fitted leniency (positive = lenient), for the interviewers on the
    loops of one's own requisitions."""

    list_display = ("interviewer", "leniency", "leniency_se", "ratings")
    list_select_related = ("interviewer",)
    ordering = ("-leniency",)
    search_fields = ("interviewer__email", "interviewer__last_name")
    readonly_fields = ("interviewer", "leniency", "leniency_se", "ratings", "run")

    def get_queryset(self, request: HttpRequest) -> QuerySet[InterviewerCalibration]:
        visible = access.visible(request_user(request), InterviewerCalibration)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))


class SummaryRefreshBatchInline(admin.TabularInline):
    model = SummaryRefreshBatch
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "number",
        "first_loop_id",
        "last_loop_id",
        "done_at",
        "seconds",
        "loops_seen",
        "changed",
        "unchanged",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SummaryRefresh)
class SummaryRefreshAdmin(ReadOnlyLog, admin.ModelAdmin):
    """The nightly refreshes of the open loops' summaries: how long each took, in how many
    batches, and how many summaries changed. For administrators (``hiring.access``: a model
    it does not list is superusers' only)."""

    list_display = (
        "started_at",
        "finished_at",
        "duration",
        "batches",
        "loops_seen",
        "changed",
        "unchanged",
        "run",
    )
    list_select_related = ("run",)
    date_hierarchy = "started_at"
    fields = readonly_fields = (
        "started_at",
        "finished_at",
        "duration",
        "run",
        "batch_size",
        "batches_total",
        "batches_done",
        "loops_seen",
        "changed",
        "unchanged",
    )
    inlines = [SummaryRefreshBatchInline]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.administers(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.administers(request.user)

    @admin.display(description="batches done")
    def batches(self, obj: SummaryRefresh) -> str:
        return f"{obj.batches_done}/{obj.batches_total}"

    @admin.display(description="duration")
    def duration(self, obj: SummaryRefresh) -> str:
        return "running" if obj.seconds is None else f"{obj.seconds:.1f} s"
