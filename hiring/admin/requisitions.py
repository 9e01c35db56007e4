"""Requisitions in the admin: a recruiter edits their own requisitions' title, status and
reminder settings; staffing (hiring manager, recruiters, role profile) is an administrator's."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from hiring import access
from hiring.admin.base import PolicyAdmin, request_user
from hiring.admin.plans import RequisitionPlanInline
from hiring.models import (
    Loop,
    Requisition,
)


@admin.register(Requisition)
class RequisitionAdmin(PolicyAdmin):
    """A recruiter edits their requisitions' title, status and reminder settings; who staffs
    it (hiring manager, recruiters) and its role profile are an administrator's."""

    list_display = ("title", "profile", "hiring_manager", "status", "open_loops")
    list_filter = ("status", "profile")
    list_select_related = ("profile", "hiring_manager")
    search_fields = ("title",)
    # Picked by typing (an administrator's job): the page carries the staff, not every user.
    autocomplete_fields = ("hiring_manager", "recruiters")
    # Its own interview plan, when the role profile's does not fit (issue 17).
    inlines = [RequisitionPlanInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requisition]:
        recruited = access.requisitions_recruited(request_user(request))
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=recruited.values("pk"))
            .annotate(_open_loops=Count("loops", filter=Q(loops__status__in=Loop.OPEN_STATUSES)))
        )

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A plan's slots pick the profile's rubric: a requisition is saved before its plan.
        return list(self.inlines) if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new requisition is staffed as it is created: an administrator's job.
        return super().has_add_permission(request) and access.administers(request_user(request))

    @admin.display(description="open loops", ordering="_open_loops")
    def open_loops(self, obj: Any) -> int:
        return int(obj._open_loops)
