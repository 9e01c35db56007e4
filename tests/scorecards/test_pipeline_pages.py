"""Issue 18, the pipeline analytics pages: the requisition list, one requisition's report
with its charts and table, its CSV; personas (another requisition's recruiter and an
interviewer get a 404 and no figures); a GET writes nothing; constant queries."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hiring.models import Requisition, User
from tests.factories import RequisitionFactory, UserFactory
from tests.scorecards.pipeline_world import (
    NOW,
    Pipeline,
    add_loops,
    pipeline_fixture,  # noqa: F401 (the fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def on_the_day():
    """The pages read the clock: the hand-built figures are those of ``NOW``."""
    with time_machine.travel(NOW, tick=False):
        yield


def detail_url(requisition: Requisition) -> str:
    return reverse("scorecards:insight_requisition", args=[requisition.pk])


def csv_url(requisition: Requisition) -> str:
    return reverse("scorecards:insight_requisition_csv", args=[requisition.pk])


def test_the_recruiter_reads_the_report_with_its_charts(client, pipeline: Pipeline, recruiter):
    client.force_login(recruiter)
    page = client.get(detail_url(pipeline.requisition))
    assert page.status_code == 200
    html = page.content.decode()
    # the stacked bars print their counts, the time-in-stage bars their days
    assert 'id="stages"' in html
    assert "Week of 9 Nov: 2 decided</title>" in html
    assert 'id="time-in-stage"' in html
    assert "4.5 d, 90th percentile 6.5 d · n=2" in html
    assert "median 6.0 days · 90th percentile 6.8 days" in html
    # the recommendation table: recommended hire, one hired and one not
    assert '<tr data-recommended="hire"><th scope="row">Hire (hire or strong hire)</th>' in html
    assert (
        '<td class="num"><span class="phone-label">Hired: </span>1</td>'
        '<td class="num"><span class="phone-label">Not hired: </span>1</td></tr>'
    ) in html
    assert "Against a clear recommendation in <strong>1 of 2</strong>" in html
    assert "the one the summary showed when the decision was recorded" in html  # its source
    assert '<th scope="row">Screen</th>' in html
    assert '<th scope="row">Case study</th>' in html


def test_the_csv_has_the_same_figures(client, pipeline: Pipeline, hiring_manager):
    client.force_login(hiring_manager)
    response = client.get(csv_url(pipeline.requisition))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["figure", "group", "item", "value", "n"]
    assert ["days_first_interview_to_decision", "", "median", "6.0", "2"] in rows
    assert ["days_in_stage_median", "", "in_progress", "4.5", "2"] in rows
    assert ["pass_through", "Screen", "went_on_to_next_slot", "1", "3"] in rows
    assert ["recommended_vs_decided", "recommended_hire", "decided_no_hire", "1", ""] in rows
    assert ["loops_by_stage", "2026-11-09", "decided", "2", ""] in rows


def test_a_title_that_looks_like_a_formula_is_quoted_in_the_csv(
    client, pipeline: Pipeline, recruiter
):
    pipeline.slots[0].title = "=HYPERLINK(1)"
    pipeline.slots[0].save()
    client.force_login(recruiter)
    rows = list(csv.reader(io.StringIO(client.get(csv_url(pipeline.requisition)).content.decode())))
    assert {row[1] for row in rows if row[0] == "pass_through"} == {"'=HYPERLINK(1)", "Case study"}


def test_the_list_shows_only_the_readers_requisitions(client, pipeline: Pipeline, recruiter):
    other = RequisitionFactory(title="Someone else's requisition")
    client.force_login(recruiter)
    page = client.get(reverse("scorecards:insight_requisitions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert detail_url(pipeline.requisition) in html
    assert other.title not in html
    assert f'data-requisition="{pipeline.requisition.pk}"' in html


def test_another_requisitions_recruiter_and_an_interviewer_get_404(
    client, pipeline: Pipeline, interviewer
):
    other_recruiter: User = UserFactory(is_staff=True)
    RequisitionFactory(recruiters=[other_recruiter], title="Their own")
    on_panel = pipeline.panelist
    for reader in (other_recruiter, on_panel, interviewer):
        client.force_login(reader)
        for url in (detail_url(pipeline.requisition), csv_url(pipeline.requisition)):
            response = client.get(url)
            assert response.status_code == 404
            assert b"Screen" not in response.content
        listing = client.get(reverse("scorecards:insight_requisitions")).content.decode()
        assert pipeline.requisition.title not in listing
    client.logout()
    assert client.get(detail_url(pipeline.requisition)).status_code == 302


def test_a_get_writes_nothing(client, pipeline: Pipeline, recruiter):
    client.force_login(recruiter)
    for url in (
        reverse("scorecards:insight_requisitions"),
        detail_url(pipeline.requisition),
        csv_url(pipeline.requisition),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [
            q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith(WRITES)
        ]
        assert writes == [], url


def test_the_pages_queries_stay_constant_as_loops_grow(
    client, pipeline: Pipeline, recruiter, hiring_manager
):
    client.force_login(recruiter)
    urls = (reverse("scorecards:insight_requisitions"), detail_url(pipeline.requisition))

    def count() -> list[int]:
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            out.append(len(queries))
        return out

    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 1)
    few = count()
    add_loops(pipeline.requisition, pipeline.slots, hiring_manager, 15)
    RequisitionFactory(recruiters=[recruiter], title="A second requisition")
    assert count() == few
