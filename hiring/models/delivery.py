"""What the delivery machinery keeps in the database (``hiring.delivery``): the outbox of
work recorded with a commit, e-mail notifications as rows with a due time, webhook
subscriptions with their delivery log, and the API's idempotency keys."""

from __future__ import annotations

import secrets
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from hiring.models.base import User
from hiring.models.pipeline import Requisition


class OutboxEvent(models.Model):
    """Something that must happen after a commit, written in the same transaction as the
    change that caused it (DESIGN §5). Delivered by ``hiring.delivery.outbox.dispatch``: a broker
    outage delays it, never loses it."""

    topic = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    # Random, not derived from the pk: another installation, or this one after a database
    # rebuild, never sends the same webhook event id for a different event (issue 19).
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="Emitting twice with one key records one event.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField(help_text="Not delivered before this (retry backoff).")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    failed = models.BooleanField(default=False, help_text="Gave up after the last attempt.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                condition=Q(processed_at__isnull=True),
                name="outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


def new_message_id() -> str:
    """A Message-ID no other installation sends: random, stored with the row when it is
    written, so a retry after a crash carries the same one as the first try."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "loopwise.local"
    return f"<notification.{uuid.uuid4().hex}@{domain}>"


class Notification(models.Model):
    """One e-mail to one person, due at a time: the database is the schedule (DESIGN §5).

    The unique key (recipient, reason, object, sequence, resend) is what makes a message go
    out once however many sweeps, workers or retries race for it. ``sequence`` numbers the
    scheduled occurrences of one reason (the n-th daily reminder, an invite's iCalendar
    SEQUENCE); ``resend`` counts deliberate re-sends of that occurrence from the admin, so a
    re-send never takes the key of a later scheduled occurrence."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled (no longer relevant)"

    reason = models.CharField(max_length=60)
    recipient = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    recipient_email = models.EmailField()
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    sequence = models.PositiveIntegerField(default=0)
    resend = models.PositiveSmallIntegerField(
        default=0, help_text="0 for the scheduled send; n for the n-th deliberate re-send."
    )
    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="Whose recruiters may see it in the admin.",
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took it; reclaimed after a lease."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True, help_text="As sent.")
    message_id = models.CharField(max_length=200, blank=True, default=new_message_id)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("content_type"),
                F("object_id"),
                F("reason"),
                Lower("recipient_email"),
                F("sequence"),
                F("resend"),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False)
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="notification_sent_has_sent_at",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status="pending"),
                name="notification_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="notification_sending_idx",
            ),
            models.Index(fields=["requisition", "status"], name="notification_requisition_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} to {self.recipient_email}"


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

    ``event_id`` is the outbox event's (random, stored), so fanning an event out twice makes one
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


class Heartbeat(models.Model):
    """The last sign of life of a background process (``hiring.heartbeats``): each worker
    (``worker <hostname>``) and the scheduler (``beat``) write theirs every few seconds, and
    ``/readyz`` reports any that has gone quiet."""

    name = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
