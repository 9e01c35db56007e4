"""Every API operation answers below 500 for every persona, on whichever database the suite
runs on: `make test` runs this file on PostgreSQL and again on SQLite, the embedded default
of `make run` (issue 12: the API answered 500 on SQLite and the suite never noticed).

Two sweeps over the OpenAPI schema, so an operation added later is covered without an edit
here: a plain one with the ids of a seeded world (the persona's own objects, another
requisition's, ids that exist nowhere) and every query parameter the schema lists, and a
schemathesis fuzz for two personas tests/api/test_schema.py does not fuzz (the plain sweep
covers them all, the superuser included)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from config.ids import MAX_ID
from hiring import outcomes
from hiring.models import User
from scorecards.models import CalibrationRun, InterviewerCalibration, Scorecard
from tests.api import test_schema
from tests.api.conftest import submit_payload, submit_scorecard
from tests.factories import (
    DecisionFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    RoleProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

wsgi_app = test_schema.wsgi_app  # the fixture

PERSONAS = [
    "superuser",
    "recruiter",
    "hiring_manager",
    "interviewer",  # on the panel, scorecard submitted
    "other_interviewer",  # on the panel, still owes theirs
    "outsider",
    "anonymous",
]
PARAMETER = re.compile(r"\{([^}]+)\}")
NOWHERE = [0, MAX_ID]  # ids no object has


@pytest.fixture
def superuser(db: None) -> User:
    return UserFactory(username="sue", is_staff=True, is_superuser=True)


@pytest.fixture
def seeded(world, hiring_manager, interviewer, other_interviewer) -> dict[str, list[int]]:
    """The shared loop with one scorecard submitted and one owed, a decision, calibration,
    and a second requisition none of the personas works on. Returns, per resource of the
    API, the ids of an object of the shared requisition and of the other one."""
    mine = submit_scorecard(world.interview, interviewer).scorecard
    stranger = UserFactory(username="stan")
    elsewhere = RequisitionFactory(
        profile=RoleProfileFactory(), hiring_manager=UserFactory(username="hal")
    )
    far_loop = LoopFactory(requisition=elsewhere)
    far_interview = InterviewFactory(loop=far_loop, interviewers=[stranger], focus=[])
    far_scorecard = Scorecard.objects.create(interview=far_interview, interviewer=stranger)
    decision = DecisionFactory(loop=world.loop, decided_by=hiring_manager)
    far_decision = DecisionFactory(loop=far_loop, decided_by=elsewhere.hiring_manager)
    run = CalibrationRun.objects.create(
        model_version="test", n_ratings=10, n_interviewers=3, residual_variance=1,
        pair_variance=1, prior_variance=1, shrinkage=0.5, estimated=True, converged=True,
        seconds=0.1,
    )  # fmt: skip
    for person in (interviewer, other_interviewer, stranger):
        InterviewerCalibration.objects.create(
            interviewer=person, run=run, leniency=0.1, leniency_se=0.1, ratings=10
        )
    # Outcomes after both hires (HR's import records them before they are due).
    hired = [
        outcomes.record_outcome(
            loop=loop, months=6, performance=3, still_employed=True, regretted=None, by=None
        )
        for loop in (world.loop, far_loop)
    ]
    return {
        "role-profiles": [world.requisition.profile_id, elsewhere.profile_id],
        "requisitions": [world.requisition.pk, elsewhere.pk],
        "candidates": [world.loop.candidate_id, far_loop.candidate_id],
        "loops": [world.loop.pk, far_loop.pk],
        "interviews": [world.interview.pk, world.other_interview.pk, far_interview.pk],
        "scorecards": [mine.pk, far_scorecard.pk],
        "decisions": [decision.pk, far_decision.pk],
        "calibration": [interviewer.pk, stranger.pk],
        "interviewers": [interviewer.pk, stranger.pk],  # /insight/interviewers/{id}/
        "outcomes": [outcome.pk for outcome in hired],
        "validity": [world.requisition.profile_id, elsewhere.profile_id],  # ?profile=
    }


def operations(client: APIClient) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every operation in the OpenAPI schema."""
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def resource(path: str) -> str:
    # /api/v1/insight/requisitions/{id}/ reports on a requisition: it takes requisitions' ids.
    return path.removeprefix("/api/v1/").removeprefix("insight/").split("/")[0]


def query_values(parameter: dict[str, Any], ids: list[int]) -> list[Any]:
    """Values a caller could send for one query parameter: the schema's own choices and
    kinds, real ids, and numbers no column can hold."""
    schema = parameter.get("schema", {})
    if "enum" in schema:
        return [*schema["enum"], "not-a-choice"]
    if schema.get("type") == "boolean":
        return ["true", "false", "maybe"]
    if schema.get("type") in {"integer", "number"}:
        return [*ids, 0, -1, MAX_ID, str(MAX_ID + 1), "1.5", "x"]
    return ["id", "-id", "", "x" * 300, "?!'\"%"]


def bodies(path: str, world) -> list[dict[str, Any]]:
    """An empty body and a plausible one for each POST."""
    plausible = {
        "/api/v1/interviews/{id}/scorecard/draft/": submit_payload(world.interview),
        "/api/v1/interviews/{id}/scorecard/submit/": submit_payload(world.interview),
        "/api/v1/loops/{id}/decisions/": {"outcome": "hire", "rationale": "Above the bar."},
        "/api/v1/candidates/{id}/erase/": {"reason": "The candidate asked us to."},
        "/api/v1/loops/{id}/comments/": {"body": "Strong on strategy."},
        "/api/v1/loops/{loop_id}/outcomes/": {
            "months": 12,
            "performance": 4,
            "still_employed": True,
            "note": "Promoted.",
        },
    }
    assert path in plausible, f"{path}: add a plausible body for this new POST"
    return [{}, plausible[path]]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_operation_answers_below_500_for_every_persona(
    request, persona, seeded, world, api_as: Callable[[User | None], APIClient]
):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = api_as(user)
    listed = list(operations(api_as(request.getfixturevalue("superuser"))))
    assert len(listed) >= 19
    calls = 0
    for method, path, operation in listed:
        ids = seeded["calibration" if "calibration" in path else resource(path)]
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        for pk in [*ids, *NOWHERE] if PARAMETER.search(path) else [None]:
            url = PARAMETER.sub(str(pk), path)
            if method == "post":
                attempts = [("post", url, body) for body in bodies(path, world)]
            else:
                attempts = [("get", url, {})]
                if pk == ids[0] or pk is None:  # each query parameter once per operation
                    attempts += [
                        ("get", url, {p["name"]: value})
                        for p in query
                        for value in query_values(p, ids)
                    ]
            for verb, address, data in attempts:
                response = getattr(client, verb)(address, data, format="json")
                calls += 1
                status = response.status_code
                assert status < 500, (persona, verb, address, data, response.content[:500])
                if user is None:
                    assert status in {401, 403}, (verb, address, status)
                elif pk in NOWHERE:
                    assert status == 404, (persona, verb, address, status)
    assert calls > 200


@pytest.mark.parametrize("persona", ["hiring_manager", "outsider"])
def test_generated_calls_to_every_operation_conform_for_other_personas(
    request, wsgi_app, seeded, persona
):
    # tests/api/test_schema.py fuzzes as a recruiter and as an interviewer.
    schema, _ = test_schema.load(wsgi_app, request.getfixturevalue(persona))
    test_schema.fuzz(schema)
