"""States that follow the clock: a scorecard opens at its interview's start (drafts may come
earlier unless SCORECARD_EARLY_DRAFTS is off), a cancelled or no-show interview's kit and
scorecard are read-only, and interviews that have ended become completed (shown so at once,
written by the periodic sweep)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from hiring.errors import Invalid
from hiring.models import Interview
from scorecards import services, tasks
from scorecards.models import Scorecard, ScorecardRevision
from scorecards.services import ScorecardContent
from tests import tokens
from tests.factories import InterviewFactory
from tests.scorecards.test_scorecard_form import complete_post, form_url
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db

EARLY = "submit your scorecard after it has begun."


def move(interview: Interview, *, starts_in: timedelta, hours: int = 1) -> Interview:
    interview.starts_at = timezone.now() + starts_in
    interview.ends_at = interview.starts_at + timedelta(hours=hours)
    interview.save(update_fields=["starts_at", "ends_at"])
    return interview


def set_status(interview: Interview, status: str) -> Interview:
    Interview.objects.filter(pk=interview.pk).update(status=status)
    interview.refresh_from_db()
    return interview


def api_client(user) -> APIClient:
    return tokens.api_client(user)


# --- Submitting before the start --------------------------------------------------------------


def test_the_service_refuses_a_submission_before_the_start_and_keeps_the_draft(world, interviewer):
    interview = move(world.interview, starts_in=timedelta(days=2))
    interviewer.time_zone = "Europe/Paris"
    interviewer.save(update_fields=["time_zone"])
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=interviewer)

    with pytest.raises(Invalid) as refused:
        services.scorecard_submit(
            scorecard=scorecard, by=interviewer, content=full_content(interview)
        )

    local = timezone.localtime(interview.starts_at, timezone.get_fixed_timezone(0))
    message = " ".join(refused.value.messages)
    assert message.startswith("This interview starts at ")
    assert message.endswith(EARLY)
    assert "(Europe/Paris)" in message  # in the interviewer's own zone
    assert str(local.year) in message
    scorecard.refresh_from_db()
    assert scorecard.status == Scorecard.Status.DRAFT
    draft = ScorecardRevision.objects.get(scorecard=scorecard)
    assert draft.submitted_at is None
    assert draft.key_takeaways == "Strong strategist."  # what was typed is kept


def test_the_own_scorecard_service_refuses_too_and_submits_once_the_interview_began(
    world, interviewer
):
    interview = move(world.interview, starts_in=timedelta(minutes=5))
    with pytest.raises(Invalid, match=EARLY):
        services.scorecard_submit_own(
            interview=interview, content=full_content(interview), by=interviewer, amend=False
        )

    move(interview, starts_in=-timedelta(minutes=1))
    own = services.scorecard_submit_own(
        interview=interview, content=full_content(interview), by=interviewer, amend=False
    )
    assert own.scorecard.status == Scorecard.Status.SUBMITTED


def test_early_drafts_can_be_switched_off(world, interviewer, settings):
    interview = move(world.interview, starts_in=timedelta(hours=3))
    content = ScorecardContent(key_takeaways="Notes while preparing")

    services.scorecard_save_own_draft(interview=interview, content=content, by=interviewer)
    settings.SCORECARD_EARLY_DRAFTS = False
    with pytest.raises(Invalid, match="your scorecard opens when it begins"):
        services.scorecard_save_own_draft(interview=interview, content=content, by=interviewer)
    with pytest.raises(Invalid, match=EARLY):
        services.scorecard_submit_own(
            interview=interview, content=full_content(interview), by=interviewer, amend=False
        )
    assert ScorecardRevision.objects.get().key_takeaways == "Notes while preparing"


def test_the_form_before_the_start_saves_drafts_offers_no_submit_and_refuses_one(
    client, world, interviewer
):
    interview = move(world.interview, starts_in=timedelta(days=1))
    client.force_login(interviewer)

    page = client.get(form_url(interview)).content.decode()
    assert 'value="save"' in page
    assert 'value="submit"' not in page
    assert "This interview starts at " in page
    assert EARLY in page

    saved = client.post(form_url(interview), complete_post(interview, action="save"))
    assert saved.status_code == 302

    refused = client.post(form_url(interview), complete_post(interview))
    assert refused.status_code == 400
    assert EARLY in refused.content.decode()
    assert not Scorecard.objects.filter(status=Scorecard.Status.SUBMITTED).exists()


def test_the_api_answers_a_submission_before_the_start_with_400_and_the_reason(world, interviewer):
    from tests.api.conftest import submit_payload

    interview = move(world.interview, starts_in=timedelta(days=1))
    response = api_client(interviewer).post(
        f"/api/v1/interviews/{interview.pk}/scorecard/submit/",
        submit_payload(interview),
        format="json",
    )
    assert response.status_code == 400
    assert EARLY in " ".join(response.json()["non_field_errors"])
    assert not Scorecard.objects.filter(status=Scorecard.Status.SUBMITTED).exists()


def test_the_kit_says_notes_now_and_submission_once_begun(client, world, interviewer, settings):
    interview = move(world.interview, starts_in=timedelta(days=1))
    client.force_login(interviewer)
    page = client.get(f"/interviews/{interview.pk}/kit/").content.decode()
    assert "Take notes for the scorecard" in page
    assert "Write the scorecard" not in page

    settings.SCORECARD_EARLY_DRAFTS = False
    page = client.get(f"/interviews/{interview.pk}/kit/").content.decode()
    assert "your scorecard opens when it begins" in page
    assert f"/interviews/{interview.pk}/scorecard/" not in page
    form = client.get(form_url(interview)).content.decode()
    assert 'id="scorecard-form"' not in form


# --- Cancelled and no-show interviews are read-only -------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [(Interview.Status.CANCELLED, "cancelled"), (Interview.Status.NO_SHOW, "no-show")],
)
def test_a_closed_interviews_kit_and_form_are_read_only(client, world, interviewer, status, words):
    services.scorecard_save_own_draft(
        interview=world.interview, content=ScorecardContent(key_takeaways="Half"), by=interviewer
    )
    interview = set_status(world.interview, status)
    client.force_login(interviewer)

    kit = client.get(f"/interviews/{interview.pk}/kit/").content.decode()
    assert f"This interview was {words}: its scorecard is read-only." in kit
    assert "Write the scorecard" not in kit
    assert "Continue your scorecard draft" not in kit
    assert f"/interviews/{interview.pk}/scorecard/" not in kit

    form = client.get(form_url(interview)).content.decode()
    assert f"This interview was {words}" in form
    assert "Save draft" not in form
    assert "Submit scorecard" not in form

    posted = client.post(form_url(interview), complete_post(interview))
    assert posted.status_code == 302
    assert not Scorecard.objects.filter(status=Scorecard.Status.SUBMITTED).exists()
    assert ScorecardRevision.objects.get().key_takeaways == "Half"  # nothing written


def test_the_services_refuse_every_write_to_a_cancelled_interviews_scorecard(world, interviewer):
    interview = world.interview
    services.scorecard_submit_own(
        interview=interview, content=full_content(interview), by=interviewer, amend=False
    )
    interview = set_status(interview, Interview.Status.CANCELLED)
    cancelled = "This interview was cancelled: its scorecard is read-only."
    scorecard = Scorecard.objects.get()

    with pytest.raises(Invalid, match=cancelled):
        services.scorecard_save_own_draft(
            interview=interview, content=ScorecardContent(key_takeaways="x"), by=interviewer
        )
    with pytest.raises(Invalid, match=cancelled):
        services.scorecard_submit_own(
            interview=interview,
            content=full_content(interview, amendment_reason="Typo"),
            by=interviewer,
            amend=True,
        )
    with pytest.raises(Invalid, match=cancelled):
        services.scorecard_start_amendment(scorecard=scorecard, by=interviewer)
    assert ScorecardRevision.objects.filter(scorecard=scorecard).count() == 1


def test_a_submitted_scorecard_of_a_cancelled_interview_reads_without_an_amend_button(
    client, world, interviewer
):
    services.scorecard_submit_own(
        interview=world.interview,
        content=full_content(world.interview),
        by=interviewer,
        amend=False,
    )
    interview = set_status(world.interview, Interview.Status.CANCELLED)
    client.force_login(interviewer)

    kit = client.get(f"/interviews/{interview.pk}/kit/").content.decode()
    assert "Read your submitted scorecard" in kit
    form = client.get(form_url(interview)).content.decode()
    assert "Strong strategist." in form
    assert "Amend this scorecard" not in form
    assert "Save draft" not in form


# --- Interviews that have ended are completed --------------------------------------------------


def test_an_ended_interview_shows_as_completed_before_the_sweep_and_get_writes_nothing(
    client, world, interviewer
):
    interview = world.interview  # the factory's: started a day ago, an hour long
    client.force_login(interviewer)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/interviews/{interview.pk}/kit/").content.decode()
    assert "<dd>Completed</dd>" in page
    assert "Scheduled" not in page  # the loop's schedule too: both interviews have ended
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED


def test_the_sweep_completes_ended_interviews_once_and_leaves_the_rest(world):
    ended = world.interview
    upcoming = move(world.other_interview, starts_in=timedelta(hours=2))
    cancelled = set_status(
        InterviewFactory(loop=world.loop, title="Cancelled one"), Interview.Status.CANCELLED
    )
    no_show = set_status(
        InterviewFactory(loop=world.loop, title="No-show one"), Interview.Status.NO_SHOW
    )

    tasks.refresh_open_loop_statuses()
    statuses = dict(Interview.objects.values_list("pk", "status"))
    assert statuses == {
        ended.pk: Interview.Status.COMPLETED,
        upcoming.pk: Interview.Status.SCHEDULED,
        cancelled.pk: Interview.Status.CANCELLED,
        no_show.pk: Interview.Status.NO_SHOW,
    }
    stamp = Interview.objects.get(pk=ended.pk).updated_at

    assert services.interviews_complete_ended() == 0  # idempotent: nothing left to do
    tasks.refresh_open_loop_statuses()
    assert Interview.objects.get(pk=ended.pk).updated_at == stamp
    assert dict(Interview.objects.values_list("pk", "status")) == statuses

    later = timezone.now() + timedelta(hours=4)
    assert services.interviews_complete_ended(now=later) == 1
    assert Interview.objects.get(pk=upcoming.pk).status == Interview.Status.COMPLETED


def test_a_completed_interview_still_takes_its_scorecard(world, interviewer):
    services.interviews_complete_ended()
    interview = Interview.objects.get(pk=world.interview.pk)
    assert interview.status == Interview.Status.COMPLETED
    own = services.scorecard_submit_own(
        interview=interview, content=full_content(interview), by=interviewer, amend=False
    )
    assert own.scorecard.status == Scorecard.Status.SUBMITTED


def test_the_api_refuses_a_cancelled_interviews_scorecard_and_writes_nothing(world, interviewer):
    from tests.api.conftest import submit_payload

    interview = set_status(world.interview, Interview.Status.CANCELLED)
    client = api_client(interviewer)
    for action in ("draft", "submit"):
        response = client.post(
            f"/api/v1/interviews/{interview.pk}/scorecard/{action}/",
            submit_payload(interview),
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["non_field_errors"] == [
            "This interview was cancelled: its scorecard is read-only."
        ]
    assert not Scorecard.objects.exists()
