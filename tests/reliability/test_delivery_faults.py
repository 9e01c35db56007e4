"""Notifications under faults, counted by a real SMTP server: sweeps racing, a worker killed
mid-send, Redis down during a submission, an SMTP server refusing for a while. A message is
delivered when the server answered 250; "0 lost, 0 duplicate" means every notification row
was accepted exactly once (by its Message-ID) and nothing else was."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from hiring.delivery import notifications
from hiring.models import Notification, OutboxEvent
from hiring.tasks import dispatch_outbox, send_due_notifications
from scorecards import services
from scorecards.reminders import sweep as reminders
from scorecards.tasks import schedule_reminders
from tests.celery_worker import wait_for
from tests.concurrency import at_once, claims_meet
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.reliability.conftest import FAULT_COUNTS, WORKER_LEASE_SECONDS, SmtpSink
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def daytime_zone() -> str:
    """A zone where it is about noon now, so no reminder waits for quiet hours to end and
    recruiters' digests are due, whenever the suite runs."""
    offset = 12 - datetime.now(UTC).hour
    if offset == 0:
        return "UTC"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT-3 is UTC+3


def overdue_panel(count: int, *, hours_ago: float = 2.0):
    """A requisition whose ``count`` interviews ended ``hours_ago``, none with a scorecard."""
    zone = daytime_zone()
    recruiter = UserFactory(username="rita", time_zone=zone, is_staff=True)
    requisition = RequisitionFactory(
        recruiters=[recruiter], hiring_manager=UserFactory(username="hugo", time_zone=zone)
    )
    loop = LoopFactory(requisition=requisition)
    ended = timezone.now() - timedelta(hours=hours_ago)
    interviews = [
        InterviewFactory(
            loop=loop,
            interviewers=[UserFactory(username=f"panel{i}", time_zone=zone)],
            starts_at=ended - timedelta(hours=1),
            ends_at=ended,
        )
        for i in range(count)
    ]
    return requisition, interviews


def tasks_in_hand(broker: redis.Redis, *, dead: Collection[bytes] = ()) -> int:
    """Tasks queued, reserved or running on a live worker. Tasks are acknowledged late
    (after they return), so until then the broker keeps each one in its unacked set;
    ``dead`` are the delivery tags a killed worker left there."""
    queued = sum(
        broker.llen(key)
        for queue in settings.CELERY_TASK_QUEUES  # each routed queue (and its priority lists)
        for key in broker.scan_iter(f"{queue.name}*")
        if broker.type(key) == b"list"
    )
    return queued + len(set(broker.hkeys("unacked")) - set(dead))


def settled(broker: redis.Redis, *, dead: Collection[bytes] = ()) -> None:
    """Wait until no more e-mail can go out: every notification row is final (none pending
    or being sent) and no task is queued, reserved or running. A late duplicate (a worker
    still in the middle of a send whose lease another worker took over) would come from a
    task still in hand, so counting after this sees it; and a task not yet taken finds
    nothing left to send."""

    def nothing_left() -> bool:
        unfinished = Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING]
        )
        return not unfinished.exists() and tasks_in_hand(broker, dead=dead) == 0

    wait_for(nothing_left, timeout=60)


def assert_once_each(case: str, sink: SmtpSink) -> None:
    """Every notification row accepted exactly once, nothing else accepted."""
    rows = list(Notification.objects.order_by("pk"))
    expected = {notifications.message_id_for(row) for row in rows}
    seen = sink.message_ids()
    lost = [mid for mid in expected if seen[mid] == 0]
    duplicate = {mid: n for mid, n in seen.items() if n > 1}
    unexpected = [mid for mid in seen if mid not in expected]
    FAULT_COUNTS.append(
        f"{case}: notifications={len(rows)} accepted={len(sink.accepted)} "
        f"unique={len(seen)} lost={len(lost)} duplicate={sum(duplicate.values()) - len(duplicate)} "
        f"smtp_refusals={sink.refused} attempts={sum(row.attempts for row in rows)}"
    )
    assert (lost, duplicate, unexpected) == ([], {}, [])
    assert all(row.status == Notification.Status.SENT for row in rows)


def beat(*tasks, every: float = 0.5, until, timeout: float = 40.0) -> None:
    """Play celery beat: queue the sweep tasks every ``every`` seconds until ``until()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in tasks:
            with contextlib.suppress(Exception):  # the broker may still be reconnecting
                task.delay()
        if until():
            return
        time.sleep(every)
    raise TimeoutError("the sweeps did not finish in time")


def finishes(action: Callable[[], object], *, deadline: float = 30.0) -> None:
    """Run ``action`` on a thread of its own and fail, rather than hang, if it has not
    returned by ``deadline``: a publish to a stopped broker gives up after three quick tries
    (CELERY_TASK_PUBLISH_RETRY_POLICY), so only waiting on the broker for good can miss it."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # surfaced in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(deadline)
    assert not thread.is_alive(), f"still waiting on the broker after {deadline} s"
    if errors:
        raise errors[0]


# --- Two sweeps at once --------------------------------------------------------------------


def test_two_sweeps_in_two_threads_send_each_message_once(smtp_sink):
    # given 20 overdue scorecards: 20 reminders and the recruiter's digest fall due
    overdue_panel(20)

    # when two sweepers run the reminder sweep and then the delivery sweep at the same time,
    # both having selected their first batch before either claims a row of it
    def sweeper(_: None) -> None:
        reminders.schedule_due_reminders()
        while notifications.deliver_due(5):
            pass

    with claims_meet((notifications, "_claim")) as claims:
        at_once(sweeper)

    # then they raced for the same five rows, and each row went to one of them
    first_batches = [claims.tried(thread)[:5] for thread in (0, 1)]
    assert len(first_batches[0]) == 5
    assert first_batches[0] == first_batches[1]
    won = claims.winners()
    assert won == dict.fromkeys(won, 1)  # how many sweepers claimed each row
    # and each e-mail arrived once
    assert Notification.objects.count() == 21
    assert_once_each("two sweeps, two threads", smtp_sink)


@pytest.mark.worker
def test_two_beat_sweepers_in_two_workers_send_each_message_once(
    start_worker, smtp_server, worker_env, redis_client
):
    sink, _ = smtp_server
    # given 15 scorecards missing for 50 h: an overdue reminder each, an escalation each, and
    # the recruiter's digest
    overdue_panel(15, hours_ago=50)
    env = worker_env | {"NOTIFICATION_BATCH_SIZE": "4"}  # sweeps re-queue and interleave
    start_worker(extra_env=env)
    start_worker(extra_env=env)

    # when both workers run the reminder and delivery sweeps, several times, at once
    for _ in range(3):
        schedule_reminders.delay()
        send_due_notifications.delay()
        schedule_reminders.delay()
        send_due_notifications.delay()
    wait_for(lambda: Notification.objects.count() == 31, timeout=40)
    beat(send_due_notifications, every=1.0, until=lambda: len(sink.accepted) >= 31)
    settled(redis_client)

    # then one row per reminder and one e-mail per row
    assert Notification.objects.filter(reason=notifications.SCORECARD_DUE, sequence=2).count() == 15
    assert Notification.objects.filter(reason=notifications.SCORECARD_ESCALATION).count() == 15
    assert_once_each("two beat sweepers, two workers", sink)


# --- A worker killed mid-send --------------------------------------------------------------


@pytest.mark.worker
def test_a_worker_killed_while_sending_is_replaced_and_every_email_arrives_once(
    start_worker, smtp_server, worker_env, redis_client
):
    sink, _ = smtp_server
    sink.stall_first = True  # the server holds the first DATA: the worker hangs in SMTP
    # given five overdue scorecards, their reminders due (and the recruiter's digest)
    overdue_panel(5)
    reminders.schedule_due_reminders()
    total = Notification.objects.count()

    # when the worker sending them is SIGKILLed in the middle of the SMTP conversation
    first = start_worker(extra_env=worker_env)
    send_due_notifications.delay()
    wait_for(sink.stalled.is_set, timeout=30)
    first.kill()
    dead = redis_client.hkeys("unacked")  # the sweep the killed worker held, never acked
    stuck = Notification.objects.get(status=Notification.Status.SENDING)
    # and its lease runs out (the claim is made older in the database, not waited for)
    Notification.objects.filter(pk=stuck.pk).update(
        claimed_at=F("claimed_at") - timedelta(seconds=WORKER_LEASE_SECONDS)
    )

    # and a new worker takes over (beat keeps queuing the sweep)
    start_worker(extra_env=worker_env)
    beat(send_due_notifications, until=lambda: len(sink.accepted) >= total)
    settled(redis_client, dead=dead)

    # then every e-mail arrived once; the one in flight was re-sent after its lease
    stuck.refresh_from_db()
    assert stuck.attempts == 2
    assert_once_each("worker SIGKILLed mid-SMTP", sink)


def test_a_kill_between_the_servers_250_and_the_commit_resends_the_same_message_id(
    smtp_sink, settings
):
    """The one window SMTP cannot close (see hiring.notifications): the server accepted the
    message, the worker died before recording it. The copy sent after the lease carries the
    same Message-ID, so a de-duplicating receiver (and our count) sees one message."""
    overdue_panel(1)
    reminders.schedule_due_reminders()
    row = Notification.objects.get(reason=notifications.SCORECARD_DUE)
    # given a worker claimed the row and the server accepted it, then the worker died
    assert notifications._claim(row, timezone.now())
    rendered = notifications.renderer_for(row.reason)(row)
    notifications.build_message(row, rendered).send()
    # when a sweep runs after the lease (the claim is made older, not waited for)
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=F("claimed_at") - timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS + 1)
    )
    while notifications.deliver_due(10):
        pass
    # then two copies went out with one Message-ID
    copies = [m for m in smtp_sink.accepted if m["notification"] == str(row.pk)]
    assert len(copies) == 2
    assert len({m["message_id"] for m in copies}) == 1
    FAULT_COUNTS.append(
        "kill between SMTP 250 and commit (the documented window): "
        f"raw copies={len(copies)} unique Message-IDs=1"
    )


# --- Redis down during a submission --------------------------------------------------------


@pytest.mark.worker
def test_redis_down_while_the_last_scorecard_is_submitted_delays_the_notice_once(
    start_worker, smtp_server, worker_env, redis_control, redis_client, caplog
):
    sink, _ = smtp_server
    # given a loop with two interviews over, one scorecard in, and a worker running
    requisition, (first, last) = overdue_panel(2)
    start_worker(extra_env=worker_env)
    done, owed = first.interviewers.get(), last.interviewers.get()
    services.scorecard_submit(
        scorecard=services.scorecard_get_or_create(interview=first, interviewer=done),
        by=done,
        content=full_content(first),
    )
    wait_for(lambda: not OutboxEvent.objects.filter(processed_at=None).exists(), timeout=30)

    # when Redis is down while the last scorecard is submitted
    redis_control.stop()
    caplog.set_level(logging.WARNING, logger="hiring.delivery.background")
    finishes(
        lambda: services.scorecard_submit(
            scorecard=services.scorecard_get_or_create(interview=last, interviewer=owed),
            by=owed,
            content=full_content(last),
        )
    )
    # the submission gave up on the broker instead of waiting for it, and committed
    assert "could not reach the broker for hiring.tasks.dispatch_outbox" in caplog.text
    assert OutboxEvent.objects.filter(processed_at=None).count() == 1  # waits in PostgreSQL

    # and comes back
    redis_control.start()
    ready = "Ready for debrief"
    people = {requisition.hiring_manager.email, requisition.recruiters.get().email}
    beat(
        dispatch_outbox,
        send_due_notifications,
        until=lambda: set(sink.by_recipient(ready)) >= people,
        timeout=60,
    )
    settled(redis_client)

    # then the recruiter and the hiring manager were told, once each
    assert sink.by_recipient(ready) == dict.fromkeys(people, 1)
    assert_once_each("Redis down during submit", sink)


# --- The SMTP server refusing for a while --------------------------------------------------


@pytest.mark.worker
def test_an_smtp_server_refusing_for_a_while_gets_each_email_once(
    start_worker, smtp_server, worker_env, redis_client
):
    sink, _ = smtp_server
    sink.refuse_data = 3  # "451 try again later", three times
    # given an overdue scorecard: its reminder and the recruiter's digest are due
    overdue_panel(1)
    start_worker(extra_env=worker_env)

    # when they are sent (the retries nudge the worker themselves: no beat here)
    reminders.schedule_due_reminders()
    wait_for(lambda: len(sink.accepted) >= 2, timeout=40)
    settled(redis_client)

    # then both arrived once, after the refusals
    assert sink.refused == 3
    assert sum(row.attempts for row in Notification.objects.all()) == 5
    assert_once_each("SMTP 451 three times", sink)


def test_a_refused_recipient_is_failed_not_retried(smtp_sink):
    smtp_sink.bounce_rcpt = True  # 550 no such user
    overdue_panel(1)
    reminders.schedule_due_reminders()
    notifications.deliver_due(10)
    Notification.objects.update(due_at=timezone.now())  # even if asked again
    notifications.deliver_due(10)
    rows = list(Notification.objects.all())
    assert {row.status for row in rows} == {Notification.Status.FAILED}
    assert all(row.attempts == 1 for row in rows)
    assert all("550" in row.last_error for row in rows)
    assert smtp_sink.accepted == []
    FAULT_COUNTS.append(
        f"SMTP 550 (permanent): notifications={len(rows)} failed={len(rows)} "
        f"attempts={sum(r.attempts for r in rows)} accepted=0"
    )
