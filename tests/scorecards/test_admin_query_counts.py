"""The admin's newer lists cost the same number of queries for a few rows as for many:
candidates, their audit trail, loop summaries, interviewer calibration, webhook deliveries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hiring import privacy
from hiring.delivery.webhooks import send_ping
from hiring.models import WebhookSubscription
from scorecards.calibration import summaries
from tests.factories import InterviewFactory, LoopFactory, UserFactory
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    """(queries, rows listed) for one changelist page."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.context["cl"].result_count


def add_loops(world, count):
    """``count`` loops with a submitted scorecard each, a summary and an audited edit."""
    for _ in range(count):
        loop = LoopFactory(requisition=world.requisition)
        person = UserFactory()
        interview = InterviewFactory(loop=loop, interviewers=[person], focus=["communication"])
        submit(interview, person, rating=3)
        loop.candidate.location = "Porto"
        privacy.candidate_save(candidate=loop.candidate, by=world.requisition.recruiters.get())
    summaries.calibration_refit()
    summaries.refresh_open_summaries()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/hiring/candidate/",
        "/admin/hiring/auditevent/",
        "/admin/scorecards/loopsummary/",
        "/admin/scorecards/interviewercalibration/",
    ],
)
def test_recruiter_lists_cost_the_same_for_2_and_12_loops(client, world, recruiter, url):
    add_loops(world, 2)
    client.force_login(recruiter)
    few, rows_few = queries_for(client, url)

    add_loops(world, 10)
    many, rows_many = queries_for(client, url)

    assert rows_many > rows_few > 0
    assert few == many


def test_the_delivery_log_costs_the_same_for_2_and_20_deliveries(admin_client):
    subscription = WebhookSubscription.objects.create(
        name="ATS", url="https://ats.example.com/hooks", events=["decision.recorded"]
    )
    for _ in range(2):
        send_ping(subscription)
    few, rows_few = queries_for(admin_client, "/admin/hiring/webhookdelivery/")

    for _ in range(18):
        send_ping(subscription)
    many, rows_many = queries_for(admin_client, "/admin/hiring/webhookdelivery/")

    assert (rows_few, rows_many) == (2, 20)
    assert few == many
