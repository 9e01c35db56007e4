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
