"""Liveness of the two things Loopwise cannot work without: its database and its broker."""

from __future__ import annotations

import logging

from django.db import connection

logger = logging.getLogger(__name__)


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason goes to the log
        logger.warning("health: database unreachable: %s", exc)
        return "down"
    return "ok"


def broker_state() -> str:
    from config.celery_app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            conn.default_channel  # noqa: B018  (opens the channel: proves the transport works)
    except Exception as exc:
        logger.warning("health: broker unreachable: %s", exc)
        return "down"
    return "ok"
