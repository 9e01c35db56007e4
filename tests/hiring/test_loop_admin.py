"""The recruiter's loop list and loop page: counts from annotations, open loops by default,
actions and buttons that call services, and DESIGN §6 on every one of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hiring.models import Interview, Loop, Notification
from hiring.roles import RECRUITERS_GROUP
from scorecards import services as scorecard_services
from tests.factories import (
    InterviewFactory,
    LoopFactory,
    RequisitionFactory,
    UserFactory,
)
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db

LIST = "/admin/hiring/loop/"
CONFIRMED = {"confirm": "yes", "reason": "Asked."}  # as sent from an action's confirmation


@pytest.fixture
def other_recruiter():
    user = UserFactory(username="otto", is_staff=True)
    user.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    return user


def submit(interview, interviewer):
    scorecard = scorecard_services.scorecard_get_or_create(
        interview=interview, interviewer=interviewer
    )
    scorecard_services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(interview)
    )


def add_loops(requisition, count):
    for _ in range(count):
        loop = LoopFactory(requisition=requisition)
        panel = [UserFactory(), UserFactory()]
        InterviewFactory(loop=loop, interviewers=panel)
        InterviewFactory(
            loop=loop,
            interviewers=[UserFactory()],
            starts_at=timezone.now() + timedelta(days=2),
        )


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


def test_the_loop_list_costs_the_same_queries_for_2_and_50_loops(client, world, recruiter):
    # given two loops
    add_loops(world.requisition, 1)
    client.force_login(recruiter)
    few = list_queries(client)
    # when there are fifty
    add_loops(world.requisition, 48)
    assert Loop.objects.filter(requisition=world.requisition).count() == 50
    many = list_queries(client)
    # then the list costs the same
    assert few == many


def test_the_list_shows_scorecards_in_and_owed_next_and_overdue(
    client, world, recruiter, interviewer, other_interviewer
):
    # given one of two panel seats submitted, a third interview cancelled, one upcoming
    submit(world.interview, interviewer)
    InterviewFactory(loop=world.loop, interviewers=[interviewer], status="cancelled")
    upcoming = InterviewFactory(
        loop=world.loop,
        interviewers=[interviewer],
        starts_at=timezone.now() + timedelta(days=3),
    )
    client.force_login(recruiter)
    # when the recruiter opens the list
    response = client.get(LIST)
    # then the counts come from the annotations
    loop = response.context["cl"].result_list[0]
    assert (loop._submitted, loop._seats) == (1, 3)
    assert loop._next_interview == upcoming.starts_at
    assert loop._oldest_overdue == world.other_interview.ends_at
    assert "1/3" in response.content.decode()


def test_the_list_defaults_to_open_loops_and_searches_candidates(client, world, recruiter):
    closed = LoopFactory(requisition=world.requisition, status="withdrawn")
    client.force_login(recruiter)
    page = client.get(LIST).content.decode()
    assert world.loop.candidate.full_name in page
    assert closed.candidate.full_name not in page
    page = client.get(LIST, {"state": "all"}).content.decode()
    assert closed.candidate.full_name in page
    page = client.get(LIST, {"state": "all", "q": closed.candidate.email}).content.decode()
    assert closed.candidate.full_name in page
    assert world.loop.candidate.full_name not in page


def test_the_list_shows_the_recommendation_once_computed(client, world, recruiter):
    from scorecards.models import LoopSummary

    LoopSummary.objects.create(
        loop=world.loop,
        computed_at=timezone.now(),
        model_version="t",
        fingerprint="x",
        recommendation="strong_hire",
    )
    client.force_login(recruiter)
    page = client.get(LIST).content.decode()
    assert "Strong hire" in page  # the words, not the code
    assert "strong_hire" not in page


def test_a_recruiter_cannot_create_a_loop_on_someone_elses_requisition(
    client, world, other_recruiter
):
    client.force_login(other_recruiter)
    response = client.get("/admin/hiring/loop/add/")
    choices = [
        str(value) for value, _ in response.context["adminform"].form.fields["requisition"].choices
    ]
    assert str(world.requisition.pk) not in choices


# --- Actions ------------------------------------------------------------------------------


def action(client, name, loop, url=LIST):
    """Run an action as confirmed on its confirmation page (tests/hiring/test_safe_actions.py
    covers the page itself)."""
    return client.post(
        url,
        {"action": name, "_selected_action": [loop.pk], "confirm": "yes", "reason": "Asked."},
        follow=True,
    )


def test_withdraw_cancels_future_interviews_and_tells_the_invited_panel(
    client, world, recruiter, interviewer
):
    # given an invited future interview and a past one
    future = InterviewFactory(
        loop=world.loop, interviewers=[interviewer], starts_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(recruiter)
    client.post(f"/admin/hiring/loop/{world.loop.pk}/run/send_invites/", CONFIRMED)
    # when the recruiter withdraws the candidate
    action(client, "withdraw", world.loop)
    # then the loop is withdrawn, the future interview cancelled with a notice, the past kept
    world.loop.refresh_from_db()
    future.refresh_from_db()
    world.interview.refresh_from_db()
    assert world.loop.status == "withdrawn"
    assert future.status == "cancelled"
    assert future.calendar_sequence == 1
    assert world.interview.status == "scheduled"
    cancel = Notification.objects.get(reason="interview.cancel")
    assert (cancel.object_id, cancel.recipient, cancel.sequence) == (future.pk, interviewer, 1)


def test_nudge_reaches_only_those_who_owe_and_each_press_is_a_new_message(
    client, world, recruiter, interviewer, other_interviewer
):
    submit(world.interview, interviewer)
    client.force_login(recruiter)
    action(client, "nudge", world.loop)
    action(client, "nudge", world.loop)
    nudges = Notification.objects.filter(reason="scorecard.nudge").order_by("sequence")
    assert [(n.recipient, n.sequence) for n in nudges] == [
        (other_interviewer, 0),
        (other_interviewer, 1),
    ]


def test_no_show_and_cancel_end_the_scorecard_obligation(
    client, world, recruiter, interviewer, other_interviewer
):
    client.force_login(recruiter)
    client.post(
        "/admin/hiring/interview/",
        {"action": "mark_no_show", "_selected_action": [world.interview.pk], **CONFIRMED},
    )
    client.post(
        "/admin/hiring/interview/",
        {
            "action": "mark_cancelled",
            "_selected_action": [world.other_interview.pk],
            **CONFIRMED,
        },
    )
    world.interview.refresh_from_db()
    world.other_interview.refresh_from_db()
    assert world.interview.status == Interview.Status.NO_SHOW
    assert world.other_interview.status == Interview.Status.CANCELLED
    assert not world.interview.owes_feedback
    loop = client.get(LIST).context["cl"].result_list[0]
    assert loop._seats == 0
    action(client, "nudge", world.loop)
    assert not Notification.objects.filter(reason="scorecard.nudge").exists()


def test_a_future_interview_cannot_be_a_no_show(client, world, recruiter, interviewer):
    future = InterviewFactory(
        loop=world.loop, interviewers=[interviewer], starts_at=timezone.now() + timedelta(days=1)
    )
    client.force_login(recruiter)
    client.post(
        "/admin/hiring/interview/",
        {"action": "mark_no_show", "_selected_action": [future.pk], **CONFIRMED},
    )
    future.refresh_from_db()
    assert future.status == "scheduled"


# --- Another recruiter --------------------------------------------------------------------


def test_a_recruiter_of_another_requisition_can_run_nothing_on_the_loop(
    client, world, other_recruiter, interviewer
):
    RequisitionFactory(recruiters=[other_recruiter])
    client.force_login(other_recruiter)
    assert world.loop.candidate.full_name not in client.get(LIST).content.decode()
    for name in ("withdraw", "nudge", "send_invites"):
        action(client, name, world.loop)
        assert client.post(f"/admin/hiring/loop/{world.loop.pk}/run/{name}/").status_code == 404
    for name in ("mark_no_show", "mark_cancelled"):
        client.post(
            "/admin/hiring/interview/",
            {"action": name, "_selected_action": [world.interview.pk], **CONFIRMED},
        )
    assert client.get(f"/admin/hiring/interview/{world.interview.pk}/change/").status_code == 302
    world.loop.refresh_from_db()
    world.interview.refresh_from_db()
    assert world.loop.status == "scheduling"
    assert world.interview.status == "scheduled"
    assert not Notification.objects.exists()


def test_the_services_refuse_a_recruiter_of_another_requisition(world, other_recruiter):
    from django.core.exceptions import PermissionDenied

    from hiring import services

    for run in (services.loop_nudge, services.loop_send_invites):
        with pytest.raises(PermissionDenied):
            run(loop=world.loop, by=other_recruiter)
    with pytest.raises(PermissionDenied):
        services.loop_withdraw(loop=world.loop, by=other_recruiter, reason="Asked.")
    with pytest.raises(PermissionDenied):
        services.interview_set_status(
            interview=world.interview, status="cancelled", by=other_recruiter, reason="Asked."
        )


def test_the_loop_list_shows_times_in_the_recruiters_own_time_zone(client, world, recruiter):
    # given a recruiter in Singapore and the next interview at 09:00 UTC on 1 December 2026
    recruiter.time_zone = "Asia/Singapore"
    recruiter.save(update_fields=["time_zone"])
    start = timezone.now().replace(year=2030, month=12, day=1, hour=9, minute=0, second=0)
    Interview.objects.filter(pk=world.interview.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=1)
    )
    Interview.objects.filter(pk=world.other_interview.pk).update(
        starts_at=start + timedelta(days=1), ends_at=start + timedelta(days=1, hours=1)
    )
    client.force_login(recruiter)

    # when they open the loop list, the next interview reads 17:00, their wall-clock time
    html = client.get(LIST).content.decode()
    assert "Sun 01 Dec, 17:00" in html
    assert "09:00" not in html

    # and a colleague in UTC sees the same instant as 09:00
    recruiter.time_zone = "UTC"
    recruiter.save(update_fields=["time_zone"])
    assert "Sun 01 Dec, 09:00" in client.get(LIST).content.decode()


def test_the_loop_page_links_to_its_calibrated_summary(client, world, recruiter):
    client.force_login(recruiter)

    page = client.get(f"{LIST}{world.loop.pk}/change/").content.decode()

    assert f'href="/manager/loops/{world.loop.pk}/"' in page  # "View on site"


def test_the_list_sorts_stages_in_pipeline_order_and_says_them_in_words(client, world, recruiter):
    # given loops in every open stage, created in an order that is neither
    for stage in ("ready_for_debrief", "in_progress", "awaiting_feedback"):
        LoopFactory(requisition=world.requisition, status=stage)
    client.force_login(recruiter)

    # when the recruiter sorts by stage (the third column)
    response = client.get(LIST, {"o": "3"})

    # then the stages follow the pipeline, not the alphabet, and read as words
    stages = [loop.status for loop in response.context["cl"].result_list]
    assert stages == ["scheduling", "in_progress", "awaiting_feedback", "ready_for_debrief"]
    page = response.content.decode()
    assert "Ready for debrief" in page
    assert "ready_for_debrief</td>" not in page
