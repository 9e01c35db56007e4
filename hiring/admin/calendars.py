"""Interviewers' connected calendars in the admin (issue 17): whose calendar is ok, unknown or
failing since when, and when each was last read, so a recruiter knows why someone is not
proposed as free, and a "Sync now" action to read it again at once.

Everything goes through ``hiring.access``: superusers see every calendar; a recruiter sees
the calendars of the people they schedule (their requisitions' pools, panels and trainees),
and of those only the state, never the server, username or error; the address and password
are shown to nobody (they are encrypted, and this page has no field for them). Calendars are
connected and disconnected by their owners on ``/interviews/calendar/``, never added here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from hiring import access
from hiring.admin.base import PolicyAdmin, request_user
from hiring.models import CalendarSource
from hiring.scheduling import busy, writeback

# Shown in this order, less whatever the policy hides from the user.
FIELDS = (
    "owner",
    "name",
    "kind",
    "host",
    "username",
    "write_back",
    "state",
    "last_synced_at",
    "synced_from",
    "synced_until",
    "next_sync_at",
    "failures",
    "failing_since",
    "last_error",
)


class CalendarSourceForm(forms.ModelForm):
    class Meta:
        model = CalendarSource
        fields = ("name", "write_back")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("write_back") and self.instance.kind != CalendarSource.Kind.CALDAV:
            self.add_error("write_back", busy.WRITE_BACK_CALDAV_ONLY)
        return cleaned


@admin.register(CalendarSource)
class CalendarSourceAdmin(PolicyAdmin, admin.ModelAdmin):
    form = CalendarSourceForm
    list_display = (
        "owner",
        "__str__",
        "kind",
        "state",
        "last_synced_at",
        "write_back",
        "last_error",
    )
    list_filter = ("kind", "write_back")
    list_select_related = ("owner",)
    search_fields = ("owner__first_name", "owner__last_name", "owner__email", "name")
    ordering = ("owner__last_name", "owner__first_name", "pk")
    actions = ["sync_now"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        hidden = access.hidden_fields(request_user(request), CalendarSource)
        return [name for name in FIELDS if name not in hidden]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "state")

    def get_search_fields(self, request: HttpRequest) -> Any:
        return self.search_fields

    def get_list_display(self, request: HttpRequest) -> Any:
        hidden = access.hidden_fields(request_user(request), CalendarSource)
        return [name for name in self.list_display if name not in hidden]

    @admin.display(description="state")
    def state(self, source: CalendarSource) -> str:
        """Ok, unknown or failing since when, and when last synced: never the error, which
        superusers read in its own column."""
        return busy.source_health(source).words

    def save_model(
        self, request: HttpRequest, obj: CalendarSource, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if "write_back" in form.changed_data:
            writeback.queue_upcoming(obj)  # turned on: the interviews already invited too

    # Owners connect calendars (and type their address) on their own page.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[CalendarSource]) -> None:
        user = request_user(request)
        allowed = [source for source in queryset if access.can(user, "sync", source)]
        count = busy.calendar_sync_soon(sources=allowed)
        if len(allowed) < queryset.count():
            messages.error(request, "Some calendars are not yours to sync: left as they were.")
        messages.success(
            request, f"{count} calendar{'s' if count != 1 else ''} will be read within a minute."
        )
