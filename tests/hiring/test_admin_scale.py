"""The admin's loop pages cost what they show, not what the tenant holds (issue 14): the loop
page picks its candidate and panels with autocomplete widgets, so it runs the same queries
and carries the same bytes with 500 more candidates and 500 more people in the tenant; the
loop list runs the same queries for 1 loop and for 200."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hiring import access, privacy
from hiring.models import AuditEvent, Candidate, Interview, Loop, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MANY = 500


def add_candidates(count: int, *, added_by: User, start: int = 0) -> None:
    """``count`` candidates in no loop yet, added by ``added_by`` (so theirs to schedule:
    ``access.candidates_recruited``), in two statements."""
    candidates = Candidate.objects.bulk_create(
        Candidate(full_name=f"Scale Candidate {n:03d}", email=f"scale{n}@example.com")
        for n in range(start, start + count)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=added_by,
            action=access.CREATED_ACTIONS[0],  # "candidate.created"
            object_type=privacy.CANDIDATE,
            object_id=str(candidate.pk),
            candidate=candidate,
        )
        for candidate in candidates
    )


def add_people(count: int, start: int = 0) -> None:
    User.objects.bulk_create(
        User(
            username=f"scale{n}",
            email=f"scale.person{n}@example.com",
            first_name="Scale",
            last_name=f"Person {n:03d}",
            password="!",  # unusable: these people never sign in
        )
        for n in range(start, start + count)
    )


def fetch(client: Client, url: str) -> tuple[int, str]:
    """(queries, page) of one GET, after a first one that fills the process's caches (the
    content types, the session's first touch)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries), response.content.decode()


@pytest.fixture
def superuser() -> User:
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture(params=["recruiter", "superuser"])
def staff_client(request: pytest.FixtureRequest, client: Client, world, superuser) -> Client:
    client.force_login(request.getfixturevalue(request.param))
    return client


@pytest.mark.parametrize("page", ["change", "add"])
def test_the_loop_page_costs_the_same_with_500_more_candidates_and_people(
    staff_client, world, recruiter, page
):
    # given the loop of the world: one candidate, a handful of people
    url = (
        f"/admin/hiring/loop/{world.loop.pk}/change/"
        if page == "change"
        else "/admin/hiring/loop/add/"
    )
    few, small = fetch(staff_client, url)
    if page == "change":
        assert world.loop.candidate.full_name in small  # the chosen rows are on the page
        assert world.interview.interviewers.get().get_full_name() in small

    # when 500 candidates (all the recruiter's to schedule) and 500 people join the tenant
    add_candidates(MANY, added_by=recruiter)
    add_people(MANY)

    # then the page runs the same queries and names none of them
    many, large = fetch(staff_client, url)
    assert many == few
    assert "Scale Candidate" not in large
    assert "Scale Person" not in large
    assert abs(len(large) - len(small)) < 200, (len(small), len(large))  # tokens vary a little


def add_loops(world, count: int) -> None:
    """``count`` loops of the world's requisition, each with one interview on the world's
    interviewer's panel, in four statements."""
    candidates = Candidate.objects.bulk_create(
        Candidate(full_name=f"Listed Candidate {n:03d}", email=f"listed{n}@example.com")
        for n in range(count)
    )
    loops = Loop.objects.bulk_create(
        Loop(candidate=candidate, requisition=world.requisition) for candidate in candidates
    )
    starts = timezone.now() + timedelta(days=3)
    interviews = Interview.objects.bulk_create(
        Interview(
            loop=loop, title="Strategy", starts_at=starts, ends_at=starts + timedelta(hours=1)
        )
        for loop in loops
    )
    panelist = world.interview.interviewers.get()
    Interview.interviewers.through.objects.bulk_create(
        Interview.interviewers.through(interview_id=interview.pk, user_id=panelist.pk)
        for interview in interviews
    )


def test_the_loop_list_costs_the_same_for_1_and_200_loops(staff_client, world):
    # given the recruiter's one loop
    few, small = fetch(staff_client, "/admin/hiring/loop/")
    assert world.loop.candidate.full_name in small

    # when they have 200
    add_loops(world, 199)
    many, large = fetch(staff_client, "/admin/hiring/loop/")

    # then the list (a page of 100) runs the same queries
    assert "Listed Candidate" in large
    assert "200 loops" in large
    assert many == few


def test_no_admin_form_lists_every_person_or_candidate(client, world, superuser):
    """Every add and change form of the admin, as a superuser (who gets every field): with
    500 more people and candidates, none of them is on any form."""
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model._default_manager.order_by("pk").first()  # one of the world's
        if first is not None:
            pages.append(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            )
    add_candidates(MANY, added_by=superuser)
    add_people(MANY)
    client.force_login(superuser)
    opened = set()
    for url in pages:
        response = client.get(url)
        if response.status_code != 200:
            continue  # an add form nobody may open (logs, decisions)
        opened.add("/".join(url.split("/")[2:4]) + ("/add" if url.endswith("/add/") else ""))
        page = response.content.decode()
        assert "Scale Candidate" not in page, url
        assert "Scale Person" not in page, url
    assert {
        "hiring/loop",
        "hiring/loop/add",
        "hiring/requisition",
        "hiring/requisition/add",
    } <= opened


@pytest.mark.parametrize(
    "field",
    ["model_name=loop&field_name=candidate", "model_name=interview&field_name=interviewers"],
)
def test_a_widgets_answer_costs_the_same_for_1_and_500_rows(staff_client, world, recruiter, field):
    url = f"/admin/autocomplete/?app_label=hiring&{field}&term=scale"
    add_candidates(1, added_by=recruiter)
    add_people(1)
    few, answer = fetch(staff_client, url)
    assert answer.count('"text": "Scale') == 1

    add_candidates(MANY - 1, added_by=recruiter, start=1)
    add_people(MANY - 1, start=1)
    many, answer = fetch(staff_client, url)

    assert many == few
    assert answer.count('"text": "Scale') == 20  # a page of twenty, more on scrolling
    assert '"more": true' in answer
