"""What integrations leave in the database: webhook subscriptions with their delivery log, and
the idempotency keys that make a retried API write return the first answer.

Imported by ``hiring.models``; kept apart so the domain models stay readable in one sitting."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

WEBHOOK_EVENTS = [
    ("scorecard.submitted", "A scorecard was submitted or amended"),
    ("loop.ready_for_debrief", "A loop has every scorecard in"),
    ("loop.recommendation_changed", "A loop's calibrated recommendation changed"),
    ("decision.recorded", "A hiring decision was recorded"),
]


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """An integration that wants to hear about events, at a URL, signed with its secret."""

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500, help_text="Where events are POSTed.")
    events = models.JSONField(
        default=list, help_text="The event types sent to this URL (see WEBHOOK_EVENTS)."
    )
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Signs every delivery (HMAC-SHA256). Share it with the receiver only.",
    )
    is_active = models.BooleanField(
        default=True, help_text="A paused subscription gets no new deliveries."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription: the log entry and the unit of retry.

    ``event_id`` is derived from the outbox event, so fanning an event out twice makes one
    delivery per subscription (the unique key), and it is sent as the ``Loopwise-Delivery``
    header so a receiver can drop the rare repeat after a worker crash."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4)
    topic = models.CharField(max_length=80)
    body = models.TextField(help_text="The exact JSON sent, identical on every attempt.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    attempt_log = models.JSONField(
        default=list, help_text="Each attempt: when, HTTP status or error, milliseconds."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="webhook_delivery_sending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} to {self.subscription}"


class IdempotencyRecord(models.Model):
    """The first successful answer to a POST sent with an ``Idempotency-Key`` header, replayed
    to a retry of the same request by the same user (kept ``API_IDEMPOTENCY_HOURS``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "method", "path", "key"], name="idempotency_key_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
