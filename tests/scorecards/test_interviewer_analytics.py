"""Interviewer analytics (issue 18): who sees whose figures, what the figures say, the CSV,
constant query counts, and a GET that writes nothing.

The world: requisition A (recruiter rita, manager hugo) and requisition B (recruiter rob).
iris sits on loops of both; jonas on A's only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hiring.models import Decision, User
from scorecards.analytics.reports import interviewers as report
from scorecards.calibration import summaries
from scorecards.models import CalibrationRun
from tests.factories import DecisionFactory, InterviewFactory, UserFactory
from tests.scorecards.interviewer_world import (  # noqa: F401 (the fixtures)
    history_fixture,
    req_a_fixture,
    req_b_fixture,
    rob_fixture,
    sit,
)

pytestmark = pytest.mark.django_db

LIST = reverse("scorecards:insight_interviewers")
CSV = reverse("scorecards:insight_interviewers_csv")
WRITES = ("INSERT", "UPDATE", "DELETE")


def person_url(user: User) -> str:
    return reverse("scorecards:insight_interviewer", args=[user.pk])


def rows_on_page(response) -> dict[int, report.InterviewerRow]:
    return {row.pk: row for row in response.context["page"].object_list}


# --- Who sees what -------------------------------------------------------------------------


def test_a_recruiter_sees_their_requisitions_interviewers_from_those_loops_only(
    client, recruiter, rob, interviewer, other_interviewer, history
):
    # when rita (A) and rob (B) read the table
    client.force_login(recruiter)
    rita_rows = rows_on_page(client.get(LIST))
    client.force_login(rob)
    rob_rows = rows_on_page(client.get(LIST))

    # then rita sees iris and jonas, iris's figures from A's two loops only
    assert set(rita_rows) == {interviewer.pk, other_interviewer.pk}
    assert rita_rows[interviewer.pk].scorecards == 2
    assert rita_rows[interviewer.pk].feedback.median_hours == pytest.approx(3.0)  # 1 h, 5 h
    # and rob sees iris alone, from B's loop only (A's figures are absent: 1 scorecard, 50 h)
    assert set(rob_rows) == {interviewer.pk}
    assert rob_rows[interviewer.pk].scorecards == 1
    assert rob_rows[interviewer.pk].feedback.median_hours == pytest.approx(50.0)
    # and jonas, who never sat on B, is a 404 for rob
    assert client.get(person_url(other_interviewer)).status_code == 404


def test_an_interviewer_sees_only_their_own_analytics(
    client, interviewer, other_interviewer, history
):
    client.force_login(interviewer)

    response = client.get(LIST)

    # only iris's row, from all her own seats (A's two and B's one), no decisions column
    rows = rows_on_page(response)
    assert set(rows) == {interviewer.pk}
    assert rows[interviewer.pk].scorecards == 3
    assert rows[interviewer.pk].decision is None
    assert b"Agrees with the decision" not in response.content
    # her own page opens; a colleague's is a 404
    own = client.get(person_url(interviewer))
    assert own.status_code == 200
    assert b"Your feedback as an interviewer" in own.content
    assert client.get(person_url(other_interviewer)).status_code == 404


def test_an_outsider_sees_nothing(client, outsider, interviewer, history):
    client.force_login(outsider)

    response = client.get(LIST)

    assert rows_on_page(response) == {}
    assert b"nothing to show" in response.content
    assert client.get(person_url(interviewer)).status_code == 404
    rows = list(csv.reader(io.StringIO(client.get(CSV).content.decode())))
    assert len(rows) == 1  # the header alone


def test_a_hiring_manager_reads_their_requisitions_like_its_recruiter(
    client, hiring_manager, interviewer, other_interviewer, history
):
    client.force_login(hiring_manager)
    rows = rows_on_page(client.get(LIST))
    assert set(rows) == {interviewer.pk, other_interviewer.pk}
    assert rows[interviewer.pk].scorecards == 2


def test_a_loop_where_the_reader_still_owes_a_scorecard_is_not_counted(
    client, recruiter, req_a, interviewer, other_interviewer, history
):
    # given rita also sits on a new A loop with iris, and has not submitted yet
    loop = sit(req_a, [interviewer], after_hours=(100.0,))
    InterviewFactory(loop=loop, interviewers=[recruiter], focus=["communication"])
    client.force_login(recruiter)

    rows = rows_on_page(client.get(LIST))

    # then iris's figures still rest on the two loops whose feedback rita may read
    assert rows[interviewer.pk].scorecards == 2


# --- What the figures say ------------------------------------------------------------------


def test_agreement_with_the_panel_and_the_decision(
    client, recruiter, interviewer, other_interviewer, hiring_manager, history
):
    a1, a2, _b1 = history
    # a1: both said yes; a2: iris no, jonas yes. The manager hired a1 and turned a2 down.
    DecisionFactory(loop=a1, decided_by=hiring_manager, outcome=Decision.Outcome.HIRE)
    DecisionFactory(loop=a2, decided_by=hiring_manager, outcome=Decision.Outcome.NO_HIRE)
    client.force_login(recruiter)

    rows = rows_on_page(client.get(LIST))

    iris, jonas = rows[interviewer.pk], rows[other_interviewer.pk]
    assert iris.decision is not None
    assert jonas.decision is not None
    assert (iris.panel.hits, iris.panel.n) == (1, 2)  # a1 with jonas, a2 against him
    assert (iris.decision.hits, iris.decision.n) == (2, 2)  # yes/hire, no/no hire
    assert (jonas.decision.hits, jonas.decision.n) == (1, 2)  # yes/hire, yes/no hire
    # every scorecard was submitted well after the first reminder (60 minutes) but iris's
    # one-hour one, which came at the deadline: on time
    assert (iris.overdue.hits, iris.overdue.n) == (1, 2)
    assert (jonas.overdue.hits, jonas.overdue.n) == (2, 2)


def test_the_person_page_draws_the_leniency_trend_and_the_feedback_times(
    client, recruiter, interviewer, history
):
    # given two more refits, backdated a week apart
    for days in (14, 7):
        run = summaries.calibration_refit()
        CalibrationRun.objects.filter(pk=run.pk).update(
            fitted_at=timezone.now() - timedelta(days=days)
        )
    client.force_login(recruiter)

    response = client.get(person_url(interviewer))

    assert response.status_code == 200
    assert len(response.context["trend"]) == 3
    html = response.content.decode()
    assert 'id="leniency-trend"' in html
    assert html.count('class="point"') == 3
    assert 'id="feedback-times"' in html
    # iris's two A scorecards: 1 h (under 1 h? no: 1-4 h) and 5 h (4-24 h)
    assert "<title>1-4 h: 1 scorecards</title>" in html
    assert "<title>4-24 h: 1 scorecards</title>" in html


def test_the_reliability_per_dimension_is_shown(client, recruiter, history):
    client.force_login(recruiter)
    response = client.get(LIST)
    dimensions = {d.name: d for d in response.context["result"].dimensions}
    strategy = dimensions["Product strategy"]
    # two A loops, each rated by iris and jonas on product strategy: 4 ratings
    assert strategy.ratings == 4
    assert 'id="reliability"' in response.content.decode()


# --- Sorting, CSV, queries, no writes --------------------------------------------------------


def test_sorting_by_time_to_feedback(client, recruiter, interviewer, other_interviewer, history):
    client.force_login(recruiter)
    fastest = client.get(LIST, {"sort": "median"}).context["page"].object_list
    slowest = client.get(LIST, {"sort": "-p90"}).context["page"].object_list
    assert [r.pk for r in fastest] == [interviewer.pk, other_interviewer.pk]
    assert [r.pk for r in slowest] == [other_interviewer.pk, interviewer.pk]


def test_the_csv_is_safe_for_spreadsheets(client, recruiter, req_a):
    sly = UserFactory(username="sly", first_name="=HYPERLINK(1)", last_name="")
    sit(req_a, [sly])
    client.force_login(recruiter)

    response = client.get(CSV)

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["interviewer"] == "'=HYPERLINK(1)"
    assert rows[0]["scorecards"] == "1"


def test_query_count_does_not_grow_with_loops_and_people(
    client, recruiter, req_a, interviewer, other_interviewer
):
    sit(req_a, [interviewer, other_interviewer])
    summaries.calibration_refit()
    client.force_login(recruiter)
    client.get(LIST)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        client.get(LIST)
    for index in range(8):
        people = [UserFactory(username=f"p{index}-{n}") for n in range(3)]
        sit(req_a, people, after_hours=(1.0, 20.0, 80.0), recs=("yes", "no"))
    summaries.calibration_refit()
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST)
    assert len(rows_on_page(response)) == 26
    assert len(large.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as person:
        client.get(person_url(interviewer))
    assert len(person.captured_queries) <= len(large.captured_queries) + 2


def test_reading_the_analytics_writes_nothing(client, recruiter, interviewer, history):
    client.force_login(recruiter)
    client.get(LIST)
    for url in (LIST, CSV, person_url(interviewer)):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(WRITES)]
        assert writes == [], url


def test_home_links_each_reader_to_their_analytics(
    client, recruiter, interviewer, outsider, history
):
    client.force_login(recruiter)
    assert f'href="{LIST}"'.encode() in client.get("/").content
    client.force_login(interviewer)
    home = client.get("/").content
    assert f'href="{person_url(interviewer)}"'.encode() in home
    assert f'href="{LIST}"'.encode() not in home
    client.force_login(outsider)
    assert b"/insight/interviewers" not in client.get("/").content


def test_a_trainees_scorecard_is_not_the_panels_view(
    client, recruiter, interviewer, other_interviewer, history
):
    _a1, a2, _b1 = history
    # jonas sat a2 as a trainee (issue 17): his scorecard there is kept and measures him,
    # but the panel's view iris is compared with is the qualified interviewers' only
    seat = a2.interviews.get(interviewers=other_interviewer)
    seat.trainees.add(other_interviewer)
    client.force_login(recruiter)

    rows = rows_on_page(client.get(LIST))

    iris, jonas = rows[interviewer.pk], rows[other_interviewer.pk]
    assert (iris.panel.hits, iris.panel.n) == (1, 1)  # a1 only: a2 has no one else left
    assert jonas.panel.n == 2  # his own agreement with the panel still counts both
