"""Worker bootsteps (registered in ``config.celery_app``).

``WorkerHeartbeat``: the worker's sign of life for ``/readyz`` (``hiring.heartbeats``).

``CatchUpOnConnect``: Celery restarts a worker's consumer blueprint every time its broker
connection comes back, so this step's ``start`` runs on the first connection and on every
reconnection. It sends the delivery sweeps at once: work committed while the broker was
down (its nudges were never sent, and a restarted Redis has lost any queued message) is
delivered as soon as a worker is connected again, not at beat's next one-minute sweep."""

from __future__ import annotations

import logging
from typing import Any

from celery import bootsteps

logger = logging.getLogger(__name__)

# What a committed row is waiting for: the same tasks beat sweeps every minute.
SWEEPS = (
    "hiring.tasks.dispatch_outbox",
    "hiring.tasks.send_due_notifications",
    "hiring.tasks.deliver_webhooks",
)


class CatchUpOnConnect(bootsteps.StartStopStep):
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c: Any) -> None:
        try:
            for name in SWEEPS:
                c.app.send_task(name)
        except Exception as exc:  # the connection dropped again: the next start retries
            logger.warning("catch-up after connecting: could not send the sweeps: %s", exc)
            return
        logger.info("connected to the broker: sent the delivery sweeps to catch up")


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes this worker's heartbeat (``hiring.heartbeats``) from a thread of the main
    process, for ``/readyz``: whatever the pool and the broker are doing.

    It starts after the pool, once the prefork children exist: a child forked while this
    thread was inside SQLite (the embedded default) could inherit a lock no one releases."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, w: Any, **kwargs: Any) -> None:
        super().__init__(w, **kwargs)
        self.thread: Any = None

    def start(self, w: Any) -> None:
        from hiring.heartbeats import HeartbeatThread, worker_names  # Django is set up by now

        self.thread = HeartbeatThread(*worker_names(w.hostname, w.app.amqp.queues.consume_from))
        self.thread.start()

    def stop(self, w: Any) -> None:
        if self.thread is not None:
            self.thread.stop()
