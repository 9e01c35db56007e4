"""Every endpoint, list and detail, for every persona of DESIGN §6: a list holds exactly what
the caller may see, anything else is a 404, and the blind rule holds."""

from __future__ import annotations

from typing import Any

import pytest

from hiring.delivery import outbox
from hiring.models import Candidate, Decision, Interview, Loop, Requisition, RoleProfile
from scorecards import services
from scorecards.models import CalibrationRun, InterviewerCalibration, Scorecard
from scorecards.services import RatingInput, ScorecardContent
from tests.api.conftest import submit_scorecard
from tests.factories import (
    DecisionFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    RoleProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["recruiter", "hiring_manager", "interviewer", "other_interviewer", "outsider"]


def ids(objects: Any) -> set[int]:
    return {obj.pk for obj in objects}


@pytest.fixture
def scene(world, recruiter, hiring_manager, interviewer, other_interviewer) -> dict[str, Any]:
    """The shared loop with the interviewer's scorecard submitted and the other
    interviewer's still a draft, a decision, calibration, and a second requisition none of
    the personas has anything to do with."""
    mine = submit_scorecard(world.interview, interviewer).scorecard
    theirs = services.scorecard_get_or_create(
        interview=world.other_interview, interviewer=other_interviewer
    )
    services.scorecard_save_draft(
        scorecard=theirs,
        content=ScorecardContent(
            ratings={
                world.other_interview.focus_dimensions.first().pk: RatingInput(
                    rating=1, evidence="Secret draft"
                )
            }
        ),
        by=other_interviewer,
    )
    decision = DecisionFactory(loop=world.loop, decided_by=hiring_manager)

    stranger = UserFactory(username="stan")
    elsewhere = RequisitionFactory(
        profile=RoleProfileFactory(), hiring_manager=UserFactory(username="hal")
    )
    far_loop = LoopFactory(requisition=elsewhere)
    far_interview = InterviewFactory(loop=far_loop, interviewers=[stranger], focus=[])
    far_scorecard = Scorecard.objects.create(interview=far_interview, interviewer=stranger)
    far_decision = DecisionFactory(loop=far_loop, decided_by=elsewhere.hiring_manager)

    run = CalibrationRun.objects.create(
        model_version="test", n_ratings=10, n_interviewers=3, residual_variance=1,
        pair_variance=1, prior_variance=1, shrinkage=0.5, estimated=True, converged=True,
        seconds=0.1,
    )  # fmt: skip
    for person, leniency in ((interviewer, 0.3), (other_interviewer, -0.2), (stranger, 0.9)):
        InterviewerCalibration.objects.create(
            interviewer=person, run=run, leniency=leniency, leniency_se=0.1, ratings=10
        )

    staff = {
        "role-profiles": {world.requisition.profile_id},
        "requisitions": {world.requisition.pk},
        "candidates": {world.loop.candidate_id},
        "loops": {world.loop.pk},
        "interviews": {world.interview.pk, world.other_interview.pk},
        "scorecards": {mine.pk},
        "decisions": {decision.pk},
        "calibration/interviewers": {interviewer.pk, other_interviewer.pk},
    }
    panel = {
        **staff,
        "decisions": set(),
        "calibration/interviewers": set(),
    }
    return {
        "universe": {
            "role-profiles": ids(RoleProfile.objects.all()),
            "requisitions": ids(Requisition.objects.all()),
            "candidates": ids(Candidate.objects.all()),
            "loops": ids(Loop.objects.all()),
            "interviews": ids(Interview.objects.all()),
            "scorecards": ids(Scorecard.objects.all()),
            "decisions": ids(Decision.objects.all()),
            "calibration/interviewers": set(
                InterviewerCalibration.objects.values_list("interviewer_id", flat=True)
            ),
        },
        "expected": {
            "recruiter": staff,
            "hiring_manager": staff,
            "interviewer": {**panel, "interviews": {world.interview.pk}},
            # Blind: their own draft only, not the interviewer's submitted scorecard.
            "other_interviewer": {
                **panel,
                "interviews": {world.other_interview.pk},
                "scorecards": {theirs.pk},
            },
            "outsider": {name: set() for name in staff},
        },
        "far": {"scorecard": far_scorecard, "decision": far_decision, "loop": far_loop},
    }


def listed(client, endpoint: str, *, secret: bool = False) -> set[int]:
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200, response.content
    assert (b"Secret draft" in response.content) == secret, endpoint
    key = "interviewer" if endpoint.startswith("calibration") else "id"
    return {row[key] for row in response.json()["results"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_details_show_exactly_what_the_persona_may_see(request, scene, api_as, persona):
    client = api_as(request.getfixturevalue(persona))
    expected = scene["expected"][persona]
    for endpoint, universe in scene["universe"].items():
        # Then the list holds exactly what they may see
        secret = persona == "other_interviewer" and endpoint == "scorecards"
        assert listed(client, endpoint, secret=secret) == expected[endpoint], endpoint
        # and every other object of that kind is a 404
        for pk in universe:
            status = client.get(f"/api/v1/{endpoint}/{pk}/").status_code
            assert status == (200 if pk in expected[endpoint] else 404), (endpoint, pk)


def test_anonymous_callers_get_nothing(world, scene, api_as):
    client = api_as(None)
    for endpoint, universe in scene["universe"].items():
        assert client.get(f"/api/v1/{endpoint}/").status_code in {401, 403}
        for pk in universe:
            assert client.get(f"/api/v1/{endpoint}/{pk}/").status_code in {401, 403}
    assert client.get(f"/api/v1/loops/{world.loop.pk}/summary/").status_code in {401, 403}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("recruiter", 200), ("hiring_manager", 200), ("interviewer", 404),
     ("other_interviewer", 404), ("outsider", 404)],
)  # fmt: skip
def test_loop_summary_for_recruiters_and_hiring_managers_only(
    request, world, scene, api_as, persona, status
):
    outbox.dispatch()  # the submission's event computes the summary, as a worker would
    client = api_as(request.getfixturevalue(persona))
    response = client.get(f"/api/v1/loops/{world.loop.pk}/summary/")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["loop"] == world.loop.pk
        assert (body["scorecards_in"], body["scorecards_expected"]) == (1, 2)
    far = scene["far"]["loop"]
    assert client.get(f"/api/v1/loops/{far.pk}/summary/").status_code == 404


def test_colleagues_scorecards_appear_once_the_other_interviewer_submits(
    world, scene, other_interviewer, api_as
):
    client = api_as(other_interviewer)
    mine = Scorecard.objects.get(interview=world.interview)
    assert client.get(f"/api/v1/scorecards/{mine.pk}/").status_code == 404

    submit_scorecard(world.other_interview, other_interviewer)

    response = client.get(f"/api/v1/scorecards/{mine.pk}/")
    assert response.status_code == 200
    assert response.json()["current"]["number"] == 1
    assert response.json()["draft"] is None


def test_drafts_are_never_shown_to_anyone_but_their_author(
    world, scene, recruiter, interviewer, other_interviewer, api_as
):
    submit_scorecard(world.other_interview, other_interviewer)
    # the interviewer opens an amendment: a new draft on a submitted scorecard
    mine = Scorecard.objects.get(interview=world.interview)
    services.scorecard_start_amendment(scorecard=mine, by=interviewer)

    for person in (recruiter, other_interviewer):
        body = api_as(person).get(f"/api/v1/scorecards/{mine.pk}/").json()
        assert body["draft"] is None
        assert body["current"]["number"] == 1
    assert api_as(interviewer).get(f"/api/v1/scorecards/{mine.pk}/").json()["draft"]["number"] == 2


def test_lists_filter_order_and_paginate(world, scene, recruiter, api_as):
    client = api_as(recruiter)
    by_loop = client.get("/api/v1/interviews/", {"loop": world.loop.pk, "ordering": "-starts_at"})
    assert by_loop.status_code == 200
    starts = [row["starts_at"] for row in by_loop.json()["results"]]
    assert starts == sorted(starts, reverse=True)

    assert client.get("/api/v1/loops/", {"status": "decided"}).json()["results"] == []
    page = client.get("/api/v1/interviews/").json()
    assert page.keys() == {"next", "previous", "results"}  # keyset pages: no count
    assert client.get("/api/v1/interviews/", {"cursor": "99"}).status_code == 400


def test_list_queries_stay_constant_as_data_grows(world, recruiter, interviewer, api_as):
    client = api_as(recruiter)

    def counts() -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        out = {}
        for endpoint in ("role-profiles", "loops", "candidates", "interviews", "scorecards"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(f"/api/v1/{endpoint}/").status_code == 200
            out[endpoint] = len(ctx.captured_queries)
        return out

    submit_scorecard(world.interview, interviewer)
    before = counts()
    for _ in range(3):
        person = UserFactory()
        loop = LoopFactory(requisition=world.requisition)
        interview = InterviewFactory(loop=loop, interviewers=[person])
        submit_scorecard(interview, person)
    assert counts() == before
