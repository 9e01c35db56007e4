"""A real worker process, the real Redis broker, the real PostgreSQL database."""

from __future__ import annotations

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from hiring.models import Loop, OutboxEvent
from scorecards.models import Scorecard
from scorecards.tasks import refresh_loop_status
from tests.celery_worker import wait_for
from tests.factories import InterviewFactory, ScorecardFactory, UserFactory

pytestmark = pytest.mark.worker


def test_a_worker_runs_a_task_and_its_effect_lands_in_postgres(start_worker):
    # given a loop whose interviews are all over, but whose stage was never refreshed
    interview = InterviewFactory(interviewers=[UserFactory()])
    loop = interview.loop
    assert loop.status == Loop.Status.SCHEDULING

    # when a real worker runs the task from the real broker
    worker = start_worker()
    refresh_loop_status.delay(loop.pk)

    # then the worker wrote the new stage to PostgreSQL
    wait_for(lambda: Loop.objects.get(pk=loop.pk).status == Loop.Status.AWAITING_FEEDBACK)
    assert "refresh_loop_status" in worker.log()


def backends_waiting_for_my_locks() -> list[int]:
    """The PostgreSQL backends blocked on a lock this connection holds. Asked inside the
    test's transaction, where PostgreSQL would show the activity it saw on the first call
    again and again: the snapshot is cleared first, so a worker that starts waiting after
    that first call is seen."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return [pid for (pid,) in cursor.fetchall()]


def activity() -> str:
    """What every other backend of the database is doing: for a failure message."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, pg_blocking_pids(pid), "
            "left(query, 160) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return "\n".join(str(row) for row in cursor.fetchall())


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def ready_announcements(loop: Loop) -> int:
    return OutboxEvent.objects.filter(
        topic="loop.ready_for_debrief", payload__loop_id=loop.pk
    ).count()


# Two worker start-ups, a kill and a redelivery: each wait has a generous deadline of its own
# for a loaded machine, so the whole test gets more than the suite's 120 s.
@pytest.mark.timeout(420)
def test_a_task_whose_worker_is_killed_mid_task_is_redelivered_and_runs_once(
    start_worker, redis_client: redis.Redis
):
    # given a loop whose only scorecard is in, but whose stage was never refreshed
    panelist = UserFactory()
    interview = InterviewFactory(interviewers=[panelist])
    ScorecardFactory(
        interview=interview,
        interviewer=panelist,
        status=Scorecard.Status.SUBMITTED,
        first_submitted_at=timezone.now(),
    )
    loop = interview.loop
    assert loop.status == Loop.Status.SCHEDULING

    # and the refresh is queued before any worker runs
    task = refresh_loop_status.delay(loop.pk)

    # when a worker (the project's own Celery settings) takes it and, mid-task, is SIGKILLed
    # with its pool: this test holds the loop's row lock, so the task provably waits inside
    # its transaction when the kill lands
    with transaction.atomic():
        Loop.objects.select_for_update().get(pk=loop.pk)
        first = start_worker()
        try:
            (stuck,) = wait_for(backends_waiting_for_my_locks, timeout=90)
        except TimeoutError as timeout:
            raise TimeoutError(
                f"{timeout}\n{activity()}\nworker log:\n{first.log()[-4000:]}"
            ) from timeout
        first.kill()
    # The orphaned backend gets the lock, finds its client gone and rolls back.
    wait_for(lambda: not backend_alive(stuck), timeout=90)
    assert f"refresh_loop_status[{task.id}] received" in first.log()
    assert Loop.objects.get(pk=loop.pk).status == Loop.Status.SCHEDULING  # nothing landed
    # acks_late: the broker still holds the message, unacknowledged by the dead worker
    assert task.id.encode() in b"".join(redis_client.hvals("unacked"))

    # and a new worker starts; its broker hands on messages unacknowledged for 2 s (the
    # project keeps Redis's hour: the test stands in for "an hour later")
    second = start_worker(
        conf={
            "broker_transport_options": {
                "visibility_timeout": 2,
                "unacked_restore_interval": 1,
                "unacked_restore_throttle": 1,
            }
        }
    )

    # then the same task (same id) runs to completion on the new worker, exactly once
    wait_for(lambda: f"refresh_loop_status[{task.id}] succeeded" in second.log(), timeout=120)
    assert Loop.objects.get(pk=loop.pk).status == Loop.Status.READY_FOR_DEBRIEF
    assert ready_announcements(loop) == 1
    assert second.log().count(f"refresh_loop_status[{task.id}] succeeded") == 1
    assert f"refresh_loop_status[{task.id}] succeeded" not in first.log()
    wait_for(lambda: redis_client.hlen("unacked") == 0, timeout=90)  # acknowledged at last
