"""The nightly refresh (issue 14, item 5): after the refit, the open loops' summaries are
refreshed in bounded batches that workers share, summaries whose inputs did not change are
left untouched (no write, no event), a batch run twice counts once, and each refresh records
how long it took."""

from __future__ import annotations

import base64
import json
import logging
import math
import re
from datetime import datetime
from typing import Any

import pytest
import redis
from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext

from hiring.delivery import outbox
from hiring.models import Loop, OutboxEvent, Requisition, User
from scorecards.calibration import summaries
from scorecards.models import (
    CalibrationRun,
    InterviewerCalibration,
    LoopSummary,
    SummaryRefresh,
    SummaryRefreshBatch,
)
from scorecards.tasks import nightly_calibration, refresh_summary_batch, summarise_loops
from tests import broker
from tests.celery_worker import wait_for
from tests.concurrency import collide
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.scorecards.test_summaries import submit

N_LOOPS = 5
BATCH = 2
CHANGED = "loop.recommendation_changed"
NUDGE = "hiring.tasks.dispatch_outbox"


def open_loops(requisition: Requisition, count: int = N_LOOPS) -> list[Loop]:
    """Open loops, each with one interview whose own interviewer has submitted a scorecard
    (an interviewer per loop: a rating in one loop is no input of another's summary)."""
    loops = []
    for index in range(count):
        loop = LoopFactory(requisition=requisition)
        person = UserFactory(username=f"panel{index}")
        submit(InterviewFactory(loop=loop, interviewers=[person]), person, rating=2 + index % 3)
        loops.append(loop)
    return loops


@pytest.fixture
def loops(db: None) -> list[Loop]:
    return open_loops(RequisitionFactory())


def computed_at(loops: list[Loop]) -> dict[int, datetime]:
    return dict(LoopSummary.objects.filter(loop__in=loops).values_list("loop_id", "computed_at"))


def queued(redis_client: redis.Redis) -> list[tuple[str, dict[str, Any]]]:
    """Every task waiting on the real broker: its name and keyword arguments."""
    found = []
    for message in broker.messages(redis_client):
        _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["task"], kwargs))
    return found


def queued_tasks(redis_client: redis.Redis) -> list[str]:
    return [task for task, _ in queued(redis_client)]


def queued_batches(redis_client: redis.Redis) -> list[int]:
    """The batch ids of the refresh batch tasks waiting on the real broker."""
    return [
        kwargs["batch_id"]
        for task, kwargs in queued(redis_client)
        if task == summaries.REFRESH_BATCH_TASK
    ]


def refreshed(**kwargs: Any) -> SummaryRefresh:
    """A refit, then a refresh run here, batch after batch."""
    summaries.calibration_refit()
    return summaries.refresh_open_summaries(batch_size=BATCH, inline=True, **kwargs)


# --- Batches across workers ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_nightly_task_queues_one_task_per_batch_of_open_loops(
    loops, redis_client, django_capture_on_commit_callbacks
):
    redis_client.flushdb()

    with django_capture_on_commit_callbacks(execute=True):
        refresh_id = nightly_calibration.apply(kwargs={"batch_size": BATCH}).get()

    refresh = SummaryRefresh.objects.get(pk=refresh_id)
    assert refresh.run == CalibrationRun.objects.get()  # it follows the refit it made
    assert refresh.batches_total == math.ceil(N_LOOPS / BATCH) == 3
    batches = list(refresh.batches.order_by("number"))
    assert sorted(queued_batches(redis_client)) == [batch.pk for batch in batches]
    # the batches cut the open loops into disjoint pk ranges that cover every one of them
    covered = [
        loop.pk
        for batch in batches
        for loop in loops
        if batch.first_loop_id <= loop.pk <= batch.last_loop_id
    ]
    assert sorted(covered) == sorted(loop.pk for loop in loops)
    # the work is the workers': the nightly task itself computed nothing
    assert not LoopSummary.objects.exists()
    assert (refresh.batches_done, refresh.finished_at) == (0, None)


@pytest.mark.django_db
def test_the_batches_compute_every_open_summary_and_the_last_records_the_duration(loops, caplog):
    caplog.set_level(logging.INFO, logger="scorecards.calibration.summaries")
    summaries.calibration_refit()
    refresh = summaries.refresh_open_summaries(batch_size=BATCH, inline=False)
    batches = list(refresh.batches.order_by("number"))

    for batch in batches[:-1]:
        refresh_summary_batch.apply(kwargs={"batch_id": batch.pk})
        refresh.refresh_from_db()
        assert refresh.finished_at is None  # not while a batch is still to run
    refresh_summary_batch.apply(kwargs={"batch_id": batches[-1].pk})

    refresh.refresh_from_db()
    assert LoopSummary.objects.filter(loop__in=loops).count() == N_LOOPS
    assert (refresh.batches_done, refresh.batches_total) == (3, 3)
    assert (refresh.loops_seen, refresh.changed, refresh.unchanged) == (N_LOOPS, N_LOOPS, 0)
    assert refresh.finished_at is not None
    last_done = SummaryRefreshBatch.objects.filter(refresh=refresh).aggregate(Max("done_at"))
    assert refresh.finished_at == last_done["done_at__max"]
    assert refresh.seconds == (refresh.finished_at - refresh.started_at).total_seconds() >= 0
    assert all(batch.seconds is not None for batch in refresh.batches.all())
    assert f"summary refresh {refresh.pk}: 5 loops, 5 changed, 0 unchanged in " in caplog.text


@pytest.mark.django_db
def test_a_refresh_with_nothing_open_is_finished_at_once():
    refresh = summaries.refresh_open_summaries(batch_size=BATCH)
    assert refresh.batches_total == 0
    assert refresh.seconds == 0.0


# --- Skipping what did not change --------------------------------------------------------


@pytest.mark.django_db
def test_a_second_refit_with_no_new_ratings_changes_no_row(
    loops, django_capture_on_commit_callbacks
):
    first = refreshed()
    assert (first.changed, first.unchanged) == (N_LOOPS, 0)
    before = computed_at(loops)
    fingerprints = set(LoopSummary.objects.values_list("fingerprint", flat=True))
    events = OutboxEvent.objects.count()

    with django_capture_on_commit_callbacks() as callbacks:
        second = refreshed()

    assert CalibrationRun.objects.count() == 2  # a new run, and nothing moved
    assert (second.loops_seen, second.changed, second.unchanged) == (N_LOOPS, 0, N_LOOPS)
    assert computed_at(loops) == before
    assert set(LoopSummary.objects.values_list("fingerprint", flat=True)) == fingerprints
    assert OutboxEvent.objects.count() == events
    assert not [c for c in callbacks if getattr(c, "task_name", None) == NUDGE]
    assert not any(summaries.loop_summary_is_stale(loop_id=loop.pk) for loop in loops)


def refit_moving_only(newcomer: User) -> CalibrationRun:
    """The refit a tenant with real history makes after one more scorecard: a new run whose
    variances, and every other interviewer's correction, moved by far less than the
    fingerprint's precision; only the newcomer gains a correction. (A five-loop world cannot
    show that: there, two ratings move the residual variance in its second decimal, and the
    real refit rightly refreshes every loop, as the next test shows.)"""
    run = summaries.current_run()
    assert run is not None
    run.pk = None  # a new run (a new id) with the same fitted variances
    run.save()
    InterviewerCalibration.objects.update(run=run)
    InterviewerCalibration.objects.create(
        interviewer=newcomer, run=run, leniency=-0.02, leniency_se=0.12, ratings=2
    )
    return run


@pytest.mark.django_db
def test_a_new_rating_in_one_loop_changes_exactly_that_loop(loops):
    refreshed()
    before = computed_at(loops)
    events = OutboxEvent.objects.filter(topic=CHANGED).count()
    # a second interview of the first loop, and its interviewer's scorecard
    newcomer = UserFactory(username="newcomer")
    submit(InterviewFactory(loop=loops[0], interviewers=[newcomer]), newcomer, rating=4)
    assert summaries.loop_summary_is_stale(loop_id=loops[0].pk)
    run = refit_moving_only(newcomer)

    again = summaries.refresh_open_summaries(batch_size=BATCH, run=run)

    assert (again.loops_seen, again.changed, again.unchanged) == (N_LOOPS, 1, N_LOOPS - 1)
    after = computed_at(loops)
    assert [loop.pk for loop in loops if after[loop.pk] != before[loop.pk]] == [loops[0].pk]
    summary = LoopSummary.objects.get(loop=loops[0])
    assert summary.scorecards_in == 2
    assert summary.data["interviewers"][str(newcomer.pk)]["leniency"] == -0.02
    assert not summaries.loop_summary_is_stale(loop_id=loops[0].pk)
    # its verdict moved (a 4 joined a 2), and only its event was emitted
    new_events = OutboxEvent.objects.filter(topic=CHANGED).order_by("pk")[events:]
    assert [event.payload["loop_id"] for event in new_events] == [loops[0].pk]
    assert new_events[0].payload["previous"]["recommendation"] != summary.recommendation


@pytest.mark.django_db
def test_a_refit_that_moves_the_variances_refreshes_every_open_summary(loops):
    first = refreshed()
    newcomer = UserFactory(username="newcomer")
    submit(InterviewFactory(loop=loops[0], interviewers=[newcomer]), newcomer, rating=1)

    again = refreshed()

    runs = CalibrationRun.objects.order_by("pk")
    assert first.run == runs[0]
    assert abs(runs[1].residual_variance - runs[0].residual_variance) > 1e-3
    assert (again.changed, again.unchanged) == (N_LOOPS, 0)  # every interval moved
    assert not any(summaries.loop_summary_is_stale(loop_id=loop.pk) for loop in loops)


@pytest.mark.django_db
def test_a_changed_leniency_changes_the_summaries_that_use_it(loops):
    """The fitted values are inputs: a refit that moves an interviewer's correction beyond
    the fingerprint's precision refreshes their loops (and only theirs)."""
    refreshed()
    before = computed_at(loops)
    panelist = User.objects.get(username="panel1")
    panelist.calibration.leniency += 0.01
    panelist.calibration.save()
    assert summaries.loop_summary_is_stale(loop_id=loops[1].pk)

    again = summaries.refresh_open_summaries(batch_size=BATCH)

    assert (again.changed, again.unchanged) == (1, N_LOOPS - 1)
    after = computed_at(loops)
    assert [loop.pk for loop in loops if after[loop.pk] != before[loop.pk]] == [loops[1].pk]
    stored = LoopSummary.objects.get(loop=loops[1]).data["interviewers"][str(panelist.pk)]
    assert stored["leniency"] == pytest.approx(panelist.calibration.leniency)


@pytest.mark.django_db
def test_a_new_model_version_refreshes_every_summary(loops):
    refreshed()
    LoopSummary.objects.filter(loop=loops[2]).update(model_version="ridge-als-0")
    assert summaries.loop_summary_is_stale(loop_id=loops[2].pk)

    again = summaries.refresh_open_summaries(batch_size=BATCH)

    assert (again.changed, again.unchanged) == (1, N_LOOPS - 1)
    assert not summaries.loop_summary_is_stale(loop_id=loops[2].pk)


@pytest.mark.django_db
def test_decided_and_withdrawn_loops_are_untouched(loops):
    refreshed()
    decided, withdrawn, closes_meanwhile = loops[0], loops[1], loops[4]
    Loop.objects.filter(pk=decided.pk).update(status=Loop.Status.DECIDED)
    Loop.objects.filter(pk=withdrawn.pk).update(status=Loop.Status.WITHDRAWN)
    # every summary made stale, so a refresh would rewrite any it looked at
    LoopSummary.objects.update(fingerprint="before")
    refresh = summaries.refresh_open_summaries(batch_size=BATCH, inline=False)
    # a loop decided after the refresh was planned, before its batch runs
    Loop.objects.filter(pk=closes_meanwhile.pk).update(status=Loop.Status.DECIDED)

    for batch in refresh.batches.order_by("number"):
        summaries.refresh_batch(batch_id=batch.pk)

    refresh.refresh_from_db()
    assert refresh.batches_total == 2  # three open loops when planned
    assert (refresh.loops_seen, refresh.changed) == (2, 2)
    assert refresh.finished_at is not None
    untouched = LoopSummary.objects.filter(loop__in=[decided, withdrawn, closes_meanwhile])
    assert set(untouched.values_list("fingerprint", flat=True)) == {"before"}


# --- Once, however often a batch runs ----------------------------------------------------


@pytest.mark.django_db
def test_running_a_batch_again_counts_nothing_twice(loops):
    summaries.calibration_refit()
    refresh = summaries.refresh_open_summaries(batch_size=BATCH, inline=False)
    first = refresh.batches.order_by("number").first()
    assert first is not None

    assert summaries.refresh_batch(batch_id=first.pk) is not None
    LoopSummary.objects.update(fingerprint="stale again")  # a re-run would rewrite them
    assert refresh_summary_batch.apply(kwargs={"batch_id": first.pk}).get() is None

    refresh.refresh_from_db()
    assert (refresh.batches_done, refresh.loops_seen, refresh.changed) == (1, BATCH, BATCH)
    assert set(LoopSummary.objects.values_list("fingerprint", flat=True)) == {"stale again"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_run_twice_at_once_is_computed_and_counted_once(loops):
    summaries.calibration_refit()
    refresh = summaries.refresh_open_summaries(batch_size=N_LOOPS, inline=False)
    [batch] = refresh.batches.all()

    # the second run starts while the first holds the batch, half-way through its loops
    first, second = collide(
        lambda _: summaries.refresh_batch(batch_id=batch.pk),
        inside=(summaries, "_refresh_loops"),
    )

    assert first is not None
    assert first.changed == N_LOOPS
    assert second is None  # it waited for the first, then found the batch done
    refresh.refresh_from_db()
    assert (refresh.batches_done, refresh.loops_seen, refresh.changed) == (1, N_LOOPS, N_LOOPS)
    # one summary and one recommendation_changed event per loop
    assert LoopSummary.objects.filter(loop__in=loops).count() == N_LOOPS
    assert OutboxEvent.objects.filter(topic=CHANGED).count() == N_LOOPS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_is_one_transaction_with_one_outbox_nudge(loops, redis_client):
    summaries.calibration_refit()
    refresh = summaries.refresh_open_summaries(batch_size=N_LOOPS, inline=False)
    [batch] = refresh.batches.all()
    redis_client.flushdb()

    summaries.refresh_batch(batch_id=batch.pk)

    # five loops whose recommendation appeared: five events, and one message for all of them
    assert OutboxEvent.objects.filter(topic=CHANGED).count() == N_LOOPS
    assert queued_tasks(redis_client) == [NUDGE]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_summarising_queued_loops_nudges_the_outbox_once_per_batch(loops, redis_client):
    """What the importer and stale reads queue: 5 new summaries, one message, not five."""
    redis_client.flushdb()

    assert summarise_loops([loop.pk for loop in loops] + [10**9]) == N_LOOPS  # one gone

    assert LoopSummary.objects.filter(loop__in=loops).count() == N_LOOPS
    assert OutboxEvent.objects.filter(topic=CHANGED).count() == N_LOOPS
    assert queued_tasks(redis_client) == [NUDGE]


def batch_queries(batch_size: int) -> tuple[int, int]:
    """The queries of one batch of a fresh refresh, and how many loops it held."""
    refresh = summaries.refresh_plan(batch_size=batch_size, run=summaries.current_run())
    first = refresh.batches.order_by("number").first()
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        batch = summaries.refresh_batch(batch_id=first.pk)
    assert batch is not None
    return len(queries), batch.loops_seen


@pytest.mark.django_db
def test_a_batch_reads_its_loops_in_a_number_of_queries_that_does_not_grow_with_them(loops):
    refreshed()
    LoopSummary.objects.update(model_version="ridge-als-0")  # every one to be rewritten

    # neither is its refresh's last batch (the last one also reads the refresh to log it)
    one = batch_queries(1)
    four = batch_queries(4)  # the first loop again, current now, and three to rewrite

    assert (one[1], four[1]) == (1, 4)
    assert one[0] == four[0]


@pytest.mark.django_db
def test_administrators_read_each_refresh_and_its_batches_in_the_admin(loops, admin_client):
    refresh = refreshed()

    listing = admin_client.get("/admin/scorecards/summaryrefresh/")
    page = admin_client.get(f"/admin/scorecards/summaryrefresh/{refresh.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert f"{refresh.seconds:.1f} s" in listing.content.decode()
    assert "3/3" in listing.content.decode()  # batches done
    assert page.content.decode().count("field-first_loop_id") == 3  # one row per batch
    assert b'name="_save"' not in page.content  # a log: nothing to save


# --- A real worker ---------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_run_the_nightly_batches_and_the_refresh_finishes(start_worker, redis_client):
    # given open loops whose scorecards are in and whose first summaries were computed
    # (before any refit), committed for the worker to see, and no message left waiting
    loops = open_loops(RequisitionFactory())
    outbox.dispatch()
    redis_client.flushdb()

    # when beat's nightly task reaches a real worker (two processes) through the real broker
    worker = start_worker(concurrency=2)
    nightly_calibration.delay(batch_size=BATCH)

    # then the worker ran one task per batch and the refresh finished with every loop (the
    # first refit gave every interviewer a correction: every summary changed)
    wait_for(lambda: SummaryRefresh.objects.filter(finished_at__isnull=False).exists(), 120)
    refresh = SummaryRefresh.objects.get()
    assert (refresh.batches_total, refresh.batches_done) == (3, 3)
    assert (refresh.loops_seen, refresh.changed, refresh.unchanged) == (N_LOOPS, N_LOOPS, 0)
    assert LoopSummary.objects.filter(loop__in=loops).count() == N_LOOPS
    first_done = refresh.batches.aggregate(first=Min("done_at"))["first"]
    assert refresh.started_at <= first_done <= refresh.finished_at
    wait_for(lambda: "summary refresh" in worker.log())
    log = worker.log()
    assert len(re.findall(r"refresh_summary_batch\[[-\w]+\] succeeded", log)) == 3
    assert f"summary refresh {refresh.pk}: 5 loops, 5 changed, 0 unchanged in " in log
