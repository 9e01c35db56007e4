"""Notifications in the admin: what went out, what is waiting, what failed and why.

Read-only but for one action, "Re-send", which schedules a deliberate new send of the same
message (the next ``resend`` number under its key). Recruiters see and re-send the
notifications of their own requisitions, and the ones addressed to them; superusers all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from hiring import access
from hiring.admin.base import ReadOnlyLog, request_user
from hiring.delivery import notifications
from hiring.errors import Refused
from hiring.models import Notification, User
from hiring.roles import RECRUITERS_GROUP


def _is_recruiter(request: HttpRequest) -> bool:
    """Asked several times per page: answered once per request."""
    cached = getattr(request, "_loopwise_is_recruiter", None)
    if cached is None:
        user = request.user
        cached = bool(
            isinstance(user, User)  # the admin's login page asks an anonymous visitor too
            and user.is_active
            and user.is_staff
            and user.groups.filter(name=RECRUITERS_GROUP).exists()
        )
        setattr(request, "_loopwise_is_recruiter", cached)  # noqa: B010
    return cached


class OpenFilter(admin.SimpleListFilter):
    """What needs attention: waiting, being sent, or failed."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("open", "Needs attention (pending, sending, failed)"),
            ("overdue", "Due but not sent yet"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]) -> Any:
        if self.value() == "overdue":
            return queryset.filter(
                status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
                due_at__lt=timezone.now(),
            )
        if self.value() == "open":
            return queryset.filter(
                status__in=[
                    Notification.Status.PENDING,
                    Notification.Status.SENDING,
                    Notification.Status.FAILED,
                ]
            )
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyLog, admin.ModelAdmin):
    list_display = (
        "recipient_email",
        "reason",
        "about",
        "due_at",
        "sent_at",
        "attempts",
        "status",
        "error",
    )
    list_filter = (
        OpenFilter,
        "status",
        "reason",
        ("requisition", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("content_type", "requisition")
    search_fields = ("recipient_email", "subject")
    date_hierarchy = "due_at"
    ordering = ("-due_at", "-id")
    actions = ["resend"]
    readonly_fields = (
        "reason",
        "recipient",
        "recipient_email",
        "content_type",
        "object_id",
        "sequence",
        "resend",
        "requisition",
        "status",
        "due_at",
        "claimed_at",
        "sent_at",
        "attempts",
        "subject",
        "message_id",
        "last_error",
        "created_by",
        "created_at",
    )
    fieldsets = (
        (None, {"fields": ("reason", "recipient", "recipient_email", "subject", "requisition")}),
        ("About", {"fields": ("content_type", "object_id", "sequence", "resend")}),
        (
            "Delivery",
            {
                "fields": (
                    "status",
                    "due_at",
                    "claimed_at",
                    "sent_at",
                    "attempts",
                    "message_id",
                    "last_error",
                    "created_by",
                    "created_at",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        visible = access.visible(request_user(request), Notification)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    # Recruiters may look (their rows only, see get_queryset) and re-send; nobody edits.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            access.administers(request.user)
            or _is_recruiter(request)
            or super().has_view_permission(request, obj)
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description="about")
    def about(self, obj: Notification) -> str:
        suffix = f" #{obj.sequence}" if obj.sequence else ""
        again = f" (re-send {obj.resend})" if obj.resend else ""
        return f"{obj.content_type.model} {obj.object_id}{suffix}{again}"

    @admin.display(description="last error")
    def error(self, obj: Notification) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.action(description="Re-send the selected notifications", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        user = request_user(request)
        done, refused = 0, 0
        for notification in queryset:
            try:
                notifications.notification_resend(notification=notification, by=user)
            except Refused:
                refused += 1
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} notification(s) will be sent again shortly.")
        if refused:
            self.message_user(
                request,
                f"{refused} notification(s) belong to requisitions you do not recruit for.",
                level=messages.WARNING,
            )
