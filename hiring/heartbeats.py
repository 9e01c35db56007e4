"""Heartbeats of the background processes and the readiness they add up to (``/readyz``).

Each worker writes ``worker <hostname>`` from a thread of its main process
(``config.celery_steps.WorkerHeartbeat``) and beat writes ``beat`` from its own loop
(``HeartbeatScheduler``), every ``HEARTBEAT_SECONDS``: rows in the database, which every
deployment has (``make run``'s processes share no cache). ``readiness()`` says what is wrong:
the database, the broker, a heartbeat older than ``READINESS_HEARTBEAT_SECONDS``, or outbox
work waiting longer than ``READINESS_OUTBOX_LAG_SECONDS``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Max, Min
from django.utils import timezone

from hiring import health
from hiring.models import OutboxEvent
from hiring.models.delivery import Heartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
WORKER = "worker "
QUEUE = "queue "  # + "<queue> <hostname>": a worker consuming that queue
BEAT = "beat"


def worker_names(hostname: str, queues: Iterable[str]) -> list[str]:
    """The heartbeats a worker writes: its own, and one per queue it consumes (a deployment
    with a worker per queue is only ready when every queue has a live consumer)."""
    return [f"{WORKER}{hostname}", *(f"{QUEUE}{queue} {hostname}" for queue in sorted(queues))]


def configured_queues() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


def record(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def record_all(names: Iterable[str]) -> None:
    """Several heartbeats in one statement: the shortest hold on the database's write lock."""
    now = timezone.now()
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, seen_at=now) for name in names],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["seen_at"],
    )


def _age(seen_at: Any) -> int | None:
    return None if seen_at is None else max(int((timezone.now() - seen_at).total_seconds()), 0)


def _heartbeat_check(name: str, seen_at: Any) -> dict[str, Any]:
    limit = settings.READINESS_HEARTBEAT_SECONDS
    age = _age(seen_at)
    if age is None:
        return {"ok": False, "problem": f"no {name} has ever reported (is one running?)"}
    check: dict[str, Any] = {"ok": age <= limit, "last_seen_seconds_ago": age}
    if age > limit:
        check["problem"] = f"the last {name} heartbeat was {age}s ago (limit {limit}s)"
    return check


def _outbox_check() -> dict[str, Any]:
    """Work committed and due but not yet handled: how much, and how long the oldest waits.
    The beat sweep (every minute) and a worker's reconnection catch up; a growing lag means
    no worker is taking the work."""
    limit = settings.READINESS_OUTBOX_LAG_SECONDS
    due = OutboxEvent.objects.filter(processed_at__isnull=True, available_at__lte=timezone.now())
    oldest = due.aggregate(oldest=Min("available_at"))["oldest"]
    lag = _age(oldest) or 0
    check: dict[str, Any] = {"ok": lag <= limit, "lag_seconds": lag, "backlog": due.count()}
    if lag > limit:
        check["problem"] = f"outbox work has waited {lag}s (limit {limit}s)"
    return check


def _queues_check() -> dict[str, Any]:
    """Every queue tasks are routed to has a worker whose heartbeat is recent: with a worker
    per queue (docker-compose.scale.yml), the e-mail workers can be down while others live."""
    limit = settings.READINESS_HEARTBEAT_SECONDS
    seen = {
        name: _age(seen_at)
        for name, seen_at in Heartbeat.objects.filter(name__startswith=QUEUE).values_list(
            "name", "seen_at"
        )
    }
    ages: dict[str, int | None] = {}
    for queue in configured_queues():
        mine = [age for name, age in seen.items() if name.split(" ")[1] == queue]
        ages[queue] = min((age for age in mine if age is not None), default=None)
    missing = [queue for queue, age in ages.items() if age is None or age > limit]
    check: dict[str, Any] = {"ok": not missing, "last_seen_seconds_ago": ages}
    if missing:
        check["problem"] = (
            f"no worker consuming {', '.join(missing)} has reported in the last {limit}s: "
            "tasks routed there wait in the broker"
        )
    return check


def readiness() -> tuple[bool, dict[str, Any]]:
    """``(ready, report)``: each check with ``ok`` and, when not, its ``problem``."""
    checks: dict[str, dict[str, Any]] = {}
    database = health.database_state()
    checks["database"] = {"ok": database == "ok"}
    if database != "ok":
        checks["database"]["problem"] = "the database cannot be reached"
    broker = health.broker_state()
    checks["broker"] = {"ok": broker == "ok"}
    if broker != "ok":
        checks["broker"]["problem"] = (
            "the broker cannot be reached: work waits in the database and is delivered when "
            "it returns"
        )
    if database == "ok":
        workers = Heartbeat.objects.filter(name__startswith=WORKER)
        checks["worker"] = _heartbeat_check(
            "worker", workers.aggregate(seen=Max("seen_at"))["seen"]
        )
        if checks["worker"]["ok"]:  # with no worker at all, "worker" says it already
            checks["queues"] = _queues_check()
        checks["beat"] = _heartbeat_check(
            "beat", Heartbeat.objects.filter(name=BEAT).values_list("seen_at", flat=True).first()
        )
        checks["outbox"] = _outbox_check()
    else:
        for name in ("worker", "beat", "outbox"):
            checks[name] = {"ok": False, "problem": "unknown: the database cannot be reached"}
    ready = all(check["ok"] for check in checks.values())
    problems = [
        f"{name}: {check['problem']}" for name, check in checks.items() if "problem" in check
    ]
    return ready, {
        "status": "ready" if ready else "not ready",
        "problems": problems,
        "checks": checks,
    }


# --- Writers -------------------------------------------------------------------------------


class HeartbeatThread(threading.Thread):
    """Writes ``name``'s heartbeat every ``HEARTBEAT_SECONDS`` until stopped: a thread, so a
    worker busy reconnecting to its broker still says it is alive."""

    def __init__(self, name: str, *also: str) -> None:
        super().__init__(name=f"heartbeat {name}", daemon=True)
        self.beat_name = name
        self.beat_names = [name, *also]
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                record_all(self.beat_names)
            except Exception as exc:  # the database is down: readiness says so itself
                logger.warning("heartbeat %s not written: %s", self.beat_name, exc)
            finally:
                connection.close()  # this thread's own; reopened at the next beat
            self.stopping.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self.stopping.set()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler, writing beat's heartbeat as it ticks
    (``CELERY_BEAT_SCHEDULER``)."""

    _next_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + HEARTBEAT_SECONDS
            try:
                record(BEAT)
            except Exception as exc:
                logger.warning("heartbeat beat not written: %s", exc)
        return min(float(super().tick(*args, **kwargs)), HEARTBEAT_SECONDS)
