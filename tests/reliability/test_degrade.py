"""Redis stopped under the PostgreSQL + Redis settings (issue 19): the API keeps answering
(its rate limiter fails open, logged once, not per request), the work a request commits
waits in the outbox, and a real worker delivers it once Redis is back, without beat (none
runs here): the worker's reconnection sends the sweeps (``config.celery_steps``)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from hiring import services
from hiring.models import Notification, OutboxEvent, WebhookDelivery
from tests.celery_worker import wait_for
from tests.factories import InterviewFactory, LoopFactory
from tests.hiring.test_webhooks import serve, subscribe
from tests.tokens import api_client

pytestmark = pytest.mark.worker


def test_with_redis_stopped_the_api_answers_and_the_work_is_delivered_once_when_it_returns(
    start_worker,
    smtp_server,
    worker_env,
    redis_control,
    world,
    recruiter,
    hiring_manager,
    interviewer,
    caplog,
):
    sink, _ = smtp_server
    # given a loop to decide, another whose interview is next week, an integration hearing
    # about decisions, and a worker running (no beat)
    soon = timezone.now() + timedelta(days=7)
    next_week = LoopFactory(requisition=world.requisition)
    InterviewFactory(loop=next_week, interviewers=[interviewer], starts_at=soon)
    worker = start_worker(extra_env=worker_env)
    manager = api_client(hiring_manager, used=True)
    with serve() as receiver:
        subscribe(receiver, events=["decision.recorded"])

        # when Redis stops
        redis_control.stop()
        caplog.set_level(logging.WARNING, logger="loopwise.outage")

        # then the recruiter's page action that e-mails the panel still works
        assert services.loop_send_invites(loop=next_week, by=recruiter) == 1
        # and the API answers, reads and a write alike
        for _ in range(5):
            assert manager.get("/api/v1/loops/").status_code == 200
        decided = manager.post(
            f"/api/v1/loops/{world.loop.pk}/decisions/",
            {"outcome": "hire", "rationale": "Clear strategist, strong panel."},
            format="json",
        )
        assert decided.status_code == 201, decided.content
        # the work waits in PostgreSQL
        assert OutboxEvent.objects.filter(processed_at=None).exists()
        waiting = set(Notification.objects.filter(status="pending").values_list("pk", flat=True))
        assert len(waiting) == 2  # the invite and the candidate's schedule
        # each outage was logged once, not once per request
        outage_lines = Counter(
            r.getMessage().split(" unreachable")[0]
            for r in caplog.records
            if r.name == "loopwise.outage" and "unreachable" in r.getMessage()
        )
        assert outage_lines == {"Redis (cache)": 1, "Celery broker": 1}

        # when Redis comes back
        redis_control.start()

        # then the worker delivers the webhook and the two e-mails, well before beat's sweep
        # would have (a minute), and nothing waits any more
        def delivered() -> bool:
            return (
                len(receiver.accepted) >= 1
                and len(sink.accepted) >= 2
                and not WebhookDelivery.objects.exclude(status="delivered").exists()
                and Notification.objects.filter(pk__in=waiting, status="sent").count() == 2
            )

        try:
            wait_for(delivered, timeout=50)
        except TimeoutError:
            states = list(Notification.objects.values_list("reason", "status"))
            states += list(WebhookDelivery.objects.values_list("topic", "status"))
            log = worker.log()[-3000:]
            pytest.fail(f"not delivered: {states}, {receiver.requests}; the worker's log:\n{log}")
        # exactly once each
        assert Counter(receiver.deliveries()) == {str(WebhookDelivery.objects.get().event_id): 1}
        expected = set(
            Notification.objects.filter(pk__in=waiting).values_list("message_id", flat=True)
        )
        assert sink.message_ids() == dict.fromkeys(expected, 1)
