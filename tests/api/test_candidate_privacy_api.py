"""Personal data over the API (DESIGN §7): a recruiter's integration exports one candidate's
data or erases it on request, with the same rules as the admin's buttons."""

import pytest

from hiring.models import AuditEvent, Candidate

from .conftest import submit_scorecard

pytestmark = pytest.mark.django_db


def export_url(candidate):
    return f"/api/v1/candidates/{candidate.pk}/personal-data/"


def erase_url(candidate):
    return f"/api/v1/candidates/{candidate.pk}/erase/"


def test_a_recruiter_exports_a_candidates_data_and_the_export_is_audited(
    world, recruiter, interviewer, api_as
):
    submit_scorecard(world.interview, interviewer)
    candidate = world.loop.candidate

    answer = api_as(recruiter).get(export_url(candidate))

    assert answer.status_code == 200
    data = answer.json()
    assert data["candidate"]["email"] == candidate.email
    [loop] = data["loops"]
    assert loop["id"] == world.loop.pk
    scorecards = [s for i in loop["interviews"] for s in i["scorecards"]]
    assert scorecards[0]["submitted_revisions"][0]["ratings"]
    assert AuditEvent.objects.filter(
        action="candidate.exported", candidate=candidate, actor=recruiter
    ).exists()


def test_who_may_export_or_erase(
    world, hiring_manager, interviewer, other_interviewer, outsider, api_as
):
    candidate = world.loop.candidate
    # those who read the candidate, but are not their recruiters, are told why
    for persona in (hiring_manager, interviewer, other_interviewer):
        exported = api_as(persona).get(export_url(candidate))
        erased = api_as(persona).post(erase_url(candidate), {"reason": "asked"}, format="json")
        assert (exported.status_code, erased.status_code) == (403, 403)
    # anyone else cannot tell the candidate exists
    assert api_as(outsider).get(export_url(candidate)).status_code == 404
    assert api_as(outsider).post(erase_url(candidate), {"reason": "x"}).status_code == 404
    assert api_as(None).get(export_url(candidate)).status_code in {401, 403}
    candidate.refresh_from_db()
    assert candidate.anonymised_at is None
    assert not AuditEvent.objects.filter(action="candidate.exported").exists()


def test_a_relayed_erasure_request_erases_once(world, recruiter, api_as):
    candidate = world.loop.candidate
    client = api_as(recruiter)

    refused = client.post(erase_url(candidate), {"reason": "  "}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()

    request = {"reason": "Request relayed by the ATS, ticket 4711."}
    first = client.post(erase_url(candidate), request, format="json",
                        HTTP_IDEMPOTENCY_KEY="erase-4711")  # fmt: skip
    again = client.post(erase_url(candidate), request, format="json",
                        HTTP_IDEMPOTENCY_KEY="erase-4711")  # fmt: skip

    assert first.status_code == again.status_code == 200
    assert first.json()["full_name"] == f"Erased candidate #{candidate.pk}"
    assert first.json()["anonymised_at"] is not None
    assert again.headers["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="candidate.erased", candidate=candidate).count() == 1
    assert Candidate.objects.get(pk=candidate.pk).email.endswith("@anonymised.invalid")
