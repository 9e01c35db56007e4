"""Writing one's own scorecard over the API: drafts, submission, amendment, validation,
retries, and session authentication with CSRF."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from hiring.models import Candidate
from scorecards.models import Scorecard, ScorecardRevision
from tests.api.conftest import submit_payload

pytestmark = pytest.mark.django_db


def draft_url(interview_id: int) -> str:
    return f"/api/v1/interviews/{interview_id}/scorecard/draft/"


def submit_url(interview_id: int) -> str:
    return f"/api/v1/interviews/{interview_id}/scorecard/submit/"


def test_a_partial_draft_is_saved_and_shown_only_to_its_author(world, interviewer, api_as):
    # Given a half-written scorecard
    first = world.interview.focus_dimensions.first()
    payload = {"ratings": [{"dimension": first.pk, "rating": 2}], "key_takeaways": "WIP"}

    # When the interviewer saves it as a draft
    response = api_as(interviewer).post(draft_url(world.interview.pk), payload, format="json")

    # Then it is kept as typed, not submitted
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["current"] is None
    assert body["draft"]["key_takeaways"] == "WIP"
    assert body["draft"]["ratings"] == [
        {"dimension": first.pk, "rating": 2, "not_assessed": False, "evidence": ""}
    ]


def test_submit_then_read_back(world, interviewer, api_as):
    client = api_as(interviewer)
    response = client.post(submit_url(world.interview.pk), submit_payload(world.interview),
                           format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "submitted"
    assert body["current"]["number"] == 1
    assert body["draft"] is None

    detail = client.get(f"/api/v1/scorecards/{body['id']}/")
    assert detail.status_code == 200
    assert detail.json()["current"]["overall_recommendation"] == "yes"


def test_an_incomplete_submission_is_a_400_by_field_and_submits_nothing(world, interviewer, api_as):
    payload = submit_payload(world.interview)
    payload["ratings"][0]["evidence"] = ""
    dimension = payload["ratings"][0]["dimension"]

    response = api_as(interviewer).post(submit_url(world.interview.pk), payload, format="json")

    assert response.status_code == 400
    assert response.json() == {
        f"evidence_{dimension}": [response.json()[f"evidence_{dimension}"][0]]
    }
    assert not ScorecardRevision.objects.filter(submitted_at__isnull=False).exists()
    assert Scorecard.objects.get().status == "draft"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"overall_recommendation": "maybe"}, "overall_recommendation"),
        ({"ratings": [{"dimension": "x"}]}, "ratings"),
        ({"ratings": [{"dimension": 1, "rating": 9}]}, "ratings"),
        ({"signals": "nope"}, "signals"),
    ],
)
def test_malformed_input_is_a_400_and_writes_nothing(world, interviewer, api_as, payload, field):
    response = api_as(interviewer).post(draft_url(world.interview.pk), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ScorecardRevision.objects.exists()


def test_a_rating_for_a_dimension_outside_the_interview_writes_nothing(world, interviewer, api_as):
    other = world.other_interview.focus_dimensions.first()
    payload = {"ratings": [{"dimension": other.pk, "rating": 3}], "key_takeaways": "x"}

    response = api_as(interviewer).post(draft_url(world.interview.pk), payload, format="json")

    assert response.status_code == 400
    assert "ratings" in response.json()
    assert not ScorecardRevision.objects.exists()


def test_amending_needs_a_reason_and_keeps_the_history(world, interviewer, api_as):
    client = api_as(interviewer)
    client.post(submit_url(world.interview.pk), submit_payload(world.interview), format="json")

    no_reason = submit_payload(world.interview, rating=2, amend=True)
    refused = client.post(submit_url(world.interview.pk), no_reason, format="json")
    assert refused.status_code == 400
    assert "amendment_reason" in refused.json()

    amended = client.post(
        submit_url(world.interview.pk),
        submit_payload(world.interview, rating=2, amend=True, amendment_reason="Reference call"),
        format="json",
    )
    assert amended.status_code == 200, amended.json()
    assert amended.json()["current"]["number"] == 2
    assert amended.json()["current"]["amendment_reason"] == "Reference call"
    assert ScorecardRevision.objects.filter(submitted_at__isnull=False).count() == 2


def test_a_retried_post_with_the_same_idempotency_key_creates_one_object(
    world, interviewer, api_as
):
    client = api_as(interviewer)
    payload = submit_payload(world.interview)

    first = client.post(submit_url(world.interview.pk), payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-1")  # fmt: skip
    again = client.post(submit_url(world.interview.pk), payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="retry-1")  # fmt: skip

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Scorecard.objects.count() == 1
    assert ScorecardRevision.objects.filter(submitted_at__isnull=False).count() == 1


def test_nobody_writes_on_an_interview_they_are_not_on(
    world, recruiter, hiring_manager, other_interviewer, outsider, api_as
):
    for person in (recruiter, hiring_manager, other_interviewer, outsider):
        for url in (draft_url(world.interview.pk), submit_url(world.interview.pk)):
            response = api_as(person).post(url, submit_payload(world.interview), format="json")
            assert response.status_code == 404, (person, url)
    assert api_as(None).post(submit_url(world.interview.pk), {}, format="json").status_code in {
        401,
        403,
    }
    assert not Scorecard.objects.exists()


def test_session_writes_need_the_csrf_token(world, interviewer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(interviewer)
    payload = submit_payload(world.interview)

    refused = client.post(draft_url(world.interview.pk), payload, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not ScorecardRevision.objects.exists()

    # A browser holds the CSRF cookie and echoes it in the header.
    token = "a" * 32
    client.cookies["csrftoken"] = token
    accepted = client.post(draft_url(world.interview.pk), payload, format="json",
                           HTTP_X_CSRFTOKEN=token)  # fmt: skip
    assert accepted.status_code == 200, accepted.content


def test_token_auth_and_the_drf_create_token_command(world, interviewer, capsys):
    from django.core.management import call_command

    call_command("drf_create_token", interviewer.username)
    key = capsys.readouterr().out.split()[2]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert len(client.get("/api/v1/interviews/").json()["results"]) == 1
    assert APIClient().get("/api/v1/interviews/").status_code in {401, 403}


def test_interviewers_read_kit_fields_only(world, interviewer, recruiter, api_as):
    candidate: Candidate = world.loop.candidate
    candidate.phone = "+44 20 0000"
    candidate.recruiter_notes = "Salary expectations high"
    candidate.current_title = "Head of Product"
    candidate.save()

    seen = api_as(interviewer).get(f"/api/v1/candidates/{candidate.pk}/").json()
    assert seen["full_name"] == candidate.full_name
    assert seen["current_title"] == "Head of Product"
    for hidden in ("email", "phone", "recruiter_notes"):
        assert seen[hidden] is None

    full = api_as(recruiter).get(f"/api/v1/candidates/{candidate.pk}/").json()
    assert full["email"] == candidate.email
    assert full["recruiter_notes"] == "Salary expectations high"


def test_a_retried_amendment_with_the_same_key_amends_once(world, interviewer, api_as):
    client = api_as(interviewer)
    client.post(submit_url(world.interview.pk), submit_payload(world.interview), format="json")
    amendment = submit_payload(
        world.interview, rating=2, amend=True, amendment_reason="Reference call"
    )

    first = client.post(submit_url(world.interview.pk), amendment, format="json",
                        HTTP_IDEMPOTENCY_KEY="amend-1")  # fmt: skip
    again = client.post(submit_url(world.interview.pk), amendment, format="json",
                        HTTP_IDEMPOTENCY_KEY="amend-1")  # fmt: skip

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["current"]["number"] == 2
    assert ScorecardRevision.objects.filter(submitted_at__isnull=False).count() == 2

    # a different amendment is a real change
    later = submit_payload(world.interview, rating=4, amend=True, amendment_reason="Debrief")
    third = client.post(submit_url(world.interview.pk), later, format="json")
    assert third.json()["current"]["number"] == 3
