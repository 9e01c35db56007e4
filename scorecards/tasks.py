"""Thin tasks: ids in, one service call, safe to run twice."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from hiring.models import Loop
from scorecards import services


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=300, max_retries=8
)
def refresh_loop_status(loop_id: int) -> str | None:
    if not Loop.objects.filter(pk=loop_id).exists():
        return None  # deleted meanwhile: nothing to do
    return services.loop_refresh_status(loop_id=loop_id)


REFRESH_BATCH = 500


@shared_task
def refresh_open_loop_statuses(after_id: int = 0) -> int:
    """Periodic sweep: move open loops along as interviews start and end. Works in bounded
    batches and re-queues itself for the next one; safe to run twice at once. Its first
    batch also marks the interviews that have ended completed."""
    if after_id == 0:
        services.interviews_complete_ended()
    loop_ids = list(
        Loop.objects.filter(status__in=Loop.OPEN_STATUSES, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:REFRESH_BATCH]
    )
    for loop_id in loop_ids:
        services.loop_refresh_status(loop_id=loop_id)
    if len(loop_ids) == REFRESH_BATCH:
        refresh_open_loop_statuses.delay(after_id=loop_ids[-1])
    return len(loop_ids)


@shared_task
def schedule_reminders(after_id: int = 0, started_at: str | None = None) -> int:
    """Periodic sweep (beat, every minute): write the reminder rows whose moment has come, a
    bounded batch at a time, re-queuing itself for the next batch (with when the sweep began,
    which its last batch records). Safe to run twice at once: the notifications' unique key
    keeps one row per reminder."""
    from scorecards.reminders import sweep

    result = sweep.schedule_due_reminders(
        after_id=after_id,
        started_at=datetime.fromisoformat(started_at) if started_at else None,
    )
    if result.next_after is not None:
        schedule_reminders.delay(
            after_id=result.next_after, started_at=result.started_at.isoformat()
        )
    return result.scheduled


@shared_task
def nightly_calibration(batch_size: int | None = None) -> int:
    """Refit leniency over all history, then plan the refresh of every open loop's summary
    and queue one ``refresh_summary_batch`` per batch, for the workers to share. Returns the
    refresh's id (``SummaryRefresh``: its counts and duration fill in as batches finish)."""
    from scorecards.calibration import summaries

    run = summaries.calibration_refit()
    refresh = summaries.refresh_open_summaries(
        batch_size=batch_size or summaries.REFRESH_BATCH_SIZE, inline=False, run=run
    )
    return refresh.pk


@shared_task
def refresh_summary_batch(batch_id: int) -> int | None:
    """One batch of a summary refresh: its open loops' summaries brought up to date and
    counted, in one transaction. Safe to run twice: a batch already done is skipped."""
    from scorecards.calibration import summaries

    batch = summaries.refresh_batch(batch_id=batch_id)
    return None if batch is None else batch.changed


@shared_task
def summarise_loops(loop_ids: list[int]) -> int:
    """Compute and store these loops' summaries (queued by reads that found one missing or
    stale, and by the importer), a batch per transaction. Loops deleted meanwhile are
    skipped; safe to run twice: a summary already current is left as it is."""
    from scorecards.calibration import summaries

    return summaries.loop_summaries_compute(loop_ids)
