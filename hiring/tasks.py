"""Thin tasks: they call one service and are safe to run twice, or at once."""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task
def dispatch_outbox() -> int:
    """Deliver due outbox events, a batch at a time, re-queuing while there are more."""
    taken = outbox.dispatch()
    if taken == outbox.BATCH_SIZE:
        dispatch_outbox.delay()
    return taken


@shared_task
def send_due_notifications() -> int:
    """Send due notifications, a batch at a time, re-queuing while there are more. Beat runs
    it every minute; commits that add a due notification nudge it at once."""
    from django.conf import settings

    from . import notifications

    taken = notifications.deliver_due(settings.NOTIFICATION_BATCH_SIZE)
    if taken == settings.NOTIFICATION_BATCH_SIZE:
        send_due_notifications.delay()
    return taken
