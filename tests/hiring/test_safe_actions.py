"""Actions that cannot be taken back ask first (issue 15, item 6): withdrawing a candidate,
cancelling an interview and marking a no-show show what will happen (which loops, which
interviews, who is told) and need a reason, which the service checks and the audit trail
keeps; sending invites and nudging show their counts and names before anything is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hiring import services
from hiring.errors import Invalid
from hiring.models import AuditEvent, Interview, Loop, Notification
from tests.factories import InterviewFactory, LoopFactory, UserFactory

pytestmark = pytest.mark.django_db

LOOPS = "/admin/hiring/loop/"
INTERVIEWS = "/admin/hiring/interview/"


@pytest.fixture
def invited_future(world, recruiter, interviewer):
    """A future interview of the world's loop whose panel has had its invite."""
    future = InterviewFactory(
        loop=world.loop,
        title="Portfolio case",
        interviewers=[interviewer],
        starts_at=timezone.now() + timedelta(days=2),
    )
    services.loop_send_invites(loop=world.loop, by=recruiter)
    return future


def post(client, url, **data):
    return client.post(url, data, follow=True)


def cancels_sent():
    return Notification.objects.filter(reason=services.INTERVIEW_CANCEL).count()


# --- Withdraw -------------------------------------------------------------------------------


def test_withdraw_shows_the_loops_interviews_and_who_is_told_before_anything_changes(
    client, world, recruiter, interviewer, invited_future
):
    second = LoopFactory(requisition=world.requisition)
    client.force_login(recruiter)

    page = post(
        client, LOOPS, action="withdraw", _selected_action=[world.loop.pk, second.pk]
    ).content.decode()

    # both loops, the interview that would be cancelled and whose calendar it leaves
    assert str(world.loop.candidate) in page
    assert str(second.candidate) in page
    assert "Cancels “Portfolio case”" in page
    assert f"a calendar cancellation goes to {interviewer.display_name}" in page
    assert "No future interview to cancel." in page  # the second loop has none
    assert "Withdraws 2 loops, cancels 1 interview; 1 panel member gets" in page
    assert 'name="reason"' in page
    # and nothing happened yet
    world.loop.refresh_from_db()
    invited_future.refresh_from_db()
    assert world.loop.status != Loop.Status.WITHDRAWN
    assert invited_future.status == Interview.Status.SCHEDULED


def test_withdraw_without_a_reason_changes_nothing_and_says_so(
    client, world, recruiter, invited_future
):
    client.force_login(recruiter)

    response = post(
        client,
        LOOPS,
        action="withdraw",
        _selected_action=[world.loop.pk],
        confirm="yes",
        reason="   ",
    )

    assert "Say why the candidate withdraws." in response.content.decode()
    world.loop.refresh_from_db()
    invited_future.refresh_from_db()
    assert world.loop.status == Loop.Status.SCHEDULING
    assert invited_future.status == Interview.Status.SCHEDULED
    assert cancels_sent() == 0
    assert not AuditEvent.objects.filter(object_type="hiring.loop").exists()


def test_withdraw_with_a_reason_cancels_and_keeps_the_reason_in_the_audit_trail(
    client, world, recruiter, interviewer, invited_future
):
    client.force_login(recruiter)

    response = post(
        client,
        LOOPS,
        action="withdraw",
        _selected_action=[world.loop.pk],
        confirm="yes",
        reason="Accepted another offer.",
    )

    assert "Interviews cancelled: 1." in response.content.decode()
    world.loop.refresh_from_db()
    invited_future.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN
    assert invited_future.status == Interview.Status.CANCELLED
    assert cancels_sent() == 1
    stage = AuditEvent.objects.get(action="loop.stage_changed", object_id=str(world.loop.pk))
    assert stage.after == {"status": "withdrawn", "reason": "Accepted another offer."}
    assert (stage.actor, stage.candidate_id) == (recruiter, world.loop.candidate_id)
    cancelled = AuditEvent.objects.get(action="interview.cancelled")
    assert cancelled.object_id == str(invited_future.pk)
    assert cancelled.after == {"status": "cancelled", "reason": "Accepted another offer."}


def test_the_withdraw_button_on_the_loop_page_asks_first_and_comes_back_to_the_loop(
    client, world, recruiter, invited_future
):
    client.force_login(recruiter)
    button = f"{LOOPS}{world.loop.pk}/run/withdraw/"

    page = client.post(button).content.decode()
    assert "Cancels “Portfolio case”" in page
    assert f'href="{LOOPS}{world.loop.pk}/change/"' in page  # "Go back"
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.SCHEDULING

    done = client.post(button, {"confirm": "yes", "reason": "Moved abroad."})
    assert done.status_code == 302
    assert done["Location"] == f"{LOOPS}{world.loop.pk}/change/"
    world.loop.refresh_from_db()
    assert world.loop.status == Loop.Status.WITHDRAWN


# --- Cancel and no-show ---------------------------------------------------------------------


def test_cancel_lists_the_interview_and_its_panel_and_needs_a_reason(
    client, world, recruiter, interviewer, invited_future
):
    client.force_login(recruiter)
    selected = {"action": "mark_cancelled", "_selected_action": [invited_future.pk]}

    page = post(client, INTERVIEWS, **selected).content.decode()
    assert "“Portfolio case”" in page
    assert f"A calendar cancellation goes to {interviewer.display_name}." in page
    assert "gets their updated schedule" in page

    blank = post(client, INTERVIEWS, **selected, confirm="yes", reason="")
    assert "Say why the interview is cancelled." in blank.content.decode()
    invited_future.refresh_from_db()
    assert invited_future.status == Interview.Status.SCHEDULED
    assert cancels_sent() == 0

    post(client, INTERVIEWS, **selected, confirm="yes", reason="The candidate is ill.")
    invited_future.refresh_from_db()
    assert invited_future.status == Interview.Status.CANCELLED
    assert cancels_sent() == 1
    event = AuditEvent.objects.get(action="interview.cancelled")
    assert event.before == {"status": "scheduled"}
    assert event.after == {"status": "cancelled", "reason": "The candidate is ill."}
    assert event.candidate_id == world.loop.candidate_id


def test_no_show_asks_first_needs_a_reason_and_audits_it(client, world, recruiter):
    client.force_login(recruiter)
    selected = {"action": "mark_no_show", "_selected_action": [world.interview.pk]}

    page = post(client, INTERVIEWS, **selected).content.decode()
    assert world.interview.title in page
    assert "Nobody is e-mailed." in page
    world.interview.refresh_from_db()
    assert world.interview.status == Interview.Status.SCHEDULED

    blank = post(client, INTERVIEWS, **selected, confirm="yes", reason=" ")
    assert "Say what happened" in blank.content.decode()
    world.interview.refresh_from_db()
    assert world.interview.status == Interview.Status.SCHEDULED

    post(client, INTERVIEWS, **selected, confirm="yes", reason="Did not join the call.")
    world.interview.refresh_from_db()
    assert world.interview.status == Interview.Status.NO_SHOW
    event = AuditEvent.objects.get(action="interview.no_show")
    assert event.after == {"status": "no_show", "reason": "Did not join the call."}


def test_cancelling_the_only_interview_on_a_must_have_warns_at_once(client, world, recruiter):
    # given a profile whose must-have only the world's first interview covers
    must = world.interview.focus_dimensions.first()
    must.must_have = True
    must.save(update_fields=["must_have"])
    client.force_login(recruiter)

    response = post(
        client,
        INTERVIEWS,
        action="mark_cancelled",
        _selected_action=[world.interview.pk],
        confirm="yes",
        reason="Interviewer ill.",
    )

    assert f"No interview covers the must-have dimension “{must.name}”" in (
        response.content.decode()
    )


def test_the_interview_button_cancels_from_the_loop_and_returns_to_it(
    client, world, recruiter, invited_future
):
    client.force_login(recruiter)
    button = f"{INTERVIEWS}{invited_future.pk}/run/cancel/"

    assert "Cancel interviews" in client.post(button).content.decode()
    done = client.post(button, {"confirm": "yes", "reason": "Moved to next week."})

    assert done["Location"] == f"{LOOPS}{world.loop.pk}/change/"
    invited_future.refresh_from_db()
    assert invited_future.status == Interview.Status.CANCELLED
    assert client.get(button).status_code == 404  # a GET changes nothing


# --- Bulk actions show what they will do ----------------------------------------------------


def test_send_invites_shows_counts_and_names_then_sends(client, world, recruiter, interviewer):
    client.force_login(recruiter)
    selected = {"action": "send_invites", "_selected_action": [world.loop.pk]}

    page = post(client, LOOPS, **selected).content.decode()
    assert f"invite to {interviewer.display_name}" in page
    assert "2 invites to panel members, for 1 loop." in page
    assert not Notification.objects.exists()

    post(client, LOOPS, **selected, confirm="yes")
    assert Notification.objects.filter(reason=services.INTERVIEW_INVITE).count() == 2


def test_nudge_shows_who_owes_then_reminds_them(
    client, world, recruiter, interviewer, other_interviewer
):
    client.force_login(recruiter)
    selected = {"action": "nudge", "_selected_action": [world.loop.pk]}

    page = post(client, LOOPS, **selected).content.decode()
    assert f"a reminder to {interviewer.display_name}" in page
    assert f"a reminder to {other_interviewer.display_name}" in page
    assert "2 reminders, for 1 loop." in page
    assert not Notification.objects.exists()

    post(client, LOOPS, **selected, confirm="yes")
    assert Notification.objects.filter(reason=services.SCORECARD_NUDGE).count() == 2


# --- The services check the reason, whoever calls them --------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2_001])
def test_the_services_refuse_a_missing_or_overlong_reason(world, recruiter, reason):
    with pytest.raises(Invalid) as error:
        services.loop_withdraw(loop=world.loop, by=recruiter, reason=reason)
    assert "reason" in error.value.message_dict
    for status in Interview.NO_FEEDBACK_STATUSES:
        with pytest.raises(Invalid) as error:
            services.interview_set_status(
                interview=world.interview, status=status, by=recruiter, reason=reason
            )
        assert "reason" in error.value.message_dict
    world.loop.refresh_from_db()
    world.interview.refresh_from_db()
    assert world.loop.status == Loop.Status.SCHEDULING
    assert world.interview.status == Interview.Status.SCHEDULED
    assert not AuditEvent.objects.exists()


def test_the_api_cannot_withdraw_cancel_or_no_show_without_the_services(client, world):
    """The API reads loops and interviews; its only writes on them are the panel's
    scorecards, the hiring manager's decision (with its rationale), the debrief thread's
    comments and the outcomes after a hire. A write that ends an
    interview or a loop, added to the API, must go through the services above, which need
    the reason: this test fails when one appears."""
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    writes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
        and (path.startswith("/api/v1/loops/") or path.startswith("/api/v1/interviews/"))
    }
    assert writes == {
        ("POST", "/api/v1/loops/{id}/decisions/"),
        ("POST", "/api/v1/loops/{id}/comments/"),  # the debrief thread: ends nothing
        ("POST", "/api/v1/loops/{loop_id}/outcomes/"),  # after the hire: ends nothing
        ("POST", "/api/v1/interviews/{id}/scorecard/draft/"),
        ("POST", "/api/v1/interviews/{id}/scorecard/submit/"),
    }
