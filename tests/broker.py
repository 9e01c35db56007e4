"""What waits on the real Redis broker, across every queue tasks are routed to
(``CELERY_TASK_QUEUES``: e-mail, webhooks and calibration work each have their own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings


def messages(redis_client: redis.Redis) -> Iterator[dict[str, Any]]:
    """Every message waiting on any queue, oldest first within a queue."""
    for queue in settings.CELERY_TASK_QUEUES:
        for raw in redis_client.lrange(queue.name, 0, -1):
            yield json.loads(raw)
