"""Admin for webhook subscriptions and their delivery log.

Superusers only: a subscription decides where hiring events leave the building, and its
secret is shown here. The Recruiters group has no webhook permissions, and these admins ask
for ``is_superuser`` whatever model permissions a staff member was given."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from hiring import access
from hiring.admin.base import ReadOnlyLog
from hiring.delivery import webhooks
from hiring.models import User, WebhookDelivery, WebhookSubscription
from hiring.models.delivery import WEBHOOK_EVENTS, new_webhook_secret


def _superuser(request: HttpRequest) -> bool:
    """Webhooks are an administrator's (``hiring.access``: visible to superusers only)."""
    return access.administers(request.user)


class SuperuserOnly(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _superuser(request)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text="Where events are POSTed: https (plain http only where WEBHOOK_ALLOW_HTTP).",
    )
    events = forms.MultipleChoiceField(
        choices=WEBHOOK_EVENTS,
        widget=forms.CheckboxSelectMultiple,
        help_text="The events sent to this URL.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "events", "is_active")

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"])
        refusal = webhooks.url_refusal(url) or webhooks.address_refusal(url)
        if refusal is not None:
            raise forms.ValidationError(refusal)
        return url

    def clean_events(self) -> list[str]:
        chosen = set(self.cleaned_data["events"])
        return [name for name, _ in WEBHOOK_EVENTS if name in chosen]  # stable order


def _pretty(value: Any) -> SafeString:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SuperuserOnly):
    form = WebhookSubscriptionForm
    list_display = (
        "name",
        "url",
        "event_list",
        "is_active",
        "delivered_count",
        "pending_count",
        "failed_count",
    )
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    actions = ["send_test_event", "rotate_secret"]
    readonly_fields = ("secret", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "url", "events", "is_active")}),
        (
            "Signing",
            {
                "fields": ("secret",),
                "description": (
                    "Every delivery carries Loopwise-Signature: v1=HMAC-SHA256(secret, "
                    '"{Loopwise-Timestamp}.{body}"). Use the "Rotate secret" action to '
                    "replace it."
                ),
            },
        ),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        status = WebhookDelivery.Status
        return (
            super()
            .get_queryset(request)
            .annotate(
                _delivered=Count("deliveries", filter=Q(deliveries__status=status.DELIVERED)),
                _pending=Count(
                    "deliveries",
                    filter=Q(deliveries__status__in=[status.PENDING, status.SENDING]),
                ),
                _failed=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
            )
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and isinstance(request.user, User):
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="events")
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events) or "(none)"

    @admin.display(description="delivered", ordering="_delivered")
    def delivered_count(self, obj: Any) -> int:
        return int(obj._delivered)

    @admin.display(description="pending", ordering="_pending")
    def pending_count(self, obj: Any) -> int:
        return int(obj._pending)

    @admin.display(description="failed", ordering="_failed")
    def failed_count(self, obj: Any) -> int:
        return int(obj._failed)

    @admin.action(description="Send test event", permissions=["change"])
    def send_test_event(
        self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]
    ) -> None:
        sent, paused = 0, []
        for subscription in queryset:
            if subscription.is_active:
                webhooks.send_ping(subscription)
                sent += 1
            else:
                paused.append(subscription.name)
        if sent:
            self.message_user(
                request, f"A ping is on its way to {sent} subscription(s): see the delivery log."
            )
        if paused:
            self.message_user(
                request,
                f"Paused, so nothing was sent: {', '.join(paused)}. Activate it first.",
                level=messages.WARNING,
            )

    @admin.action(description="Rotate secret", permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        count = 0
        for subscription in queryset:
            subscription.secret = new_webhook_secret()
            subscription.save(update_fields=["secret", "updated_at"])
            count += 1
        self.message_user(
            request,
            f"New secret for {count} subscription(s): the next attempts are signed with it, "
            "so give it to the receiver now.",
            level=messages.WARNING,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLog, SuperuserOnly):
    """The delivery log: read-only, but for "Retry now"."""

    list_display = (
        "topic",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "created_at",
        "error",
    )
    list_filter = ("status", "topic", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("event_id", "topic")
    date_hierarchy = "created_at"
    actions = ["retry"]
    fields = (
        "subscription",
        "topic",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "delivered_at",
        "response_status",
        "last_error",
        "created_at",
        "body_pretty",
        "attempt_log_pretty",
    )
    readonly_fields = fields

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return _superuser(request)

    @admin.display(description="last error")
    def error(self, obj: WebhookDelivery) -> str:
        return Truncator(obj.last_error).chars(80)

    @admin.display(description="body")
    def body_pretty(self, obj: WebhookDelivery) -> SafeString:
        try:
            return _pretty(json.loads(obj.body))
        except ValueError:
            return format_html("<pre>{}</pre>", obj.body)

    @admin.display(description="attempts log")
    def attempt_log_pretty(self, obj: WebhookDelivery) -> SafeString:
        return _pretty(obj.attempt_log)

    @admin.action(description="Retry now", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        retried = webhooks.retry_now(queryset)
        skipped = queryset.count() - retried
        if retried:
            self.message_user(request, f"{retried} delivery(ies) will be sent again shortly.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} delivery(ies) were already delivered, being sent, or due now.",
                level=messages.WARNING,
            )
