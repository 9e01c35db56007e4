"""Shared plumbing for work handed to Celery: backoff between attempts, and the one nudge per
transaction that asks a worker to act as soon as the rows it needs are committed."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from datetime import timedelta

from celery import current_app
from django.db import transaction

from config.outage import BROKER

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
        _send(task_name)

    send.task_name = task_name  # type: ignore[attr-defined]
    transaction.on_commit(send)


def after_commit_once(
    key: str, ids: Iterable[int], run: Callable[[set[int]], None], *, robust: bool = False
) -> None:
    """Call ``run`` with the ids asked for under ``key`` once the current transaction
    commits: once per transaction, with every id any caller in it asked for (a later caller
    joins the call already waiting). ``robust``: a failure of ``run`` is logged, not raised."""
    connection = transaction.get_connection()
    for _, callback, _ in connection.run_on_commit:
        pending = getattr(callback, "after_commit_once", {}).get(key)
        if pending is not None:
            pending.update(ids)
            return
    wanted: set[int] = set(ids)

    def call() -> None:
        run(wanted)

    call.after_commit_once = {key: wanted}  # type: ignore[attr-defined]
    transaction.on_commit(call, robust=robust)


SOON = timedelta(minutes=2)


def enqueue_retry(task_name: str, delay: timedelta) -> None:
    """A short retry gets its own nudge, a countdown of at most ``SOON`` (never an ETA hours
    ahead: scheduled work is rows); anything longer waits for the beat sweep of the task."""
    if delay > SOON:
        return
    _send(task_name, countdown=max(delay.total_seconds(), 0.0))


def _send(task_name: str, countdown: float | None = None) -> None:
    """Send a nudge unless the broker is known to be down. A nudge is only a hint: the rows
    are the truth, and a worker reconnecting to the broker (config.celery_steps) or beat's
    sweep delivers them, so an outage costs a request no wait and the log one line a minute."""
    if not BROKER.available():
        return
    try:
        current_app.send_task(task_name, countdown=countdown)
    except Exception as exc:  # broker unreachable: the reconnect catch-up or the sweep
        BROKER.failed(
            exc,
            f"could not reach the broker for {task_name}: the work waits in the database until "
            "a worker reconnects (or beat's sweep)",
        )
        return
    BROKER.succeeded()
