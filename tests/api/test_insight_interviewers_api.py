"""Issue 18, interviewer analytics over the API: GET /api/v1/insight/interviewers/ and
/api/v1/insight/interviewers/{id}/ give the pages' figures as JSON with the same access: a
recruiter reads their requisitions' interviewers from those loops only, an interviewer their
own row and nobody else's, a bad period is a 400; a GET writes nothing and its queries stay
constant as loops are added."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scorecards.calibration import summaries
from tests.factories import UserFactory
from tests.scorecards.interviewer_world import (  # noqa: F401 (the fixtures)
    history_fixture,
    req_a_fixture,
    req_b_fixture,
    rob_fixture,
    sit,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/insight/interviewers/"
WRITES = ("INSERT", "UPDATE", "DELETE")


def detail(user) -> str:
    return f"{LIST}{user.pk}/"


def test_a_recruiter_reads_their_interviewers_from_their_loops_only(
    api_as, recruiter, rob, interviewer, other_interviewer, history
):
    body = api_as(recruiter).get(LIST).json()
    assert body["scope"] == "staff"
    rows = {row["interviewer"]: row for row in body["interviewers"]}
    assert set(rows) == {interviewer.pk, other_interviewer.pk}
    assert rows[interviewer.pk]["scorecards"] == 2
    assert rows[interviewer.pk]["median_hours_to_feedback"] == pytest.approx(3.0)
    assert rows[interviewer.pk]["decision_agreement"] == {
        "hits": 0,
        "n": 0,
        "rate": None,
        "low": None,
        "high": None,
    }
    strategy = next(d for d in body["dimensions"] if d["name"] == "Product strategy")
    assert (strategy["ratings"], strategy["candidates"]) == (4, 2)

    # B's recruiter: iris from B's one loop; jonas is a 404
    other = api_as(rob)
    rows = {row["interviewer"]: row for row in other.get(LIST).json()["interviewers"]}
    assert set(rows) == {interviewer.pk}
    assert rows[interviewer.pk]["scorecards"] == 1
    assert other.get(detail(other_interviewer)).status_code == 404


def test_an_interviewer_reads_only_their_own(api_as, interviewer, other_interviewer, history):
    client = api_as(interviewer)
    body = client.get(LIST).json()
    assert body["scope"] == "own"
    assert [row["interviewer"] for row in body["interviewers"]] == [interviewer.pk]
    assert body["interviewers"][0]["decision_agreement"] is None
    own = client.get(detail(interviewer)).json()
    assert own["scorecards"] == 3
    assert len(own["leniency_trend"]) == 1
    assert sum(b["scorecards"] for b in own["time_to_feedback"]) == 3
    assert client.get(detail(other_interviewer)).status_code == 404


def test_outsiders_and_anonymous_callers_get_nothing(api_as, outsider, interviewer, history):
    body = api_as(outsider).get(LIST).json()
    assert (body["scope"], body["interviewers"], body["dimensions"]) == ("none", [], [])
    assert api_as(outsider).get(detail(interviewer)).status_code == 404
    assert api_as(None).get(LIST).status_code in (401, 403)


def test_a_bad_period_or_sort_is_a_400_naming_the_choices(api_as, recruiter, history):
    response = api_as(recruiter).get(LIST, {"period": "forever"})
    assert response.status_code == 400
    assert "90, 180, 365, all" in response.json()["period"][0]
    assert api_as(recruiter).get(LIST, {"sort": "salary"}).status_code == 400


def test_a_get_writes_nothing_and_its_queries_stay_constant(
    api_as, recruiter, req_a, interviewer, other_interviewer
):
    sit(req_a, [interviewer, other_interviewer])
    summaries.calibration_refit()
    client = api_as(recruiter)
    client.get(LIST)
    with CaptureQueriesContext(connection) as small:
        assert client.get(LIST).status_code == 200
    for index in range(6):
        sit(req_a, [UserFactory(username=f"q{index}-{n}") for n in range(3)])
    summaries.calibration_refit()
    with CaptureQueriesContext(connection) as large:
        body = client.get(LIST).json()
    assert len(body["interviewers"]) == 20
    assert len(large.captured_queries) == len(small.captured_queries)
    for url in (LIST, detail(interviewer)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [q for q in queries.captured_queries if q["sql"].startswith(WRITES)]
