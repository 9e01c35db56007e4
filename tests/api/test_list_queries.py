"""API lists are keyset pages (issue 14): a page costs the same queries for one row and for
three hundred, walking ``next`` returns every row the caller may see exactly once even while
rows are added, and a cursor that is not one the list gave out is a 400, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from hiring.models import Candidate, Decision, Interview, Loop, Requisition, User
from scorecards import services
from scorecards.models import Scorecard, ScorecardRevision
from scorecards.services import ScorecardContent
from tests.api.conftest import submit_scorecard
from tests.factories import (
    CandidateFactory,
    DecisionFactory,
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LISTS = ["requisitions", "candidates", "loops", "interviews", "scorecards", "decisions"]


def walk(client: APIClient, url: str, between: Callable[[], None] = lambda: None) -> Iterator[Any]:
    """Every row of a list, page by page through ``next``, calling ``between`` after each
    page."""
    address: str | None = url
    while address is not None:
        response = client.get(address)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert body.keys() == {"next", "previous", "results"}
        yield from body["results"]
        between()
        address = body["next"]


def bulk_requisition(recruiter: User, hiring_manager: User, rows: int) -> Requisition:
    """A requisition of ``recruiter`` with ``rows`` loops, each with an interview, a
    submitted scorecard and a decision, written in a few bulk INSERTs."""
    requisition = RequisitionFactory(hiring_manager=hiring_manager, recruiters=[recruiter])
    interviewer = UserFactory()
    candidates = Candidate.objects.bulk_create(CandidateFactory.build() for _ in range(rows))
    loops = Loop.objects.bulk_create(
        LoopFactory.build(candidate=candidate, requisition=requisition) for candidate in candidates
    )
    interviews = Interview.objects.bulk_create(InterviewFactory.build(loop=loop) for loop in loops)
    Interview.interviewers.through.objects.bulk_create(
        Interview.interviewers.through(interview_id=interview.pk, user_id=interviewer.pk)
        for interview in interviews
    )
    now = timezone.now()
    scorecards = Scorecard.objects.bulk_create(
        Scorecard(
            interview=interview,
            interviewer=interviewer,
            status=Scorecard.Status.SUBMITTED,
            first_submitted_at=now,
            last_submitted_at=now,
        )
        for interview in interviews
    )
    ScorecardRevision.objects.bulk_create(
        ScorecardRevision(
            scorecard=scorecard,
            number=1,
            submitted_at=now,
            is_current=True,
            overall_recommendation="yes",
        )
        for scorecard in scorecards
    )
    Decision.objects.bulk_create(
        DecisionFactory.build(loop=loop, decided_by=hiring_manager) for loop in loops
    )
    return requisition


def list_queries(client: APIClient, requisition: Requisition) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in LISTS:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/{name}/")
        assert response.status_code == 200, (name, response.content[:300])
        assert response.json()["results"], name
        counts[name] = len(captured)
    return counts


def test_a_list_page_costs_the_same_queries_for_one_row_and_for_three_hundred(
    api_as, recruiter, hiring_manager
):
    # Given a recruiter whose requisition holds one loop (its interview, scorecard, decision)
    client = api_as(recruiter)
    one = bulk_requisition(recruiter, hiring_manager, 1)
    small = list_queries(client, one)

    # When another requisition of theirs holds three hundred more
    many = bulk_requisition(recruiter, hiring_manager, 300)
    large = list_queries(client, many)

    # Then every list's page costs what it did, and holds one page of rows, not all of them
    assert large == small
    assert len(client.get("/api/v1/loops/").json()["results"]) == 50
    assert len(client.get("/api/v1/loops/", {"page_size": 1000}).json()["results"]) == 200


@pytest.mark.parametrize(
    ("ordering", "size"),
    [(None, 7), ("status", 4), ("-created_at", 5), ("id", 50)],
    ids=["default", "ties", "newest-first", "one-page"],
)
def test_walking_every_page_returns_each_row_once_while_rows_are_added(
    world, api_as, recruiter, ordering, size
):
    # Given a recruiter's requisition of 24 loops (every loop with the same status: a sort
    # full of ties)
    for _ in range(23):
        LoopFactory(requisition=world.requisition)
    before = set(Loop.objects.filter(requisition=world.requisition).values_list("pk", flat=True))
    added: list[int] = []

    def add_a_loop() -> None:
        added.append(LoopFactory(requisition=world.requisition).pk)

    # When they walk the list page by page while a loop is added after every page
    params = f"?page_size={size}" + (f"&ordering={ordering}" if ordering else "")
    seen = [row["id"] for row in walk(api_as(recruiter), f"/api/v1/loops/{params}", add_a_loop)]

    # Then every loop there at the start comes once, and no row comes twice
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    assert set(seen) <= before | set(added)


def test_previous_walks_back_through_the_same_pages(world, api_as, interviewer):
    # Given an interviewer with seven scorecards, three of them drafts (never submitted:
    # no last_submitted_at, so the sort meets nulls)
    submitted = []
    for index in range(7):
        interview = InterviewFactory(loop=world.loop, interviewers=[interviewer])
        if index % 2 == 0:
            submitted.append(submit_scorecard(interview, interviewer).scorecard.pk)
        else:
            scorecard = services.scorecard_get_or_create(
                interview=interview, interviewer=interviewer
            )
            content = ScorecardContent(key_takeaways="Half written.")
            services.scorecard_save_draft(scorecard=scorecard, content=content, by=interviewer)
    client = api_as(interviewer)
    url = "/api/v1/scorecards/?ordering=-last_submitted_at&page_size=2"

    # When they walk forward to the last page, then back through `previous`
    forward: list[list[int]] = []
    address: str | None = url
    last: dict[str, Any] = {}
    while address is not None:
        last = client.get(address).json()
        forward.append([row["id"] for row in last["results"]])
        address = last["next"]
    backward: list[list[int]] = []
    address = last["previous"]
    while address is not None:
        page = client.get(address).json()
        backward.append([row["id"] for row in page["results"]])
        address = page["previous"]

    # Then both walks hold the same pages, newest submission first and the drafts last
    assert backward == list(reversed(forward[:-1]))
    rows = [pk for page in forward for pk in page]
    assert len(rows) == len(set(rows)) == 7
    assert set(rows[: len(submitted)]) == set(submitted)


@pytest.mark.parametrize(
    "cursor",
    ["garbage!", "e30", "eyJvIjoiLWNyZWF0ZWRfYXQifQ", "bm90IGpzb24", "W10", "9" * 40],
    ids=["not-base64", "empty-object", "no-position", "not-json", "a-list", "digits"],
)
def test_a_cursor_the_list_never_gave_out_is_a_400(world, api_as, recruiter, cursor):
    response = api_as(recruiter).get("/api/v1/loops/", {"cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert "cursor" in response.json()


def test_a_cursor_of_another_ordering_or_with_a_tampered_position_is_a_400(
    world, api_as, recruiter
):
    # Given a cursor from the default order of loops (newest first)
    for _ in range(3):
        LoopFactory(requisition=world.requisition)
    client = api_as(recruiter)
    next_url = client.get("/api/v1/loops/", {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]

    # When it is sent with another ?ordering=, or with a position that is not a time
    other = client.get("/api/v1/loops/", {"cursor": cursor, "ordering": "status"})
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["p"][0] = "not a time"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    tampered = client.get("/api/v1/loops/", {"cursor": forged})

    # Then each is a 400 that names the cursor, and the cursor itself still works
    for response in (other, tampered):
        assert response.status_code == 400, response.content[:300]
        assert list(response.json()) == ["cursor"]
    assert client.get("/api/v1/loops/", {"cursor": cursor}).status_code == 200


@pytest.mark.parametrize("size", ["0", "-1", "ten", "1.5"])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_a_400(world, api_as, recruiter, size):
    response = api_as(recruiter).get("/api/v1/loops/", {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_page_is_read_in_time_that_does_not_depend_on_its_position(world, api_as, recruiter):
    # The cursor moves the start of the page into the WHERE clause: the page query reads
    # page_size + 1 rows, with no OFFSET and no COUNT.
    for _ in range(5):
        LoopFactory(requisition=world.requisition)
    client = api_as(recruiter)
    second = client.get("/api/v1/loops/", {"page_size": 2}).json()["next"]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(second).status_code == 200
    sql = " ".join(query["sql"].upper() for query in captured.captured_queries)
    assert "OFFSET" not in sql
    assert "COUNT(" not in sql
    assert "LIMIT 3" in sql
