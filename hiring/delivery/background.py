"""Shared plumbing for work handed to Celery: backoff between attempts, and the one nudge per
transaction that asks a worker to act as soon as the rows it needs are committed."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def jittered_backoff(attempts: int, *, base_seconds: float, cap_seconds: float) -> timedelta:
    """Exponential backoff with jitter (50-100 % of the step), capped."""
    step = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=step * random.uniform(0.5, 1.0))


def enqueue_after_commit(task_name: str) -> None:
    """Send ``task_name`` once the current transaction commits, once however many rows in it
    asked. The rows are the source of truth: if the broker is down the beat sweep of the same
    task delivers them, so a failed send is only logged."""
    connection = transaction.get_connection()
    if any(
        getattr(callback, "task_name", None) == task_name
        for _, callback, _ in connection.run_on_commit
    ):
        return

    def send() -> None:
        try:
            current_app.send_task(task_name)
        except Exception as exc:  # broker unreachable: the sweep catches up
            logger.warning("could not reach the broker for %s: %s", task_name, exc)

    send.task_name = task_name  # type: ignore[attr-defined]
    transaction.on_commit(send)


SOON = timedelta(minutes=2)


def enqueue_retry(task_name: str, delay: timedelta) -> None:
    """A short retry gets its own nudge, a countdown of at most ``SOON`` (never an ETA hours
    ahead: scheduled work is rows); anything longer waits for the beat sweep of the task."""
    if delay > SOON:
        return
    try:
        current_app.send_task(task_name, countdown=max(delay.total_seconds(), 0.0))
    except Exception as exc:  # broker unreachable: the sweep catches up
        logger.warning("could not schedule the retry nudge %s: %s", task_name, exc)
