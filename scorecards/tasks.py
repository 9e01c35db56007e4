"""Thin tasks: ids in, one service call, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from hiring.models import Loop

from . import services


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, retry_backoff_max=300, max_retries=8
)
def refresh_loop_status(loop_id: int) -> str | None:
    if not Loop.objects.filter(pk=loop_id).exists():
        return None  # deleted meanwhile: nothing to do
    return services.loop_refresh_status(loop_id=loop_id)
