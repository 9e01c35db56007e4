"""Issue 18, pipeline analytics over the API: GET /api/v1/insight/requisitions/{id}/ gives the
page's figures as JSON to the requisition's staff; another requisition's recruiter and an
interviewer get 404 and no figures; a GET writes nothing; its queries stay constant."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hiring.models import User
from tests.factories import RequisitionFactory, UserFactory
from tests.scorecards.pipeline_world import (
    NOW,
    Pipeline,
    add_loops,
    pipeline_fixture,  # noqa: F401 (the fixture)
)

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def on_the_day():
    with time_machine.travel(NOW, tick=False):
        yield


def url(pipeline: Pipeline) -> str:
    return f"/api/v1/insight/requisitions/{pipeline.requisition.pk}/"


def test_the_hiring_manager_reads_the_figures(api_as, pipeline: Pipeline, hiring_manager):
    response = api_as(hiring_manager).get(url(pipeline))
    assert response.status_code == 200
    body = response.json()
    assert body["requisition"] == pipeline.requisition.pk
    assert body["loops"] == 4
    assert body["stages_now"]["decided"] == 2
    assert body["first_interview_to_decision"] == {"n": 2, "median_days": 6.0, "p90_days": 6.8}
    in_progress = next(t for t in body["time_in_stage"] if t["stage"] == "in_progress")
    assert (in_progress["n"], in_progress["median_days"]) == (2, 4.5)
    assert body["pass_through"]["plan"] == "requisition"
    assert body["pass_through"]["slots"][0] == {
        "title": "Screen",
        "reached": 3,
        "went_on": 1,
        "hired": 1,
    }
    agreement = body["recommendations_vs_decisions"]
    assert {"recommended": "hire", "decided": "no_hire", "loops": 1} in agreement["cells"]
    assert (agreement["against"], agreement["not_hired_against_hire"]) == (1, 1)
    assert agreement["against_share"] == 0.5
    week = next(w for w in body["weekly"] if w["week_start"] == "2026-11-09")
    assert week["counts"]["decided"] == 2


def test_other_readers_get_404_and_no_figures(api_as, pipeline: Pipeline, interviewer):
    other_recruiter: User = UserFactory(is_staff=True)
    RequisitionFactory(recruiters=[other_recruiter])
    on_panel = pipeline.panelist
    for reader in (other_recruiter, on_panel, interviewer):
        response = api_as(reader).get(url(pipeline))
        assert response.status_code == 404
        assert "loops" not in response.json()
    assert api_as(None).get(url(pipeline)).status_code in (401, 403)


def test_a_get_writes_nothing_and_its_queries_stay_constant(
    api_as, pipeline: Pipeline, recruiter, hiring_manager
):
    client = api_as(recruiter)

    def read() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(pipeline)).status_code == 200
        writes = [
            q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(WRITES)
        ]
        assert writes == []
        return len(queries)

    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 1)
    few = read()
    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 15)
    assert read() == few
