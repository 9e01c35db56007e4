"""The predictive validity report, page, CSV and API (issue 18): who sees which hires' figures
(an interviewer nothing, another requisition's recruiter none of this one's hires, a hiring
manager no interviewer rows), the minimum-n rule, bad input, a constant number of queries
and a GET that writes nothing."""

from __future__ import annotations

import csv
import io
from html import escape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hiring.models import RoleProfile, User
from scorecards.analytics.reports import validity as report
from tests.factories import RequisitionFactory
from tests.scorecards.validity_world import (
    hire_history,
    history_fixture,  # noqa: F401 (the fixture)
)
from tests.tokens import api_client

pytestmark = pytest.mark.django_db

PAGE = reverse("scorecards:insight_validity")
CSV = reverse("scorecards:insight_validity_csv")
API = "/api/v1/insight/validity/"
WRITES = ("INSERT", "UPDATE", "DELETE")


def page(client, user: User, query: str = "") -> tuple[int, str]:
    client.force_login(user)
    response = client.get(PAGE + query)
    return response.status_code, response.content.decode()


def test_the_recruiter_sees_every_figure_with_its_n_and_the_caution_first(client, history):
    status, html = page(client, history.recruiter)
    assert status == 200
    assert "18 hires you may see; 18 with an outcome recorded" in html
    # The caution comes before any figure.
    assert html.index('id="range-restriction"') < html.index('class="chart validity"')
    assert "Only hires have outcomes" in html
    dimensions = list(history.profile.dimensions.order_by("order", "pk")[:3])
    for dimension in dimensions:
        assert escape(dimension.name) in html
    assert html.count("n = 18") >= 3  # the overall and the rated dimensions
    assert 'class="zero-line"' in html
    # The two dimensions that load on ability predict; interviewer rows are there.
    data = report.validity_report(history.recruiter, str(history.profile.pk))
    by_slug = {row.slug: row for row in data.dimensions}
    first, second, noise = (by_slug[d.slug].figure for d in dimensions)
    assert first.clearly_positive
    assert first.r is not None
    assert second.r is not None
    assert noise.r is not None
    assert min(first.r, second.r) > noise.r
    # Dimensions nobody rated have no figure, and say so.
    assert by_slug[history.profile.dimensions.order_by("-order").first().slug].figure.n == 0
    assert data.suggestion
    assert data.interviewers is not None
    assert {row.name for row in data.interviewers} == {p.display_name for p in history.panel}
    assert 'id="interviewers-heading"' in html
    for person in history.panel:
        assert person.display_name in html


def test_the_hiring_manager_sees_the_figures_but_no_interviewer_rows(client, history):
    status, html = page(client, history.manager)
    assert status == 200
    assert "18 hires you may see" in html
    assert 'id="interviewers-heading"' not in html
    for person in history.panel:
        assert person.display_name not in html
    data = report.validity_report(history.manager, None)
    assert data.interviewers is None


def test_an_interviewer_gets_a_404_everywhere_and_never_an_outcome(client, history):
    interviewer = history.panel[0]
    client.force_login(interviewer)
    for url in (PAGE, PAGE + f"?profile={history.profile.pk}", PAGE + "?profile=all", CSV):
        response = client.get(url)
        assert response.status_code == 404
        assert b"outcome recorded" not in response.content
    api = api_client(interviewer)
    response = api.get(API)
    assert response.status_code == 404
    assert "with_outcome" not in response.content.decode()


def test_another_requisitions_recruiter_sees_none_of_this_requisitions_hires(client, history):
    status, html = page(client, history.other_recruiter)
    assert status == 200
    assert "4 hires you may see; 4 with an outcome recorded" in html
    data = report.validity_report(history.other_recruiter, str(history.profile.pk))
    assert (data.hired, data.with_outcome) == (4, 4)
    # Four hires are under the minimum: every figure is withheld, with its reason.
    assert not data.overall.shown
    assert "Only 4 hires" in data.overall.message
    assert "Only 4 hires" in html
    assert data.interviewers == []
    assert data.interviewers_below_min_n == 2
    # The superuser sees both requisitions' hires.
    assert report.validity_report(history.admin, str(history.profile.pk)).hired == 22


def test_the_minimum_is_a_setting(client, history, settings):
    settings.VALIDITY_MIN_HIRES = 19
    _, html = page(client, history.recruiter)
    assert "Only 18 hires with both a score and an outcome" in html
    assert "from 19 hires on" in html
    assert 'id="no-suggestion"' in html


def test_a_profile_that_is_not_the_readers_is_a_404_and_nonsense_is_a_400(client, history):
    elsewhere = RoleProfile.objects.create(name="Data Scientist", slug="data-scientist")
    RequisitionFactory(title="Data, 2025", profile=elsewhere)
    status, _ = page(client, history.recruiter, f"?profile={elsewhere.pk}")
    assert status == 404
    status, html = page(client, history.recruiter, "?profile=drop+table")
    assert status == 400
    assert "profile: write a role profile's number" in html
    response = api_client(history.recruiter).get(API, {"profile": "x"})
    assert response.status_code == 400
    assert "profile" in response.json()
    status, _ = page(client, history.admin, f"?profile={elsewhere.pk}")
    assert status == 200


def test_every_profile_shows_the_overall_and_interviewers_only(client, history):
    status, html = page(client, history.admin, "?profile=all")
    assert status == 200
    assert "across every role profile" in html
    assert "22 hires you may see" in html
    assert 'id="weights-heading"' in html
    assert "pick one to see them" in html


def test_the_csv_has_the_same_figures_and_interviewers_only_for_recruiters(client, history):
    client.force_login(history.recruiter)
    response = client.get(CSV)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == report.CSV_HEADER
    kinds = [row[0] for row in rows[1:]]
    assert kinds.count("overall") == 1
    assert kinds.count("interviewer") == 2
    assert all(row[2] == "18" for row in rows[1:] if row[0] != "dimension" or row[3])
    client.force_login(history.manager)
    rows = list(csv.reader(io.StringIO(client.get(CSV).content.decode())))
    assert "interviewer" not in [row[0] for row in rows[1:]]


def test_the_api_gives_the_report_with_the_same_rules(history):
    body = api_client(history.recruiter).get(API).json()
    assert body["profile"]["id"] == history.profile.pk
    assert (body["hires"], body["with_outcome"], body["min_hires"]) == (18, 18, 15)
    assert body["overall"]["n"] == 18
    assert body["overall"]["method"] == "spearman"
    assert body["overall"]["r"] is not None
    assert len(body["interviewers"]) == 2
    assert "Only hires have outcomes" in body["caution"]
    assert {d["slug"] for d in body["dimensions"]} == {
        d.slug for d in history.profile.dimensions.all()
    }
    manager = api_client(history.manager).get(API).json()
    assert manager["interviewers"] is None
    other = api_client(history.other_recruiter).get(API).json()
    assert (other["hires"], other["overall"]["r"]) == (4, None)


def test_a_noisy_interviewer_is_flagged_against_the_panel(history, settings):
    settings.VALIDITY_RESAMPLES = 1000
    data = report.validity_report(history.admin, str(history.profile.pk))
    # Jonas rates with noise sd 2 against Iris's 0.3, on the same 18 hires.
    assert [row.name for row in data.noisy] == [history.panel[1].display_name]


def test_query_count_does_not_grow_with_the_hires(client, history):
    client.force_login(history.recruiter)
    with CaptureQueriesContext(connection) as before:
        assert client.get(PAGE).status_code == 200
    requisition = history.loops[0].requisition
    hire_history(requisition, history.panel, 6, seed=9)
    with CaptureQueriesContext(connection) as after:
        response = client.get(PAGE)
    assert "24 hires you may see" in response.content.decode()
    assert len(after.captured_queries) == len(before.captured_queries)


def test_reading_the_report_writes_nothing(client, history):
    for user, url in (
        (history.recruiter, PAGE),
        (history.manager, CSV),
        (history.admin, PAGE + "?profile=all"),
    ):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(WRITES)
        ]
        assert writes == []


def test_interviewer_rows_come_only_from_requisitions_the_reader_recruits_for(history):
    # The recruiter also manages the other requisition: its hires count in the figures,
    # not in the interviewers' records.
    theirs = history.other_loops[0].requisition
    theirs.hiring_manager = history.recruiter
    theirs.save()
    data = report.validity_report(history.recruiter, str(history.profile.pk))
    assert (data.hired, data.overall.n) == (22, 22)
    assert data.interviewers is not None
    assert [row.comparison.own.n for row in data.interviewers] == [18, 18]
    everyone = report.validity_report(history.admin, "all").interviewers
    assert everyone is not None
    assert [row.comparison.own.n for row in everyone] == [22, 22]


def test_the_page_opens_on_the_profile_with_the_most_outcomes(client, history):
    # an administrator may read every profile, most with no hires at all: the first by name
    # (the rubric's "Chief Product Officer") would show nothing but withheld figures
    client.force_login(history.admin)
    page = client.get(reverse("scorecards:insight_validity")).content.decode()
    assert f"<title>Predictive validity · {escape(history.profile.name)}" in page
