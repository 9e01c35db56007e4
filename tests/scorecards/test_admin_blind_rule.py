"""The recruiter's admin with the blind rule (DESIGN §6): loop summaries and interviewer
calibration for one's own requisitions, and nothing of a loop's verdict or colleagues'
scorecards while one sits on its panel and still owes a scorecard."""

import pytest
from django.contrib.auth.models import Group

from hiring.roles import RECRUITERS_GROUP
from scorecards.calibration import summaries
from scorecards.models import Scorecard
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def recruiter_on_panel(world, recruiter, interviewer, other_interviewer):
    """The world's loop, complete but for the recruiter's own interview."""
    own = InterviewFactory(loop=world.loop, interviewers=[recruiter], focus=["communication"])
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=3)
    summaries.calibration_refit()
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    return own


@pytest.fixture
def second_loop(world, interviewer):
    """Another loop of the same requisition, without the recruiter on its panel."""
    loop = LoopFactory(requisition=world.requisition)
    interview = InterviewFactory(loop=loop, interviewers=[interviewer], focus=["communication"])
    submit(interview, interviewer, rating=2)
    summaries.loop_summary_compute(loop_id=loop.pk)
    return loop


def test_a_recruiter_on_the_panel_sees_no_verdict_until_they_submit(
    client, world, recruiter, recruiter_on_panel, second_loop
):
    client.force_login(recruiter)

    loops = client.get("/admin/hiring/loop/").content.decode()
    assert "Hidden until your scorecard is in" in loops
    summaries_page = client.get("/admin/scorecards/loopsummary/").content.decode()
    assert second_loop.candidate.full_name in summaries_page
    assert world.loop.candidate.full_name not in summaries_page
    colleague = Scorecard.objects.get(interview=world.interview)
    scorecards = client.get("/admin/scorecards/scorecard/").content.decode()
    assert f"/scorecard/{colleague.pk}/change/" not in scorecards  # colleagues' stay hidden

    # once their own scorecard is in, all of it appears
    submit(recruiter_on_panel, recruiter, rating=3)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    assert "hidden until" not in client.get("/admin/hiring/loop/").content.decode()
    assert (
        world.loop.candidate.full_name
        in client.get("/admin/scorecards/loopsummary/").content.decode()
    )
    scorecards = client.get("/admin/scorecards/scorecard/").content.decode()
    assert f"/scorecard/{colleague.pk}/change/" in scorecards


def test_summaries_and_calibration_stay_within_ones_own_requisitions(
    client, world, recruiter, interviewer, other_interviewer
):
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=3)
    summaries.calibration_refit()
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    stranger = UserFactory(username="sam", is_staff=True)
    stranger.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    RequisitionFactory(recruiters=[stranger])

    client.force_login(recruiter)
    summary = world.loop.summary
    assert client.get("/admin/scorecards/loopsummary/").status_code == 200
    assert client.get(f"/admin/scorecards/loopsummary/{summary.pk}/change/").status_code == 200
    calibration = client.get("/admin/scorecards/interviewercalibration/").content.decode()
    assert str(interviewer) in calibration

    client.force_login(stranger)
    assert (
        world.loop.candidate.full_name
        not in client.get("/admin/scorecards/loopsummary/").content.decode()
    )
    assert client.get(f"/admin/scorecards/loopsummary/{summary.pk}/change/").status_code == 302
    calibration = client.get("/admin/scorecards/interviewercalibration/").content.decode()
    assert str(interviewer) not in calibration
