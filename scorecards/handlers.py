"""Outbox handlers of the scorecards app: they run in the dispatcher's transaction, write
rows only, and are idempotent."""

from __future__ import annotations

from typing import Any

from hiring.delivery.outbox import handles
from scorecards import services
from scorecards.reminders import sweep


@handles("loop.reopened")
def move_loop_along(payload: dict[str, Any]) -> None:
    services.loop_refresh_status(loop_id=payload["loop_id"])


@handles("scorecard.submitted")
def move_loop_along_after_a_submission(payload: dict[str, Any]) -> None:
    """One refresh of the loop's stage per submission. When the last scorecard is in, the
    recruiters and the hiring manager hear it once (the notification's unique key), after
    this transaction commits."""
    if services.loop_refresh_status(loop_id=payload["loop_id"]) == "ready_for_debrief":
        sweep.notify_ready_for_debrief(loop_id=payload["loop_id"])
