"""Issue 18 on the summary page: the debrief meeting, the discussion (post, mention, delete),
the blind rule, and the decision form's debrief outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hiring import debriefs
from hiring.delivery.notifications import deliver_due
from hiring.models import DebriefComment, DebriefOutcome, Loop
from scorecards.calibration import summaries
from scorecards.manager.debriefs import THREAD_LATEST
from scorecards.services import loop_refresh_status
from tests.factories import InterviewFactory
from tests.scorecards.test_summaries import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_loop(world, interviewer, other_interviewer) -> Loop:
    submit(world.interview, interviewer, rating=4)
    submit(world.other_interview, other_interviewer, rating=2)
    summaries.loop_summary_compute(loop_id=world.loop.pk)
    loop_refresh_status(loop_id=world.loop.pk)
    world.loop.refresh_from_db()
    return world.loop


def summary_url(loop: Loop) -> str:
    return reverse("scorecards:manager_loop", args=[loop.pk])


def test_the_summary_shows_the_scheduled_debrief_and_the_thread_newest_last(
    client, ready_loop, recruiter, hiring_manager
):
    start = datetime(2031, 12, 4, 15, 0, tzinfo=UTC)
    assert ready_loop.status == Loop.Status.READY_FOR_DEBRIEF
    debriefs.debrief_schedule(
        loop=ready_loop,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        time_zone="UTC",
        location="Room 7",
        by=recruiter,
    )
    debriefs.comment_post(loop=ready_loop, body="First thought.", by=recruiter)
    debriefs.comment_post(loop=ready_loop, body="Second thought.", by=hiring_manager)
    client.force_login(hiring_manager)
    html = client.get(summary_url(ready_loop)).content.decode()
    assert "Room 7" in html
    assert "Thursday 04 December 2031, 15:00" in html
    assert html.index("First thought.") < html.index("Second thought.")


def test_posting_a_comment_with_a_mention_notifies_and_a_bad_mention_is_explained(
    client, ready_loop, recruiter, hiring_manager, interviewer
):
    client.force_login(recruiter)
    url = reverse("scorecards:manager_comment", args=[ready_loop.pk])
    # when the recruiter mentions an interviewer, who may not read the summary
    refused = client.post(url, {"body": f"@{interviewer.username} what did you see?"})
    assert refused.status_code == 400
    assert "cannot be mentioned" in refused.content.decode()
    assert not DebriefComment.objects.exists()
    # when they mention the hiring manager
    posted = client.post(url, {"body": f"@{hiring_manager.username} over to you."})
    assert posted.status_code == 302
    deliver_due()
    assert [m.to for m in mail.outbox] == [[hiring_manager.email]]
    assert "over to you." in client.get(summary_url(ready_loop)).content.decode()


def test_a_panelist_who_owes_a_scorecard_sees_no_thread_and_cannot_post(
    client, ready_loop, recruiter, hiring_manager
):
    InterviewFactory(loop=ready_loop, interviewers=[hiring_manager])
    debriefs.comment_post(loop=ready_loop, body="CONFIDENTIAL-THREAD-TEXT", by=recruiter)
    client.force_login(hiring_manager)
    html = client.get(summary_url(ready_loop)).content.decode()
    assert "CONFIDENTIAL-THREAD-TEXT" not in html
    assert "Post comment" not in html
    refused = client.post(
        reverse("scorecards:manager_comment", args=[ready_loop.pk]), {"body": "Me too."}
    )
    assert refused.status_code == 403
    assert DebriefComment.objects.count() == 1


def test_only_the_author_deletes_a_comment(client, ready_loop, recruiter, hiring_manager):
    comment = debriefs.comment_post(loop=ready_loop, body="Retract me.", by=recruiter)
    delete = reverse("scorecards:manager_comment_delete", args=[comment.pk])
    client.force_login(hiring_manager)
    assert client.post(delete).status_code == 403
    html = client.get(summary_url(ready_loop)).content.decode()
    assert "Delete my comment" not in html
    client.force_login(recruiter)
    assert client.post(delete).status_code == 302
    html = client.get(summary_url(ready_loop)).content.decode()
    assert "Retract me." not in html
    assert "Deleted by its author." in html


def test_the_manager_records_the_debrief_outcome_with_the_decision(
    client, ready_loop, hiring_manager, interviewer, other_interviewer
):
    client.force_login(hiring_manager)
    html = client.get(summary_url(ready_loop)).content.decode()
    assert 'name="debrief_outcome"' in html
    response = client.post(
        reverse("scorecards:manager_decide", args=[ready_loop.pk]),
        {
            "outcome": "hire",
            "rationale": "The debrief settled the strategy question.",
            "debrief_outcome": "held",
            "attendees": [interviewer.pk, hiring_manager.pk],
        },
    )
    assert response.status_code == 302
    record = DebriefOutcome.objects.get()
    assert set(record.attendees.all()) == {interviewer, hiring_manager}
    html = client.get(summary_url(ready_loop)).content.decode()
    assert "Debrief held: attended by" in html
    assert other_interviewer.display_name in html  # still a choice on the form, not attended


def test_attendees_without_a_held_debrief_are_refused_in_the_form(
    client, ready_loop, hiring_manager, interviewer
):
    client.force_login(hiring_manager)
    response = client.post(
        reverse("scorecards:manager_decide", args=[ready_loop.pk]),
        {
            "outcome": "hire",
            "rationale": "Clear.",
            "debrief_outcome": "skipped",
            "attendees": [interviewer.pk],
        },
    )
    assert response.status_code == 400
    assert "Only a debrief that was held has attendees." in response.content.decode()
    assert not DebriefOutcome.objects.exists()


def test_the_summary_costs_the_same_queries_with_2_and_40_comments(
    client, ready_loop, recruiter, hiring_manager
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(hiring_manager)
    client.get(summary_url(ready_loop))  # warm the session and content types
    counts = []
    for total in (2, 40):
        existing = DebriefComment.objects.count()
        DebriefComment.objects.bulk_create(
            DebriefComment(loop=ready_loop, author=recruiter, body=f"Point {n}.")
            for n in range(existing, total)
        )
        with CaptureQueriesContext(connection) as queries:
            html = client.get(summary_url(ready_loop)).content.decode()
        assert f"Point {total - 1}." in html
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_long_discussion_shows_its_latest_comments_and_a_link_to_all_in_constant_queries(
    client, ready_loop, recruiter
):
    def post(n: int) -> None:
        DebriefComment.objects.bulk_create(
            DebriefComment(loop=ready_loop, author=recruiter, body=f"Point number {k}.")
            for k in range(n)
        )

    client.force_login(recruiter)
    post(THREAD_LATEST + 5)
    with CaptureQueriesContext(connection) as fewer:
        html = client.get(summary_url(ready_loop)).content.decode()
    # the latest fifty, oldest of them first; the five before them behind a link
    assert html.count('<li class="comment') == THREAD_LATEST
    assert "Point number 5." in html
    assert "Point number 4." not in html
    assert html.index("Point number 5.") < html.index(f"Point number {THREAD_LATEST + 4}.")
    assert "Show the 5 earlier comments" in html
    whole = client.get(summary_url(ready_loop), {"comments": "all"}).content.decode()
    assert whole.count('<li class="comment') == THREAD_LATEST + 5
    assert "Point number 0." in whole
    assert "earlier comment" not in whole
    # the page's cost does not grow with the thread
    post(200)
    with CaptureQueriesContext(connection) as more:
        html = client.get(summary_url(ready_loop)).content.decode()
    assert "Show the 205 earlier comments" in html
    assert len(fewer.captured_queries) > 0
    assert len(more.captured_queries) == len(fewer.captured_queries)
