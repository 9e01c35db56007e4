"""Issue 18 in the API: outcomes after the hire, read and recorded by the requisition's staff
(and HR: superusers), never by the panel, with the API's pagination, filters, idempotency
and field errors, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring import outcomes
from hiring.models import AuditEvent, HireOutcome, Loop, User
from tests.factories import DecisionFactory, LoopFactory, RequisitionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def hire(loop: Loop, by: User, days_ago: int = 400) -> None:
    Loop.objects.filter(pk=loop.pk).update(status=Loop.Status.DECIDED)
    DecisionFactory(loop=loop, decided_by=by, decided_at=timezone.now() - timedelta(days=days_ago))


def url(loop: Loop) -> str:
    return f"/api/v1/loops/{loop.pk}/outcomes/"


GOOD = {"months": 6, "performance": 4, "still_employed": True, "note": "Shipped pricing."}


def test_the_manager_records_and_reads_both_checkpoints(api_as, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=200)
    client = api_as(hiring_manager)
    created = client.post(url(world.loop), GOOD, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["performance_label"] == "Exceeds expectations"
    assert (body["months"], body["scale_max"], body["regretted"]) == (6, 5, None)
    assert body["recorded_by"] == hiring_manager.display_name
    assert body["requisition"] == world.requisition.pk
    six, twelve = client.get(url(world.loop)).json()
    assert (six["months"], six["due"], six["outcome"]["id"]) == (6, True, body["id"])
    assert (twelve["months"], twelve["due"], twelve["outcome"]) == (12, False, None)
    # the 12-month one is not due yet: a 400 that says when
    early = client.post(url(world.loop), {**GOOD, "months": 12}, format="json")
    assert early.status_code == 400
    assert "12-month outcome is due on" in str(early.json())


def test_bad_values_are_a_400_naming_the_field_and_nothing_is_written(
    api_as, world, hiring_manager
):
    hire(world.loop, hiring_manager)
    client = api_as(hiring_manager)
    cases = [
        ({**GOOD, "performance": 7}, "performance"),
        ({**GOOD, "performance": None}, "performance"),
        ({**GOOD, "regretted": True}, "regretted"),
        ({**GOOD, "still_employed": False}, "regretted"),
        ({**GOOD, "months": 3}, "months"),
        ({**GOOD, "note": "x" * 2001}, "note"),
        ({"months": 6}, "still_employed"),
    ]
    for payload, field in cases:
        response = client.post(url(world.loop), payload, format="json")
        assert response.status_code == 400, payload
        assert field in str(response.json()), (payload, response.json())
    assert not HireOutcome.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="outcome.").exists()


def test_a_retried_post_with_its_key_records_once(api_as, world, hiring_manager):
    hire(world.loop, hiring_manager)
    client = api_as(hiring_manager)
    first = client.post(url(world.loop), GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url(world.loop), GOOD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(action="outcome.recorded").count() == 1


@pytest.mark.parametrize("persona", ["interviewer", "other_interviewer", "outsider"])
def test_the_panel_and_outsiders_get_404_and_empty_lists(
    api_as, world, hiring_manager, request, persona
):
    hire(world.loop, hiring_manager)
    outcome = outcomes.record_outcome(
        loop=world.loop,
        months=6,
        performance=2,
        still_employed=True,
        regretted=None,
        note="Confidential",
        by=hiring_manager,
    )
    client = api_as(request.getfixturevalue(persona))
    assert client.get(url(world.loop)).status_code == 404
    assert client.post(url(world.loop), GOOD, format="json").status_code == 404
    assert client.get(f"/api/v1/outcomes/{outcome.pk}/").status_code == 404
    listed = client.get("/api/v1/outcomes/").json()
    assert listed["results"] == []
    assert "count" not in listed  # keyset pages: no total to leak
    assert HireOutcome.objects.get().performance == 2


def test_a_read_only_token_may_read_but_not_record(world, hiring_manager):
    from tests.tokens import api_client

    hire(world.loop, hiring_manager)
    client = api_client(hiring_manager, scope="read")
    assert client.get(url(world.loop)).status_code == 200
    assert client.post(url(world.loop), GOOD, format="json").status_code == 403
    assert not HireOutcome.objects.exists()


def test_the_list_filters_by_requisition_loop_and_checkpoint(api_as, world, hiring_manager):
    hire(world.loop, hiring_manager)
    other_loop = LoopFactory(requisition=RequisitionFactory(hiring_manager=hiring_manager))
    hire(other_loop, hiring_manager)
    for loop in (world.loop, other_loop):
        for months in (6, 12):
            outcomes.record_outcome(
                loop=loop,
                months=months,
                performance=3,
                still_employed=True,
                regretted=None,
                by=hiring_manager,
            )
    client = api_as(hiring_manager)

    def listed(query: str) -> set[tuple[int, int]]:
        rows = client.get(f"/api/v1/outcomes/?{query}").json()["results"]
        return {(row["loop"], row["months"]) for row in rows}

    assert listed(f"requisition={world.requisition.pk}") == {
        (world.loop.pk, 6),
        (world.loop.pk, 12),
    }
    assert listed(f"loop={other_loop.pk}&months=12") == {(other_loop.pk, 12)}
    assert listed("requisition=99999999999999999999") == set()


def test_the_list_costs_the_same_queries_for_one_outcome_and_for_many(
    api_as, world, hiring_manager
):
    client = api_as(hiring_manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/outcomes/").status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for _ in range(n):
            loop = LoopFactory(requisition=world.requisition)
            hire(loop, hiring_manager)
            recorder = UserFactory()
            outcomes.record_outcome(
                loop=loop,
                months=6,
                performance=3,
                still_employed=True,
                regretted=None,
                by=None,
            )
            HireOutcome.objects.filter(loop=loop).update(recorded_by=recorder)

    add(1)
    one = count()
    add(20)
    assert count() == one


def test_hr_a_superuser_records_early_and_sees_everything(api_as, world, hiring_manager):
    hr = UserFactory(username="hr", is_superuser=True, is_staff=True)
    hire(world.loop, hiring_manager, days_ago=10)
    created = api_as(hr).post(url(world.loop), GOOD, format="json")
    assert created.status_code == 201
    assert [row["id"] for row in api_as(hr).get("/api/v1/outcomes/").json()["results"]] == [
        created.json()["id"]
    ]
