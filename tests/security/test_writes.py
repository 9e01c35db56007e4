"""Leaks the route matrix cannot see by status codes alone: fields a recruiter may read but
not write, an order that gives away a hidden verdict, and a decision on a withdrawn loop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from hiring.models import Decision, Interview, Loop
from scorecards.models import LoopSummary
from tests.factories import CandidateFactory

from .conftest import Visit
from .world import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rollback(visit: Visit) -> Iterator[None]:
    """What a test writes goes when it ends; the package's world stays as built."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def test_a_recruiter_cannot_restaff_a_requisition(visit: Visit, rollback: None) -> None:
    """DESIGN §6: requisition staffing (hiring manager, recruiters, role profile) is read-only
    for recruiters: the change page opens, and a posted change of those fields is not saved."""
    world = visit.world
    requisition = world.obj("req_a")
    rita = world.users["rita"]
    client = client_for(world, "recruiter_a")
    assert client.get(f"/admin/hiring/requisition/{requisition.pk}/change/").status_code == 200
    client.post(
        f"/admin/hiring/requisition/{requisition.pk}/change/",
        {
            "title": requisition.title,
            "profile": world.obj("profile_b").pk,
            "hiring_manager": rita.pk,
            "recruiters": [rita.pk],
            "status": requisition.status,
            "remind_before_hours": 24,
            "remind_morning_of": "on",
            "first_reminder_after_minutes": 60,
            "reminder_interval_hours": 24,
            "escalate_after_hours": 48,
        },
    )
    requisition.refresh_from_db()
    assert requisition.hiring_manager == world.users["mia"]
    assert requisition.profile == world.obj("profile_a")
    assert set(requisition.recruiters.all()) == {rita, world.users["rosa"]}


def _withheld_order(client: Client, names: list[str], query: str) -> list[str]:
    body = client.get(f"/manager/?{query}").content.decode()
    return sorted(names, key=body.index)


@pytest.mark.parametrize(
    "query",
    ["sort=recommendation", "sort=-calibrated"],
)
def test_a_managers_hidden_verdicts_do_not_show_through_the_order(
    visit: Visit, rollback: None, query: str
) -> None:
    """manager_a owes a scorecard on two loops: their order on the pipeline must not change
    when only their hidden recommendations and scores do."""
    world = visit.world
    mia = world.users["mia"]
    a2 = world.obj("a2")
    zed = Loop.objects.create(
        candidate=CandidateFactory(full_name="Aaron Zed-Hidden"), requisition=world.obj("req_a")
    )
    start = timezone.now() - timedelta(days=1)
    seat = Interview.objects.create(
        loop=zed, title="Z chat", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    seat.interviewers.set([mia])
    LoopSummary.objects.update_or_create(
        loop=zed, defaults={"computed_at": timezone.now(), "recommendation": "incomplete"}
    )
    names = [a2.candidate.full_name, "Aaron Zed-Hidden"]
    client = client_for(world, "manager_a")
    orders = []
    for low, high in ((a2, zed), (zed, a2)):
        LoopSummary.objects.filter(loop=low).update(recommendation="no_hire", calibrated_score=1.0)
        LoopSummary.objects.filter(loop=high).update(
            recommendation="strong_hire", calibrated_score=3.9
        )
        orders.append(_withheld_order(client, names, query))
    assert orders[0] == orders[1]


@pytest.mark.parametrize("surface", ["page", "api"])
def test_no_decision_on_a_withdrawn_loop(visit: Visit, rollback: None, surface: str) -> None:
    """DESIGN §6: a decision is refused on a withdrawn loop, from its hiring manager too."""
    world = visit.world
    loop = world.obj("b2")
    Loop.objects.filter(pk=loop.pk).update(status=Loop.Status.WITHDRAWN)
    client = client_for(world, "manager_b")
    data = {"outcome": "hire", "rationale": "Hire anyway."}
    if surface == "page":
        response = client.post(f"/manager/loops/{loop.pk}/decision/", data)
    else:
        response = client.post(
            f"/api/v1/loops/{loop.pk}/decisions/", data, content_type="application/json"
        )
    assert response.status_code in (400, 403, 404, 409)
    assert not Decision.objects.filter(loop=loop).exists()
    assert Loop.objects.get(pk=loop.pk).status == Loop.Status.WITHDRAWN
