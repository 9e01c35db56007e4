"""Summaries are computed when scorecards arrive (through the outbox), recomputed on an
amendment, and identical when recomputed with the same inputs."""

import pytest

from hiring.delivery import outbox
from hiring.models import OutboxEvent
from scorecards import services
from scorecards.calibration import summaries
from scorecards.models import CalibrationRun, LoopSummary, SummaryRefresh
from scorecards.services import RatingInput
from scorecards.tasks import nightly_calibration, refresh_summary_batch
from tests.concurrency import collide
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db


def submit(interview, person, rating=3, **overrides):
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=person)
    content = full_content(interview, **overrides)
    content.ratings = {pk: RatingInput(rating=rating, evidence="e") for pk in content.ratings}
    return services.scorecard_submit(
        scorecard=scorecard, by=person, content=content, amend=scorecard.is_submitted
    )


def test_partial_then_complete_summary_through_the_outbox(world, interviewer, other_interviewer):
    submit(world.interview, interviewer)
    outbox.dispatch()
    summary = LoopSummary.objects.get(loop=world.loop)
    assert summary.recommendation == "incomplete"
    assert summary.reason_codes[0] == "partial"
    assert (summary.scorecards_in, summary.scorecards_expected) == (1, 2)

    submit(world.other_interview, other_interviewer, rating=4)
    outbox.dispatch()
    summary.refresh_from_db()
    assert summary.recommendation in {"hire", "strong_hire"}
    assert (summary.scorecards_in, summary.scorecards_expected) == (2, 2)
    assert summary.raw_score == pytest.approx((3 * 2 + 4 * 2) / 4, abs=0.3)


def test_an_amendment_recomputes_and_changes_the_fingerprint(world, interviewer, other_interviewer):
    submit(world.interview, interviewer)
    submit(world.other_interview, other_interviewer)
    outbox.dispatch()
    before = LoopSummary.objects.get(loop=world.loop)
    submit(world.interview, interviewer, rating=1, overall_recommendation="strong_no",
           amendment_reason="Reference check")  # fmt: skip
    outbox.dispatch()
    after = LoopSummary.objects.get(loop=world.loop)
    assert after.fingerprint != before.fingerprint
    assert after.recommendation == "no_hire"
    assert "must_have_below_bar" in after.reason_codes


def test_recomputing_with_the_same_inputs_is_identical(world, interviewer):
    submit(world.interview, interviewer)
    first = summaries.loop_summary_compute(loop_id=world.loop.pk)
    second = summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert first.pk == second.pk
    assert first.fingerprint == second.fingerprint
    assert LoopSummary.objects.count() == 1


def test_nightly_refit_records_a_run_and_its_batches_refresh_open_summaries(world, interviewer):
    submit(world.interview, interviewer)
    refresh = SummaryRefresh.objects.get(pk=nightly_calibration.apply().get())
    run = CalibrationRun.objects.get()
    assert run.n_ratings == 2
    assert not run.estimated  # too little history: defaults, small corrections
    assert (refresh.run, refresh.batches_total) == (run, 1)
    [batch] = refresh.batches.all()
    assert refresh_summary_batch.apply(kwargs={"batch_id": batch.pk}).get() == 1
    assert LoopSummary.objects.get(loop=world.loop).data["calibration_run"] == run.pk


def test_a_stale_summary_is_detectable(world, interviewer, other_interviewer):
    submit(world.interview, interviewer)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert not summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    # a scorecard arrives but nobody recomputed yet
    scorecard = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    services.scorecard_submit(
        scorecard=scorecard, by=other_interviewer, content=full_content(world.other_interview)
    )
    assert summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert not summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    LoopSummary.objects.update(model_version="ridge-als-0")
    assert summaries.loop_summary_is_stale(loop_id=world.loop.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_recomputes_leave_one_consistent_summary(world, interviewer):
    submit(world.interview, interviewer)
    assert not LoopSummary.objects.exists()
    # the second recompute starts while the first holds the loop's lock, half-way through
    # computing the loop's first summary
    collide(
        lambda _: summaries.loop_summary_compute(loop_id=world.loop.pk),
        inside=(summaries, "_compute"),
    )

    assert LoopSummary.objects.filter(loop=world.loop).count() == 1
    assert not summaries.loop_summary_is_stale(loop_id=world.loop.pk)
    # one change, one event: the second found the first's summary and changed nothing
    assert OutboxEvent.objects.filter(topic="loop.recommendation_changed").count() == 1
