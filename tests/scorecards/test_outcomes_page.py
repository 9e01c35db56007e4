"""Issue 18, the hiring manager's outcomes page (/insight/loops/<id>/outcomes/): both
checkpoints with their due dates and what was recorded by whom, a form that records or
revises, bad input kept and explained, the CSV export; nobody but the requisition's staff
gets anything, the hired loop's own panel included."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hiring import outcomes
from hiring.models import AuditEvent, HireOutcome, Loop, User
from tests.factories import DecisionFactory, LoopFactory

pytestmark = pytest.mark.django_db


def page_url(loop: Loop) -> str:
    return reverse("scorecards:insight_outcomes", args=[loop.pk])


def hire(loop: Loop, by: User, days_ago: int) -> None:
    Loop.objects.filter(pk=loop.pk).update(status=Loop.Status.DECIDED)
    DecisionFactory(loop=loop, decided_by=by, decided_at=timezone.now() - timedelta(days=days_ago))


def test_the_manager_sees_both_checkpoints_and_records_the_due_one(client, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=200)
    client.force_login(hiring_manager)
    page = client.get(page_url(world.loop)).content.decode()
    # both checkpoints with their due dates; the one not due yet takes a departure only
    [six, twelve] = outcomes.checkpoints(world.loop)
    assert f"Due {six.due_at:%-d %B %Y}" in page
    assert f"The full outcome opens on {twelve.due_at:%-d %B %Y}." in page
    assert "Record that they left before 12 months" in page
    assert page.count('class="decision outcome-form') == 2
    assert "5. Far exceeds expectations" in page
    # when they record it
    response = client.post(
        page_url(world.loop),
        {"months": "6", "still_employed": "yes", "performance": "4", "note": "Solid."},
    )
    assert response.status_code == 302
    # then the page shows what was recorded and by whom
    page = client.get(response["Location"]).content.decode()
    assert "The 6 months outcome is recorded." in page
    assert "Exceeds expectations (4 of 5)" in page
    assert f"by {hiring_manager.display_name}" in page
    assert "Revise the 6 months outcome" in page
    assert HireOutcome.objects.get().note == "Solid."


def test_bad_input_comes_back_with_field_errors_and_what_was_typed(client, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=400)
    client.force_login(hiring_manager)
    response = client.post(
        page_url(world.loop),
        {"months": "12", "still_employed": "yes", "regretted": "yes", "note": "Kept <typed>"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The outcome was not recorded" in page
    assert "Rate their performance: they are still employed." in page
    assert "Regretted attrition is for someone who left: leave it empty." in page
    assert "Kept &lt;typed&gt;</textarea>" in page
    assert re.search(r'<input[^>]*value="yes"[^>]*id="m12-still_employed_0"[^>]*checked', page)
    assert not HireOutcome.objects.exists()


def test_a_rating_off_the_scale_is_refused_by_the_form(client, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=400)
    client.force_login(hiring_manager)
    response = client.post(
        page_url(world.loop), {"months": "6", "still_employed": "yes", "performance": "9"}
    )
    assert response.status_code == 400
    assert "Choose a rating from the scale." in response.content.decode()


@pytest.mark.parametrize("persona", ["interviewer", "other_interviewer", "outsider"])
def test_the_panel_and_outsiders_get_a_404_and_nothing_leaks(
    client, world, hiring_manager, request, persona
):
    hire(world.loop, hiring_manager, days_ago=400)
    outcomes.record_outcome(
        loop=world.loop,
        months=6,
        performance=2,
        still_employed=True,
        regretted=None,
        note="Confidential.",
        by=hiring_manager,
    )
    person = request.getfixturevalue(persona)
    client.force_login(person)
    assert client.get(page_url(world.loop)).status_code == 404
    response = client.post(
        page_url(world.loop), {"months": "6", "still_employed": "yes", "performance": "5"}
    )
    assert response.status_code == 404
    assert HireOutcome.objects.get().performance == 2
    # their CSV export has the header and nothing else
    exported = client.get(reverse("scorecards:insight_outcomes_csv")).content.decode()
    assert list(csv.reader(io.StringIO(exported)))[1:] == []
    assert "Confidential" not in exported


def test_a_loop_that_was_not_a_hire_says_so_and_records_nothing(client, world, hiring_manager):
    client.force_login(hiring_manager)
    page = client.get(page_url(world.loop)).content.decode()
    assert "this loop has no decision yet" in page
    assert "outcome-form" not in page
    response = client.post(
        page_url(world.loop), {"months": "6", "still_employed": "yes", "performance": "3"}
    )
    assert response.status_code == 400
    assert "Outcomes are recorded for hires: this loop&#x27;s decision is not to hire." in (
        response.content.decode()
    )
    assert not HireOutcome.objects.exists()


def test_the_summary_of_a_hire_links_to_its_outcomes(client, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=10)
    client.force_login(hiring_manager)
    page = client.get(reverse("scorecards:manager_loop", args=[world.loop.pk])).content.decode()
    assert page_url(world.loop) in page


def test_the_csv_export_lists_the_readers_outcomes_with_formulas_defused(
    client, world, hiring_manager, recruiter
):
    hire(world.loop, hiring_manager, days_ago=400)
    outcomes.record_outcome(
        loop=world.loop,
        months=12,
        performance=None,
        still_employed=False,
        regretted=True,
        note="=HYPERLINK(1)",
        by=hiring_manager,
    )
    client.force_login(recruiter)
    response = client.get(
        reverse("scorecards:insight_outcomes_csv") + f"?requisition={world.requisition.pk}"
    )
    [header, row] = list(csv.reader(io.StringIO(response.content.decode())))
    record = dict(zip(header, row, strict=True))
    assert record["months"] == "12"
    assert record["still_employed"] == "no"
    assert record["regretted"] == "yes"
    assert record["performance_label"] == "Not rated"
    assert record["note"] == "'=HYPERLINK(1)"
    assert record["candidate_email"] == world.loop.candidate.email
    bad = client.get(reverse("scorecards:insight_outcomes_csv") + "?requisition=x")
    assert bad.status_code == 400


def test_the_page_and_the_export_never_write_and_their_queries_do_not_grow(
    client, world, hiring_manager
):
    hire(world.loop, hiring_manager, days_ago=400)
    client.force_login(hiring_manager)

    def queries(url: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    csv_url = reverse("scorecards:insight_outcomes_csv")
    first_page, first_csv = queries(page_url(world.loop)), queries(csv_url)
    for _ in range(3):
        loop = LoopFactory(requisition=world.requisition)
        hire(loop, hiring_manager, days_ago=400)
        for months in (6, 12):
            outcomes.record_outcome(
                loop=loop,
                months=months,
                performance=3,
                still_employed=True,
                regretted=None,
                by=hiring_manager,
            )
    writes_before = AuditEvent.objects.count()
    assert len(queries(csv_url)) == len(first_csv)
    assert len(queries(page_url(world.loop))) == len(first_page)
    for sql in (*first_page, *first_csv):
        assert not sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    assert AuditEvent.objects.count() == writes_before


def test_a_departure_is_recorded_from_the_page_before_it_is_due(client, world, hiring_manager):
    hire(world.loop, hiring_manager, days_ago=60)
    client.force_login(hiring_manager)
    # a rating before it is due is refused, saying when and what may be recorded now
    refused = client.post(
        page_url(world.loop), {"months": "6", "still_employed": "yes", "performance": "3"}
    )
    assert refused.status_code == 400
    assert "or now if they have left." in refused.content.decode()
    assert not HireOutcome.objects.exists()
    # that they left is recorded at once
    response = client.post(
        page_url(world.loop),
        {"months": "6", "still_employed": "no", "regretted": "yes", "note": "Relocated."},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "nothing to record: they left by the 6 months checkpoint" in page
    assert page.count('class="decision outcome-form') == 1  # the 6-month one, to revise
    assert HireOutcome.objects.get().regretted is True
