"""The transactional outbox (DESIGN §5).

``emit()`` writes an event in the caller's transaction and, once that commits, nudges a
worker. ``dispatch()`` (a task, and a beat sweep every minute for when the nudge was lost)
runs each event's handlers inside a transaction and marks it processed there too, so an
event is handled to completion once or not at all. Handlers only write rows (summaries,
notifications) or enqueue further work on commit; they must be idempotent, because a worker
killed mid-batch leaves its events for the next one. Topics in ``WEBHOOK_EVENTS`` are also
fanned out to the webhook subscriptions (``hiring.delivery.webhooks``) in the same transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from hiring.delivery import webhooks
from hiring.delivery.background import enqueue_after_commit, jittered_backoff
from hiring.models import OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

MAX_ATTEMPTS = 8
BATCH_SIZE = 100


def handles(topic: str) -> Callable[[Handler], Handler]:
    """Register a handler for a topic (called from an AppConfig.ready import)."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[topic]:
            _handlers[topic].append(handler)
        return handler

    return register


def emit(topic: str, payload: dict[str, Any], *, dedupe_key: str | None = None) -> None:
    """Record an event in the current transaction; nudge the dispatcher after commit."""
    now = timezone.now()
    if dedupe_key is not None:
        # One statement (INSERT ... ON CONFLICT DO NOTHING), not a savepoint around an insert
        # that may fail: emitting twice is one event.
        OutboxEvent.objects.bulk_create(
            [OutboxEvent(topic=topic, payload=payload, dedupe_key=dedupe_key, available_at=now)],
            ignore_conflicts=True,
        )
    else:
        OutboxEvent.objects.create(topic=topic, payload=payload, available_at=now)
    nudge()


def nudge() -> None:
    """Ask a worker to dispatch after commit; the beat sweep covers a broker outage."""
    enqueue_after_commit("hiring.tasks.dispatch_outbox")


def backoff(attempts: int) -> timedelta:
    return jittered_backoff(attempts, base_seconds=5.0, cap_seconds=3600.0)


def dispatch(limit: int = BATCH_SIZE) -> int:
    """Handle one batch of due events; return how many were taken."""
    now = timezone.now()
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, available_at__lte=now)
            .order_by("available_at", "id")[:limit]
        )
        for event in events:
            _handle(event)
    return len(events)


def _handle(event: OutboxEvent) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            for handler in _handlers.get(event.topic, []):
                handler(event.payload)
            if event.topic in webhooks.TOPICS:
                # With the handlers: fanned out exactly once, together with the event.
                webhooks.fan_out(event)
    except Exception as exc:
        event.attempts += 1
        event.last_error = f"{type(exc).__name__}: {exc}"
        if event.attempts >= MAX_ATTEMPTS:
            event.failed = True
            event.processed_at = now
            logger.error("outbox: giving up on %s after %s attempts", event, event.attempts)
        else:
            event.available_at = now + backoff(event.attempts)
        event.save(
            update_fields=["attempts", "last_error", "failed", "processed_at", "available_at"]
        )
        return
    event.processed_at = now
    event.save(update_fields=["processed_at"])
