"""A real worker process, the real Redis broker, the real PostgreSQL database."""

import pytest

from hiring.models import Loop
from scorecards.tasks import refresh_loop_status
from tests.celery_worker import wait_for
from tests.factories import InterviewFactory, UserFactory

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


def test_a_killed_worker_is_replaced_and_the_task_still_runs(start_worker):
    interview = InterviewFactory(interviewers=[UserFactory()])
    first = start_worker()
    first.kill()
    assert first.process is not None
    assert first.process.poll() is not None

    refresh_loop_status.delay(interview.loop.pk)  # queued while no worker runs
    start_worker()
    wait_for(lambda: Loop.objects.get(pk=interview.loop.pk).status == Loop.Status.AWAITING_FEEDBACK)
