"""Webhooks under faults, counted by a real HTTP receiver on loopback that checks every
signature with the subscription's secret: a receiver failing twice, the task path through a
real Celery worker, and a worker killed between the claim and the answer. "Once" means every
event was accepted (answered 200) once, by its Loopwise-Delivery id, and nothing else was."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hiring.decisions import decision_record
from hiring.delivery import webhooks
from hiring.models import Loop, OutboxEvent, WebhookDelivery
from tests.celery_worker import wait_for
from tests.concurrency import at_once, claims_meet
from tests.hiring.test_webhooks import ALL_EVENTS, Receiver, dispatch_all, serve, submit, subscribe

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as running:
        yield running


def webhook_events() -> Counter[str]:
    """The topics the outbox recorded that subscriptions hear about, with their counts."""
    return Counter(OutboxEvent.objects.filter(topic__in=ALL_EVENTS).values_list("topic", flat=True))


def assert_each_event_accepted_once(receiver: Receiver) -> None:
    expected = {str(d.event_id) for d in WebhookDelivery.objects.all()}
    seen = Counter(receiver.deliveries())
    assert set(seen) == expected  # nothing lost, nothing unexpected
    assert {delivery: n for delivery, n in seen.items() if n > 1} == {}  # no duplicate
    assert all(item["valid"] for item in receiver.requests)
    assert Counter(item["event"] for item in receiver.accepted) == webhook_events()
    assert set(webhook_events()) == set(ALL_EVENTS)


def run_the_loop(world, interviewer, other_interviewer, hiring_manager) -> None:
    """Both interviewers submit (the loop is then ready for debrief and its recommendation
    changes), the outbox runs, and the hiring manager decides."""
    submit(world.interview, interviewer)
    submit(world.other_interview, other_interviewer)
    dispatch_all()
    assert Loop.objects.get(pk=world.loop.pk).status == Loop.Status.READY_FOR_DEBRIEF
    decision_record(
        loop=world.loop,
        outcome="hire",
        rationale="Clear strategist, strong panel.",
        by=hiring_manager,
    )


@pytest.mark.django_db
def test_every_event_arrives_once_and_signed_after_the_receiver_fails_twice(
    world, interviewer, other_interviewer, hiring_manager, receiver
):
    # given an integration subscribed to the four events, whose server fails twice first
    receiver.script = [500, 500]
    subscribe(receiver)

    with time_machine.travel(timezone.now(), tick=True) as clock:
        # when the loop runs its course through the real services
        run_the_loop(world, interviewer, other_interviewer, hiring_manager)
        # and the outbox and the sender run, the clock moving past each backoff
        for _ in range(10):
            dispatch_all()
            webhooks.deliver_due()
            if not WebhookDelivery.objects.exclude(status="delivered").exists():
                break
            clock.shift(timedelta(minutes=2))

        # then the receiver accepted every event once, each signature valid
        assert_each_event_accepted_once(receiver)
        assert [item["valid"] for item in receiver.requests[:2]] == [True, True]
        assert len(receiver.requests) == len(receiver.accepted) + 2
        # the two failures are in the log of the deliveries they hit, then their success
        failures = [
            (delivery.pk, entry)
            for delivery in WebhookDelivery.objects.all()
            for entry in delivery.attempt_log
            if entry.get("status") == 500
        ]
        assert len(failures) == 2
        for pk, entry in failures:
            delivery = WebhookDelivery.objects.get(pk=pk)
            assert delivery.status == "delivered"
            assert delivery.attempt_log[-1]["status"] == 200
            assert delivery.attempts == len(delivery.attempt_log) >= 2
            assert entry["response"] == "no: 500"
        # the bodies hold ids and facts, never the candidate's name or e-mail
        candidate = world.loop.candidate
        for item in receiver.accepted:
            assert item["body"]["data"]["loop_id"] == world.loop.pk
            assert candidate.full_name not in str(item["body"])
            assert candidate.email not in str(item["body"])

        # and a later sweep sends nothing more
        clock.shift(timedelta(days=1))
        dispatch_all()
        assert webhooks.deliver_due() == 0
        assert len(receiver.requests) == len(receiver.accepted) + 2


@pytest.mark.django_db
def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.script = [500] * 10
    delivery = webhooks.send_ping(subscribe(receiver))

    with time_machine.travel(timezone.now(), tick=False) as clock:  # gaps are exact
        gaps = []
        for _ in range(5):
            before = timezone.now()
            webhooks.deliver_due()
            delivery.refresh_from_db()
            gaps.append((delivery.next_attempt_at - before).total_seconds())
            clock.shift(timedelta(hours=1))

    assert (delivery.status, delivery.attempts, len(receiver.requests)) == ("failed", 3, 3)
    assert [entry["status"] for entry in delivery.attempt_log] == [500, 500, 500]
    assert delivery.last_error == "HTTP 500: no: 500"
    # backoff: 50-100 % of 30 s, then of 60 s (WEBHOOK_RETRY_BASE_SECONDS doubling)
    assert 15 <= gaps[0] <= 30
    assert 30 <= gaps[1] <= 60


@pytest.mark.worker
@transactional
def test_a_real_worker_delivers_the_events_through_the_task_path(
    start_worker, world, interviewer, other_interviewer, hiring_manager, receiver
):
    # given a worker that retries after a second, and a receiver that fails twice first
    receiver.script = [500, 500]
    subscribe(receiver)
    worker = start_worker(
        extra_env={"WEBHOOK_RETRY_BASE_SECONDS": "1", "WEBHOOK_RETRY_MAX_SECONDS": "2"}
    )

    # when the loop runs its course; nothing but the commits' nudges drives the worker
    submit(world.interview, interviewer)
    submit(world.other_interview, other_interviewer)
    wait_for(
        lambda: Loop.objects.get(pk=world.loop.pk).status == Loop.Status.READY_FOR_DEBRIEF,
        timeout=30,
    )
    decision_record(
        loop=world.loop,
        outcome="hire",
        rationale="Clear strategist, strong panel.",
        by=hiring_manager,
    )

    # then every event reaches the receiver once, through dispatch_outbox and deliver_webhooks
    def all_in() -> bool:
        expected = webhook_events()
        return (
            set(expected) == set(ALL_EVENTS)
            and Counter(item["event"] for item in receiver.accepted) == expected
            and not WebhookDelivery.objects.exclude(status="delivered").exists()
        )

    wait_for(all_in, timeout=40)
    assert_each_event_accepted_once(receiver)
    assert len(receiver.requests) == len(receiver.accepted) + 2
    assert "hiring.tasks.deliver_webhooks" in worker.log()


@pytest.mark.worker
@transactional
def test_a_delivery_whose_worker_died_mid_request_is_sent_again_with_the_same_id(
    start_worker, receiver
):
    # given a receiver that holds the first request open
    receiver.stall_first = True
    delivery = webhooks.send_ping(subscribe(receiver))  # committed: the nudge reaches the worker
    worker = start_worker()

    # when the worker dies while the request is in flight, after claiming the row
    assert receiver.stalled.wait(30), worker.log()
    worker.kill()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sending", 1)

    # then nobody sends it while the lease runs
    assert webhooks.deliver_due() == 0
    assert len(receiver.requests) == 1

    # and after the lease it is sent again, with the same Loopwise-Delivery id, and accepted
    with time_machine.travel(timezone.now() + timedelta(seconds=121), tick=True):
        assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [item["delivery"] for item in receiver.requests] == [str(delivery.event_id)] * 2
    assert receiver.deliveries() == [str(delivery.event_id)]


@transactional
def test_two_sweepers_at_once_send_each_delivery_once(receiver):
    # given twenty deliveries due
    subscription = subscribe(receiver)
    pings = [webhooks.send_ping(subscription) for _ in range(20)]

    # when two sweepers in two threads send them at the same time, in small batches, both
    # having selected their first batch before either claims a row of it
    def sweeper(_: None) -> None:
        while webhooks.deliver_due(3):
            pass

    with claims_meet((webhooks, "_claim")) as claims:
        at_once(sweeper)

    # then they raced for the same three rows, and each row went to one of them
    first_batches = [claims.tried(thread)[:3] for thread in (0, 1)]
    assert len(first_batches[0]) == 3
    assert first_batches[0] == first_batches[1]
    won = claims.winners()
    assert won == dict.fromkeys(won, 1)  # how many sweepers claimed each row
    # and the receiver accepted each one once, and each row says so after one attempt
    assert sorted(receiver.deliveries()) == sorted(str(p.event_id) for p in pings)
    assert len(receiver.requests) == 20
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}
