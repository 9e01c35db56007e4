"""``Idempotency-Key`` on the API's POSTs: a retried request returns the first answer instead
of writing twice, concurrently too; a refusal releases the key; the same key with another
body is refused; keys expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from hiring.api import idempotency
from hiring.models import Decision, IdempotencyRecord, RoleProfile
from hiring.tasks import purge_idempotency_keys
from scorecards.api.views import ScorecardSubmitView
from scorecards.models import ScorecardRevision
from tests.concurrency import collide

from .conftest import submit_payload

pytestmark = pytest.mark.django_db


def decide_url(loop_id: int) -> str:
    return f"/api/v1/loops/{loop_id}/decisions/"


def submit_url(interview_id: int) -> str:
    return f"/api/v1/interviews/{interview_id}/scorecard/submit/"


HIRE = {"outcome": "hire", "rationale": "Clear strategist; calibrated score above the bar."}


def test_a_retried_decision_with_the_same_key_is_recorded_once(world, hiring_manager, api_as):
    client = api_as(hiring_manager)

    first = client.post(decide_url(world.loop.pk), HIRE, format="json",
                        HTTP_IDEMPOTENCY_KEY="decide-7f3a")  # fmt: skip
    again = client.post(decide_url(world.loop.pk), HIRE, format="json",
                        HTTP_IDEMPOTENCY_KEY="decide-7f3a")  # fmt: skip

    assert first.status_code == again.status_code == 201, first.json()
    assert first.json() == again.json()
    assert first.json()["outcome"] == "hire"
    assert first.json()["is_current"] is True
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Decision.objects.filter(loop=world.loop).count() == 1

    # Without the key, a second POST is a new decision, and the first becomes history.
    changed = client.post(decide_url(world.loop.pk), {**HIRE, "outcome": "no_hire"},
                          format="json")  # fmt: skip
    assert changed.status_code == 201
    assert list(
        Decision.objects.filter(loop=world.loop).order_by("id").values_list("outcome", "is_current")
    ) == [("hire", False), ("no_hire", True)]


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    world, hiring_manager, api_as
):
    client = api_as(hiring_manager)
    client.post(decide_url(world.loop.pk), HIRE, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    reused = client.post(decide_url(world.loop.pk), {**HIRE, "outcome": "no_hire"},
                         format="json", HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip

    assert reused.status_code == 422
    assert "different request body" in reused.json()["detail"]
    assert list(Decision.objects.values_list("outcome", flat=True)) == ["hire"]


def test_a_refused_request_releases_its_key_for_the_corrected_retry(world, hiring_manager, api_as):
    client = api_as(hiring_manager)

    refused = client.post(decide_url(world.loop.pk), {"outcome": "hire", "rationale": "  "},
                          format="json", HTTP_IDEMPOTENCY_KEY="fix-and-retry")  # fmt: skip
    assert refused.status_code == 400
    assert "rationale" in refused.json()
    assert not Decision.objects.exists()

    fixed = client.post(decide_url(world.loop.pk), HIRE, format="json",
                        HTTP_IDEMPOTENCY_KEY="fix-and-retry")  # fmt: skip
    assert fixed.status_code == 201
    assert Decision.objects.count() == 1


def test_a_refused_submission_with_a_key_keeps_the_draft(world, interviewer, api_as):
    client = api_as(interviewer)
    half = submit_payload(world.interview)
    half["ratings"] = half["ratings"][:1]  # one focus dimension left unrated
    half["key_takeaways"] = "Sharp on pricing; ran out of time on the second dimension."

    refused = client.post(submit_url(world.interview.pk), half, format="json",
                          HTTP_IDEMPOTENCY_KEY="half-1")  # fmt: skip

    assert refused.status_code == 400
    draft = ScorecardRevision.objects.get(submitted_at__isnull=True)
    assert draft.key_takeaways.startswith("Sharp on pricing")
    assert not IdempotencyRecord.objects.exists()


def test_keys_belong_to_one_user(world, hiring_manager, admin_user, api_as):
    api_as(hiring_manager).post(decide_url(world.loop.pk), HIRE, format="json",
                                HTTP_IDEMPOTENCY_KEY="shared")  # fmt: skip
    by_admin = api_as(admin_user).post(decide_url(world.loop.pk), {**HIRE, "outcome": "no_hire"},
                                       format="json", HTTP_IDEMPOTENCY_KEY="shared")  # fmt: skip

    assert by_admin.status_code == 201
    assert "Idempotent-Replayed" not in by_admin.headers
    assert Decision.objects.get(is_current=True).outcome == "no_hire"


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve-key", "has space"])
def test_a_malformed_key_is_a_400_naming_the_header(world, hiring_manager, api_as, key):
    answer = api_as(hiring_manager).post(decide_url(world.loop.pk), HIRE, format="json",
                                         HTTP_IDEMPOTENCY_KEY=key)  # fmt: skip

    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert not Decision.objects.exists()


def test_keys_expire_after_the_configured_hours(world, hiring_manager, api_as, settings):
    settings.API_IDEMPOTENCY_HOURS = 24
    client = api_as(hiring_manager)
    client.post(decide_url(world.loop.pk), HIRE, format="json", HTTP_IDEMPOTENCY_KEY="old")

    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        replay = client.post(decide_url(world.loop.pk), HIRE, format="json",
                             HTTP_IDEMPOTENCY_KEY="old")  # fmt: skip
        assert replay.headers.get("Idempotent-Replayed") == "true"
        assert purge_idempotency_keys() == 0

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        fresh = client.post(decide_url(world.loop.pk), HIRE, format="json",
                            HTTP_IDEMPOTENCY_KEY="old")  # fmt: skip
        assert "Idempotent-Replayed" not in fresh.headers
        assert Decision.objects.count() == 2  # a day later the key means a new request

    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        assert purge_idempotency_keys() == 1
        assert purge_idempotency_keys() == 0
    assert not IdempotencyRecord.objects.exists()


def test_who_may_post_a_decision(
    world, recruiter, interviewer, other_interviewer, outsider, hiring_manager, api_as
):
    url = decide_url(world.loop.pk)
    assert api_as(None).post(url, HIRE, format="json").status_code in {401, 403}
    assert api_as(outsider).post(url, HIRE, format="json").status_code == 404
    # The recruiter and the panel can read the loop, so they are told why they may not decide.
    for persona in (recruiter, interviewer, other_interviewer):
        refused = api_as(persona).post(url, HIRE, format="json")
        assert refused.status_code == 403
        assert "hiring manager" in refused.json()["detail"]
    assert not Decision.objects.exists()

    level_below = RoleProfile.objects.get(slug="director-of-product")
    recorded = api_as(hiring_manager).post(url, {**HIRE, "level_offered": level_below.slug},
                                           format="json")  # fmt: skip
    assert recorded.status_code == 201
    assert Decision.objects.get().level_offered == level_below


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_identical_amendments_with_one_key_amend_once(world, interviewer, api_as):
    client = api_as(interviewer)
    assert client.post(submit_url(world.interview.pk), submit_payload(world.interview),
                       format="json").status_code == 200  # fmt: skip
    amendment = submit_payload(world.interview, rating=2, amend=True,
                               amendment_reason="Reference call changed my view")  # fmt: skip
    # the second request arrives while the first holds its key (the view is running)
    answers = collide(
        lambda client: client.post(
            submit_url(world.interview.pk),
            amendment,
            format="json",
            HTTP_IDEMPOTENCY_KEY="amend-race",
        ),
        inside=(ScorecardSubmitView, "_interview"),
        prepare=lambda: api_as(interviewer),
    )

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    submitted = ScorecardRevision.objects.filter(submitted_at__isnull=False)
    assert submitted.count() == 2  # the first submission and one amendment
    assert submitted.get(is_current=True).amendment_reason == "Reference call changed my view"


def test_the_schema_documents_the_header_and_the_422(api_as, recruiter):
    schema = api_as(recruiter).get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/loops/{id}/decisions/"]["post"]
    assert idempotency.HEADER in [p["name"] for p in operation["parameters"]]
    assert "422" in operation["responses"]
    assert "403" in operation["responses"]


def test_every_post_of_the_api_takes_an_idempotency_key(api_as, recruiter):
    schema = api_as(recruiter).get("/api/v1/schema/?format=json").json()
    posts = {path: ops["post"] for path, ops in schema["paths"].items() if "post" in ops}

    assert len(posts) >= 4  # draft, submit, decisions, erase
    for path, operation in posts.items():
        names = [p["name"] for p in operation.get("parameters", [])]
        assert idempotency.HEADER in names, path
