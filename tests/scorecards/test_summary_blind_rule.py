"""The blind rule applied to summaries: a hiring manager (or recruiter) who sat on the panel
sees the loop's scores, reasons and ranking, and decides, only once their own scorecard is
in. The summary is made of colleagues' ratings, so reading it first would anchor them."""

import pytest
from django.urls import reverse

from hiring.models import Decision
from scorecards.calibration import summaries
from tests.factories import InterviewFactory, LoopFactory
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db

HIDDEN = "Hidden until your scorecard is in"


@pytest.fixture
def panel_manager_loop(world, hiring_manager, interviewer, other_interviewer):
    """The hiring manager sits on a third interview; the two colleagues have submitted."""
    own = InterviewFactory(
        loop=world.loop, interviewers=[hiring_manager], focus=["commercial-acumen"]
    )
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    return own


def test_the_summary_page_waits_for_the_managers_own_scorecard(
    client, world, hiring_manager, panel_manager_loop
):
    client.force_login(hiring_manager)

    page = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Submit your scorecard first" in html
    assert reverse("scorecards:scorecard", args=[panel_manager_loop.pk]) in html
    assert "Calibrated overall" not in html
    assert "Why it needs a debrief" not in html
    assert 'name="rationale"' not in html  # no decision form either

    refused = client.post(
        reverse("scorecards:manager_decide", args=[world.loop.pk]),
        {"outcome": "hire", "rationale": "Looks strong from the others' notes."},
    )
    assert refused.status_code == 403
    assert not Decision.objects.exists()

    # once the manager's own scorecard is in, everything opens up
    submit(panel_manager_loop, hiring_manager, rating=3)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    html = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk])).content.decode()
    assert "Calibrated overall" in html
    assert 'name="rationale"' in html


def test_the_pipeline_hides_the_verdict_and_filters_do_not_leak_it(
    client, world, hiring_manager, interviewer, panel_manager_loop
):
    # a control loop, also incomplete, whose panel the manager is not on
    control = LoopFactory(requisition=world.requisition)
    InterviewFactory(loop=control, interviewers=[interviewer], focus=["communication"])
    summaries.loop_summary_compute(loop_id=control.pk)
    client.force_login(hiring_manager)
    pipeline = reverse("scorecards:manager_pipeline")
    recommendation = world.loop.summary.recommendation
    assert recommendation == control.summary.recommendation == "incomplete"

    html = client.get(pipeline).content.decode()
    assert HIDDEN in html
    assert world.loop.candidate.full_name in html

    filtered = client.get(pipeline + f"?recommendation={recommendation}").content.decode()
    assert world.loop.candidate.full_name not in filtered
    assert (
        control.candidate.full_name
        in client.get(pipeline + f"?recommendation={recommendation}").content.decode()
    )


def test_the_comparison_hides_the_column_and_does_not_rank_it(
    client, world, hiring_manager, interviewer, panel_manager_loop
):
    rival = LoopFactory(requisition=world.requisition)
    rival_interview = InterviewFactory(
        loop=rival, interviewers=[interviewer], focus=["communication"]
    )
    submit(rival_interview, interviewer, rating=2)
    summaries.loop_summary_compute(loop_id=rival.pk)
    client.force_login(hiring_manager)

    html = client.get(
        reverse("scorecards:manager_compare", args=[world.requisition.pk])
    ).content.decode()

    assert HIDDEN in html
    # the withheld candidate comes after the rival although their scores are higher
    assert html.index(rival.candidate.full_name) < html.index(world.loop.candidate.full_name)


def test_a_recruiter_not_on_the_panel_reads_the_summary(
    client, world, recruiter, panel_manager_loop
):
    client.force_login(recruiter)

    html = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk])).content.decode()

    assert "Calibrated overall" in html
    assert "Submit your scorecard first" not in html


def test_the_api_refuses_the_summary_and_the_decision_while_the_manager_owes(
    world, hiring_manager, panel_manager_loop
):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(hiring_manager)

    summary = client.get(f"/api/v1/loops/{world.loop.pk}/summary/")
    decision = client.post(
        f"/api/v1/loops/{world.loop.pk}/decisions/",
        {"outcome": "hire", "rationale": "From the others' notes."},
        format="json",
    )

    assert summary.status_code == decision.status_code == 403
    assert "submit your own scorecard first" in summary.json()["detail"]
    assert not Decision.objects.exists()

    submit(panel_manager_loop, hiring_manager, rating=3)
    assert client.get(f"/api/v1/loops/{world.loop.pk}/summary/").status_code == 200


def test_a_decisions_rationale_waits_for_the_readers_own_scorecard(
    client, world, recruiter, hiring_manager, interviewer, other_interviewer
):
    """A recruiter who sits on the panel and still owes a scorecard sees that a decision was
    made, but not the hiring manager's reasons: they are feedback about the candidate."""
    from django.contrib.auth.models import Group

    from hiring.decisions import decision_record
    from hiring.roles import RECRUITERS_GROUP

    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    owed = InterviewFactory(loop=world.loop, interviewers=[recruiter], focus=["communication"])
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=4)
    decision_record(
        loop=world.loop,
        outcome="hire",
        rationale="RATIONALE-SENTINEL: strongest systems thinking of the quarter.",
        by=hiring_manager,
    )
    client.force_login(recruiter)

    page = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk]))

    html = page.content.decode()
    assert "Submit your scorecard first" in html
    assert "Hire" in html  # that a decision exists is not feedback
    assert "RATIONALE-SENTINEL" not in html
    # once theirs is in, the reasons are there
    submit(owed, recruiter, rating=3)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    html = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk])).content.decode()
    assert "RATIONALE-SENTINEL" in html
