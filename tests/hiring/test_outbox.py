"""The outbox: recorded with the change, handled once, retried with backoff, never lost."""

import pytest
from django.db import transaction

from hiring.delivery import outbox
from hiring.models import Loop, OutboxEvent
from scorecards import services
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    seen = []
    monkeypatch.setitem(outbox._handlers, "test.event", [lambda payload: seen.append(payload)])
    return seen


def test_an_event_is_handled_once(calls):
    outbox.emit("test.event", {"n": 1})
    assert outbox.dispatch() == 1
    assert outbox.dispatch() == 0
    assert calls == [{"n": 1}]
    assert OutboxEvent.objects.get().processed_at is not None


def test_emitting_twice_with_one_key_records_one_event(calls):
    outbox.emit("test.event", {"n": 1}, dedupe_key="k")
    outbox.emit("test.event", {"n": 1}, dedupe_key="k")
    assert OutboxEvent.objects.count() == 1


def emit_then_fail():
    with transaction.atomic():
        outbox.emit("test.event", {"n": 1})
        raise RuntimeError("the change failed")


def test_a_rolled_back_change_leaves_no_event(calls):
    with pytest.raises(RuntimeError):
        emit_then_fail()
    assert not OutboxEvent.objects.exists()


def test_a_failing_handler_is_retried_later_then_given_up(monkeypatch):
    def broken(payload):
        raise ConnectionError("SMTP down")

    monkeypatch.setitem(outbox._handlers, "test.event", [broken])
    outbox.emit("test.event", {})
    outbox.dispatch()
    event = OutboxEvent.objects.get()
    assert (event.attempts, event.processed_at, event.failed) == (1, None, False)
    assert "SMTP down" in event.last_error
    assert outbox.dispatch() == 0  # backing off: not due yet
    for _ in range(outbox.MAX_ATTEMPTS):
        OutboxEvent.objects.update(available_at=event.created_at)
        outbox.dispatch()
    event.refresh_from_db()
    assert event.failed
    assert event.attempts == outbox.MAX_ATTEMPTS
    assert event.processed_at is not None


def test_submitting_with_the_broker_down_still_moves_the_loop(world, interviewer, broker_down):
    world.other_interview.status = "cancelled"
    world.other_interview.save()
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    with django_capture_on_commit():
        services.scorecard_submit(
            scorecard=scorecard, by=interviewer, content=full_content(world.interview)
        )
    event = OutboxEvent.objects.get(topic="scorecard.submitted")
    assert event.processed_at is None  # the nudge failed; the event waits
    outbox.dispatch()  # the beat sweep
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.READY_FOR_DEBRIEF


def django_capture_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_many_events_in_one_transaction_nudge_the_worker_once(calls):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks() as callbacks:
        for n in range(3):
            outbox.emit("test.event", {"n": n})
    assert len(callbacks) == 1
    assert OutboxEvent.objects.count() == 3
