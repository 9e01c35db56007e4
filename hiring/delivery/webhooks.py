"""Signed webhooks: events POSTed to the subscriptions' URLs, never lost, sent once per
subscription (DESIGN §5).

How an event travels:

1. The outbox dispatcher handles an event whose topic is in ``WEBHOOK_EVENTS`` and, in the
   same transaction, calls ``fan_out()``: one ``WebhookDelivery`` per active subscription to
   that topic. Its ``event_id`` is the outbox event's stored random id, so fanning out twice makes
   nothing new (unique key), and its JSON ``body`` is frozen then: every attempt sends the
   same bytes. A commit that adds deliveries nudges ``hiring.tasks.deliver_webhooks``.
2. ``deliver_due()`` (that task: the nudge, and beat every minute for the retries) claims one
   due row at a time with a conditional UPDATE (``pending`` → ``sending``, attempts + 1),
   POSTs it and records the outcome, fenced on ``claimed_at``. A 2xx answer is delivered;
   anything else (another status, a redirect, a refused connection, a timeout) is retried
   with exponential backoff and jitter, and fails for good after ``WEBHOOK_MAX_ATTEMPTS``.
   A receiver that cannot be reached holds its subscription's other rows back until the
   retry, so one dead URL does not stall everyone else's sweep.
3. A row left in ``sending`` by a killed worker is sent again after ``WEBHOOK_LEASE_SECONDS``
   with the same ``Loopwise-Delivery`` id, which is how a receiver drops the rare repeat.

Every request carries::

    Content-Type: application/json
    User-Agent: Loopwise-Webhooks/1
    Loopwise-Event: scorecard.submitted
    Loopwise-Delivery: <event id: the body's "id", the same on every attempt>
    Loopwise-Timestamp: <unix seconds of this attempt>
    Loopwise-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

Bodies hold ids and facts, never a candidate's name or e-mail: an integration fetches those
through the API with its token, under the API's permissions.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from hiring.delivery import notifications
from hiring.delivery.background import enqueue_after_commit, enqueue_retry, jittered_backoff
from hiring.delivery.notifications import RenderedEmail
from hiring.models import (
    Decision,
    Loop,
    Notification,
    OutboxEvent,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from hiring.models.delivery import WEBHOOK_EVENTS

logger = logging.getLogger(__name__)

TOPICS = frozenset(name for name, _ in WEBHOOK_EVENTS)
PING = "ping"
USER_AGENT = "Loopwise-Webhooks/1"
SIGNATURE_TOLERANCE_SECONDS = 300
EXCERPT_CHARS = 300  # of a receiver's answer, kept in the log
LOG_LIMIT = 50  # attempts kept per delivery (a "Retry now" starts a new series)


# --- Bodies --------------------------------------------------------------------------------

Describer = Callable[[dict[str, Any]], dict[str, Any]]
_describers: dict[str, Describer] = {}


def describes(topic: str) -> Callable[[Describer], Describer]:
    """Register ``describe(payload) -> data`` for a topic: the ``data`` of its bodies. Apps
    register theirs in a module their ``AppConfig.ready`` imports (``scorecards.webhooks``)."""

    def register(describer: Describer) -> Describer:
        _describers[topic] = describer
        return describer

    return register


def describe(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The event's facts as sent; the outbox payload itself when its rows are gone."""
    describer = _describers.get(topic)
    if describer is None:
        return dict(payload)
    try:
        return describer(payload)
    except ObjectDoesNotExist:
        return dict(payload)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@describes("loop.ready_for_debrief")
def _ready_for_debrief(payload: dict[str, Any]) -> dict[str, Any]:
    loop = Loop.objects.get(pk=payload["loop_id"])
    return {
        "loop_id": loop.pk,
        "requisition_id": loop.requisition_id,
        "candidate_id": loop.candidate_id,
    }


@describes("loop.recommendation_changed")
def _recommendation_changed(payload: dict[str, Any]) -> dict[str, Any]:
    loop = Loop.objects.get(pk=payload["loop_id"])
    previous = payload.get("previous")
    return {
        "loop_id": loop.pk,
        "requisition_id": loop.requisition_id,
        "candidate_id": loop.candidate_id,
        "before": (
            {
                "recommendation": previous["recommendation"],
                "needs_debrief": previous["needs_debrief"],
            }
            if previous
            else None
        ),
        "after": {
            "recommendation": payload["recommendation"],
            "needs_debrief": payload["needs_debrief"],
        },
    }


@describes("decision.recorded")
def _decision_recorded(payload: dict[str, Any]) -> dict[str, Any]:
    decision = Decision.objects.select_related("loop", "level_offered").get(
        pk=payload["decision_id"]
    )
    return {
        "decision_id": decision.pk,
        "loop_id": decision.loop_id,
        "requisition_id": decision.loop.requisition_id,
        "candidate_id": decision.loop.candidate_id,
        "outcome": decision.outcome,
        "level_offered": decision.level_offered.slug if decision.level_offered else None,
        "decided_by_id": decision.decided_by_id,
        "decided_at": _iso(decision.decided_at),
        "previous_decision_id": payload.get("previous_decision_id"),
    }


def render_body(*, event_id: uuid.UUID, topic: str, created_at: datetime, data: Any) -> str:
    envelope = {"id": str(event_id), "type": topic, "created_at": _iso(created_at), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)


def event_id_for(event: OutboxEvent) -> uuid.UUID:
    """The event's own random id, stored with it: stable, so a second fan-out is a no-op, and
    unique beyond this database (events before issue 19 kept the uuid5 they were sent with)."""
    return event.event_id


# --- Fan-out -------------------------------------------------------------------------------


def subscribers(topic: str) -> list[WebhookSubscription]:
    """Active subscriptions to ``topic`` (a handful: filtered here, which SQLite can do too)."""
    return [s for s in WebhookSubscription.objects.filter(is_active=True) if topic in s.events]


def deliveries_for(
    event: OutboxEvent, subscriptions: Iterable[WebhookSubscription]
) -> list[WebhookDelivery]:
    """Unsaved deliveries of ``event``, one per subscription, with the body frozen."""
    event_id = event_id_for(event)
    body = render_body(
        event_id=event_id,
        topic=event.topic,
        created_at=event.created_at,
        data=describe(event.topic, event.payload),
    )
    now = timezone.now()
    return [
        WebhookDelivery(
            subscription=subscription,
            event_id=event_id,
            topic=event.topic,
            body=body,
            next_attempt_at=now,
        )
        for subscription in subscriptions
    ]


def fan_out(event: OutboxEvent) -> int:
    """One delivery per active subscription to the event's topic; call it in the outbox
    dispatcher's transaction. Idempotent: rows that exist already are skipped by the
    database. Returns how many subscriptions were addressed."""
    if event.topic not in TOPICS:
        return 0
    rows = deliveries_for(event, subscribers(event.topic))
    if rows:
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        nudge()
    return len(rows)


def send_ping(subscription: WebhookSubscription) -> WebhookDelivery:
    """A ``ping`` delivery, due now: the admin's "Send test event"."""
    event_id = uuid.uuid4()
    now = timezone.now()
    data = {"subscription_id": subscription.pk, "message": "Test event from Loopwise."}
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=event_id,
        topic=PING,
        body=render_body(event_id=event_id, topic=PING, created_at=now, data=data),
        next_attempt_at=now,
    )
    nudge()
    return delivery


def retry_now(deliveries: Iterable[WebhookDelivery]) -> int:
    """Make failed or pending deliveries due now; a failed one gets a fresh set of attempts."""
    now = timezone.now()
    ids = [delivery.pk for delivery in deliveries]
    rows = WebhookDelivery.objects.filter(pk__in=ids)
    failed = rows.filter(status=WebhookDelivery.Status.FAILED).update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now
    )
    pending = rows.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__gt=now).update(
        next_attempt_at=now
    )
    if failed or pending:
        nudge()
    return failed + pending


def nudge() -> None:
    """Ask a worker to deliver after commit; the beat sweep covers a broker outage."""
    enqueue_after_commit("hiring.tasks.deliver_webhooks")


# --- Signing -------------------------------------------------------------------------------


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The ``Loopwise-Signature`` value: ``v1=`` and HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    message = f"{timestamp}.".encode() + _bytes(body)
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    header_value: str,
    timestamp: int | str,
    body: str | bytes,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when one of the header's ``v1=`` signatures matches and the timestamp is within
    ``tolerance`` seconds of ``now`` (a replayed old request fails)."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent_at) > tolerance:
        return False
    expected = sign(secret, sent_at, body)
    candidates = [part.strip() for part in header_value.replace(" ", ",").split(",")]
    return any(hmac.compare_digest(expected, c) for c in candidates if c.startswith("v1="))


def headers_for(delivery: WebhookDelivery, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Loopwise-Event": delivery.topic,
        "Loopwise-Delivery": str(delivery.event_id),
        "Loopwise-Timestamp": str(timestamp),
        "Loopwise-Signature": sign(secret, timestamp, delivery.body),
    }


def url_refusal(url: str) -> str | None:
    """Why ``url`` may not receive webhooks, or None: https only, unless WEBHOOK_ALLOW_HTTP."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        if settings.WEBHOOK_ALLOW_HTTP:
            return None
        return "Plain http is refused here (WEBHOOK_ALLOW_HTTP is off): use an https URL."
    return "Only http(s) URLs with a host can receive webhooks."


def address_refusal(url: str) -> str | None:
    """Why ``url`` may not receive webhooks because of where it points, or None: unless
    WEBHOOK_ALLOW_PRIVATE_NETWORKS, a host that is or resolves to a loopback, private,
    link-local or otherwise internal address is refused, so a subscription cannot be used
    to reach the servers behind Loopwise. Checked on save and again before every attempt (a
    name may change its address); a name that does not resolve is left to the attempt, which
    fails and is retried like any unreachable receiver."""
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, ValueError, UnicodeError):
        return None
    for address in found:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            return (
                f"{host} points to an internal address ({ip}); webhooks go to public "
                "addresses only (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)."
            )
    return None


# --- Delivering ----------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an instruction: it is logged and retried."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def backoff(attempts: int) -> timedelta:
    return jittered_backoff(
        attempts,
        base_seconds=float(settings.WEBHOOK_RETRY_BASE_SECONDS),
        cap_seconds=float(settings.WEBHOOK_RETRY_MAX_SECONDS),
    )


def reclaim_stale(*, now: datetime) -> int:
    """Rows left in ``sending`` past the lease belong to a worker that died: due again (or
    failed, when that was their last allowed attempt)."""
    expired = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
    )
    lost = "The worker sending this was lost (lease expired)."
    failed = expired.filter(attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS).update(
        status=WebhookDelivery.Status.FAILED, last_error=lost
    )
    retried = expired.filter(attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, last_error=lost
    )
    if failed or retried:
        logger.warning("webhooks: reclaimed %s rows from lost workers", failed + retried)
    return failed + retried


def deliver_due(limit: int | None = None) -> int:
    """One sweep: send up to ``limit`` due deliveries of active subscriptions; return how many
    were taken. Deliveries of a paused subscription wait, and go out when it is resumed."""
    limit = limit or settings.WEBHOOK_BATCH_SIZE
    now = timezone.now()
    reclaim_stale(now=now)
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .select_related("subscription")
        .order_by("next_attempt_at", "id")[:limit]
    )
    for delivery in due:
        if _claim(delivery, now):
            _deliver(delivery)
    return len(due)


def _claim(delivery: WebhookDelivery, now: datetime) -> bool:
    # Every condition on the row's own columns, in the UPDATE's own WHERE: PostgreSQL
    # re-checks those after waiting for a racing claim, but not a join's subquery (a filter
    # on ``subscription__is_active`` would make one, and two sweepers could both win).
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at__lte=now,
        subscription_id__in=WebhookSubscription.objects.filter(is_active=True).values("pk"),
    ).update(
        status=WebhookDelivery.Status.SENDING,
        claimed_at=timezone.now(),  # the lease runs from the claim, not the batch start
        attempts=F("attempts") + 1,
    )
    if claimed != 1:
        return False  # another sweeper took it, or it was held back or paused meanwhile
    delivery.refresh_from_db(fields=["status", "claimed_at", "attempts", "attempt_log"])
    return True


def _finish(delivery: WebhookDelivery, **changes: Any) -> bool:
    """Write the outcome, only if this worker still holds the claim."""
    updated = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.SENDING, claimed_at=delivery.claimed_at
    ).update(**changes)
    if updated != 1:
        logger.warning("webhooks: lost the claim on %s before recording it", delivery.pk)
    return updated == 1


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the body once: (HTTP status, answer excerpt) or (None, the error)."""
    subscription = delivery.subscription
    timestamp = int(timezone.now().timestamp())
    request = urllib.request.Request(  # noqa: S310  (the scheme was checked: http(s) only)
        subscription.url,
        data=delivery.body.encode(),
        headers=headers_for(delivery, subscription.secret, timestamp),
        method="POST",
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return int(response.status), _excerpt(response.read(4 * EXCERPT_CHARS))
    except urllib.error.HTTPError as exc:  # any answer outside 2xx, redirects included
        with exc:
            try:
                answer = exc.read(4 * EXCERPT_CHARS)
            except (OSError, http.client.HTTPException):
                answer = b""
        return int(exc.code), _excerpt(answer)
    except urllib.error.URLError as exc:
        return None, f"{type(exc.reason).__name__}: {exc.reason}"[:2000]
    except (OSError, http.client.HTTPException, ValueError) as exc:  # timeout, reset, junk
        return None, f"{type(exc).__name__}: {exc}"[:2000]


def _excerpt(answer: bytes) -> str:
    return " ".join(answer.decode(errors="replace").split())[:EXCERPT_CHARS]


def _deliver(delivery: WebhookDelivery) -> None:
    url = delivery.subscription.url
    refusal = url_refusal(url) or address_refusal(url)
    if refusal is not None:  # never sent: an operator fixes the URL, then "Retry now"
        log = _logged(delivery, {"at": _iso(timezone.now()), "error": refusal, "ms": 0})
        _finish(delivery, status=WebhookDelivery.Status.FAILED, last_error=refusal, attempt_log=log)
        return
    started = time.monotonic()
    status, answer = _post(delivery)
    entry: dict[str, Any] = {"at": _iso(timezone.now()), "ms": _ms_since(started)}
    entry |= {"status": status, "response": answer} if status is not None else {"error": answer}
    log = _logged(delivery, entry)
    now = timezone.now()
    if status is not None and 200 <= status < 300:
        _finish(
            delivery,
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=now,
            response_status=status,
            last_error="",
            attempt_log=log,
        )
        return
    error = f"HTTP {status}: {answer}" if status is not None else answer
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        logger.error("webhooks: giving up on %s: %s", delivery.pk, error)
        if _finish(
            delivery,
            status=WebhookDelivery.Status.FAILED,
            response_status=status,
            last_error=error,
            attempt_log=log,
        ):
            alert_failure(delivery.subscription)
        return
    retry_at = now + backoff(delivery.attempts)
    logger.warning("webhooks: %s failed (%s), retrying at %s", delivery.pk, error, retry_at)
    held = _finish(
        delivery,
        status=WebhookDelivery.Status.PENDING,
        next_attempt_at=retry_at,
        response_status=status,
        last_error=error,
        attempt_log=log,
    )
    if held and status is None:
        # Unreachable: its subscription's other due rows wait for the same retry, unspent.
        WebhookDelivery.objects.filter(
            subscription_id=delivery.subscription_id,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lt=retry_at,
        ).update(next_attempt_at=retry_at)
    if held:
        enqueue_retry("hiring.tasks.deliver_webhooks", retry_at - now)


def _logged(delivery: WebhookDelivery, entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [*delivery.attempt_log, entry][-LOG_LIMIT:]


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


# --- Telling whoever runs the integration ------------------------------------------------

FAILED_REASON = "webhook.failed"


def alert_failure(subscription: WebhookSubscription) -> None:
    """A delivery was given up: e-mail the subscription's creator (or, without one, every
    active superuser), at most once a day per subscription (the notification's unique key
    takes the day as its sequence)."""
    creator = subscription.created_by
    people = (
        [creator]
        if creator is not None and creator.is_active
        else list(User.objects.filter(is_superuser=True, is_active=True).order_by("pk"))
    )
    day = timezone.now().date().toordinal()
    for person in people:
        notifications.notify(
            reason=FAILED_REASON,
            obj=subscription,
            recipient_email=person.email,
            recipient=person,
            sequence=day,
        )


@notifications.renders(FAILED_REASON)
def render_failure_alert(notification: Notification) -> RenderedEmail | None:
    """Rendered when sent: nothing to say if every failed delivery was retried since."""
    subscription = WebhookSubscription.objects.filter(pk=notification.object_id).first()
    if subscription is None:
        return None
    failed = subscription.deliveries.filter(status=WebhookDelivery.Status.FAILED)
    latest = failed.order_by("-id").first()
    if latest is None:
        return None
    log = reverse("admin:hiring_webhookdelivery_changelist")
    query = f"?subscription__id__exact={subscription.pk}&status__exact=failed"
    context = {
        "recipient": notification.recipient,
        "subscription": subscription,
        "failed": failed.count(),
        "latest": latest,
        "link": f"{settings.SITE_URL}{log}{query}",
    }
    return RenderedEmail.from_templates(
        "hiring/emails/webhook_failed",
        context,
        subject=f"Webhook deliveries failed: {subscription.name}",
    )
