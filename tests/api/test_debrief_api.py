"""Issue 18 in the API: the loop's debrief meeting and its discussion, with the summary's
access rules (the blind rule included), on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hiring import debriefs
from hiring.models import DebriefComment, Loop, Notification
from tests.api.conftest import submit_scorecard

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

START = datetime(2031, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def ready(world, interviewer, other_interviewer) -> Loop:
    submit_scorecard(world.interview, interviewer)
    submit_scorecard(world.other_interview, other_interviewer)
    Loop.objects.filter(pk=world.loop.pk).update(status=Loop.Status.READY_FOR_DEBRIEF)
    world.loop.refresh_from_db()
    return world.loop


def test_staff_and_panel_read_the_debrief_an_outsider_gets_404(
    api_as, ready, recruiter, interviewer, outsider
):
    debrief = debriefs.debrief_schedule(
        loop=ready,
        starts_at=START,
        ends_at=START + timedelta(minutes=30),
        time_zone="UTC",
        video_url="https://meet.example/d",
        by=recruiter,
    )
    url = f"/api/v1/loops/{ready.pk}/debrief/"
    for person in (recruiter, interviewer):
        body = api_as(person).get(url).json()
        assert body["debrief"]["calendar_uid"] == debrief.calendar_uid
        assert body["debrief"]["video_url"] == "https://meet.example/d"
        assert interviewer.username in {p["username"] for p in body["invitees"]}
    assert api_as(outsider).get(url).status_code == 404


def test_the_thread_reads_and_writes_as_the_summary(
    api_as, ready, recruiter, hiring_manager, interviewer
):
    url = f"/api/v1/loops/{ready.pk}/comments/"
    posted = api_as(recruiter).post(
        url, {"body": f"@{hiring_manager.username} hire?"}, format="json"
    )
    assert posted.status_code == 201
    assert posted.json()["mentioned"][0]["username"] == hiring_manager.username
    assert Notification.objects.filter(
        reason=debriefs.DEBRIEF_MENTION, recipient=hiring_manager
    ).exists()
    [comment] = api_as(hiring_manager).get(url).json()
    assert comment["body"] == f"@{hiring_manager.username} hire?"
    # an interviewer sees the loop but not its summary: 403 with the reason, no text
    refused = api_as(interviewer).get(url)
    assert refused.status_code == 403
    assert "hire?" not in refused.content.decode()
    assert api_as(interviewer).post(url, {"body": "hi"}, format="json").status_code == 403


def test_a_mention_of_someone_who_may_not_read_is_a_400_naming_them(
    api_as, ready, recruiter, interviewer
):
    response = api_as(recruiter).post(
        f"/api/v1/loops/{ready.pk}/comments/",
        {"body": f"@{interviewer.username} thoughts?"},
        format="json",
    )
    assert response.status_code == 400
    assert f"@{interviewer.username} cannot be mentioned" in response.content.decode()
    assert not DebriefComment.objects.exists()


def test_a_manager_on_the_panel_who_owes_gets_403(api_as, world, hiring_manager, recruiter):
    from tests.factories import InterviewFactory

    InterviewFactory(loop=world.loop, interviewers=[hiring_manager])
    debriefs.comment_post(loop=world.loop, body="early thoughts", by=recruiter)
    response = api_as(hiring_manager).get(f"/api/v1/loops/{world.loop.pk}/comments/")
    assert response.status_code == 403
    assert "early thoughts" not in response.content.decode()


def test_the_manager_records_the_debrief_outcome_through_the_api_and_reads_it_back(
    api_as, ready, hiring_manager, interviewer, outsider
):
    url = f"/api/v1/loops/{ready.pk}/decisions/"
    refused = api_as(hiring_manager).post(
        url,
        {
            "outcome": "hire",
            "rationale": "Agreed.",
            "debrief_outcome": "held",
            "attendees": [outsider.pk],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert "attendees" in refused.json()
    recorded = api_as(hiring_manager).post(
        url,
        {
            "outcome": "hire",
            "rationale": "Agreed at the debrief.",
            "debrief_outcome": "held",
            "attendees": [interviewer.pk, hiring_manager.pk],
        },
        format="json",
    )
    assert recorded.status_code == 201, recorded.content
    debrief = recorded.json()["debrief"]
    assert debrief["outcome_display"] == "Debrief held"
    assert sorted(debrief["attendees"]) == sorted([interviewer.pk, hiring_manager.pk])
    listed = api_as(hiring_manager).get(f"/api/v1/decisions/?loop={ready.pk}").json()
    assert listed["results"][0]["debrief"]["outcome"] == "held"
