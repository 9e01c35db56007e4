"""Outbox handlers of the scorecards app: they run in the dispatcher's transaction, write
rows only, and are idempotent."""

from __future__ import annotations

from typing import Any

from hiring.outbox import handles

from . import services


@handles("scorecard.submitted")
def move_loop_along(payload: dict[str, Any]) -> None:
    services.loop_refresh_status(loop_id=payload["loop_id"])
