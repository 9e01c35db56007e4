"""Issue 18, debriefs: the recruiter schedules the meeting once a loop is ready (or flagged),
the panel and the hiring manager get one invite per change (same UID, next SEQUENCE, CANCEL
on cancel); the discussion is for whoever may read the summary, with @mentions that notify;
the decision records the debrief's outcome and who attended, audited with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from hiring import access, debriefs
from hiring.decisions import decision_record
from hiring.delivery.notifications import deliver_due
from hiring.models import (
    AuditEvent,
    Debrief,
    DebriefComment,
    DebriefOutcome,
    Decision,
    Loop,
    Notification,
    User,
)
from scorecards.models import LoopSummary, Scorecard
from tests.factories import ScorecardFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2031, 12, 4, 15, 0, tzinfo=UTC)


def ready(world) -> Loop:
    """Both scorecards in: the loop is ready for debrief."""
    for interview in (world.interview, world.other_interview):
        ScorecardFactory(
            interview=interview,
            interviewer=interview.interviewers.get(),
            status=Scorecard.Status.SUBMITTED,
            first_submitted_at=timezone.now(),
        )
    Loop.objects.filter(pk=world.loop.pk).update(status=Loop.Status.READY_FOR_DEBRIEF)
    world.loop.refresh_from_db()
    return world.loop


def schedule(loop: Loop, by: User, start: datetime = START, **changes: str) -> Debrief:
    fields = {"time_zone": "Europe/London", "location": "Room 2", "video_url": ""} | changes
    return debriefs.debrief_schedule(
        loop=loop, starts_at=start, ends_at=start + timedelta(minutes=45), by=by, **fields
    )


def ics_of(message):
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            parsed = Calendar.from_ical(part.get_payload(decode=True))
            [event] = parsed.walk("VEVENT")
            return str(part.get_param("method")), event
    return None


def mails_to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


# --- Scheduling ------------------------------------------------------------------------------


def test_the_recruiter_schedules_and_the_panel_and_manager_get_one_invite_each(
    world, recruiter, hiring_manager, interviewer, other_interviewer
):
    # given a loop ready for debrief
    loop = ready(world)
    # when the recruiter schedules the debrief, and the form is posted twice
    debrief = schedule(loop, recruiter)
    assert schedule(loop, recruiter).pk == debrief.pk
    deliver_due()
    # then the panel and the hiring manager each get one REQUEST, nobody else
    invited = {interviewer.email, other_interviewer.email, hiring_manager.email}
    assert {m.to[0] for m in mail.outbox} == invited
    assert len(mail.outbox) == 3
    method, event = ics_of(mails_to(interviewer.email)[0])
    assert method == "REQUEST"
    assert str(event["UID"]) == debrief.calendar_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == START
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert str(event["LOCATION"]) == "Room 2"
    assert {str(a) for a in event["ATTENDEE"]} == {f"mailto:{e}" for e in invited}
    assert debriefs.current(loop) == debrief


def test_a_change_sends_an_update_with_the_same_uid_and_the_next_sequence_and_cancel_cancels(
    world, recruiter, interviewer
):
    loop = ready(world)
    debrief = schedule(loop, recruiter)
    deliver_due()
    mail.outbox.clear()
    # when the recruiter moves it to a video call the next day
    moved = schedule(
        loop, recruiter, START + timedelta(days=1), location="", video_url="https://meet.example/x"
    )
    deliver_due()
    # then everyone gets one update: same UID, SEQUENCE 1, the new time
    assert moved.pk == debrief.pk
    [update] = mails_to(interviewer.email)
    assert update.subject.startswith("Updated: ")
    method, event = ics_of(update)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
        "REQUEST",
        debrief.calendar_uid,
        1,
    )
    assert event.decoded("DTSTART") == START + timedelta(days=1)
    assert str(event["URL"]) == "https://meet.example/x"
    mail.outbox.clear()
    # when it is cancelled (twice: a double click)
    assert debriefs.debrief_cancel(debrief=moved, by=recruiter)
    assert not debriefs.debrief_cancel(debrief=moved, by=recruiter)
    deliver_due()
    # then each invited person gets one CANCEL with the next SEQUENCE
    assert len(mail.outbox) == 3
    method, event = ics_of(mails_to(interviewer.email)[0])
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
        "CANCEL",
        debrief.calendar_uid,
        2,
    )
    assert str(event["STATUS"]) == "CANCELLED"
    assert debriefs.current(loop) is None


# The panel tests commit for real: the update goes out after the change's transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_panel_change_after_scheduling_updates_everyone_and_cancels_for_whoever_left(
    world, recruiter, interviewer, other_interviewer, hiring_manager
):
    loop = ready(world)
    debrief = schedule(loop, recruiter)
    deliver_due()
    mail.outbox.clear()
    newcomer = UserFactory(username="nadia", email="nadia@example.com")
    # when the second interview's interviewer is replaced (one save: a removal and an add)
    with transaction.atomic():
        world.other_interview.interviewers.set([newcomer])
    deliver_due()
    # then one message each: the next SEQUENCE, the new attendees; a cancel for who left
    staying = {interviewer.email, hiring_manager.email, newcomer.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([*staying, other_interviewer.email])
    for address in staying:
        [message] = mails_to(address)
        method, event = ics_of(message)
        assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
            "REQUEST",
            debrief.calendar_uid,
            1,
        )
        assert {str(a) for a in event["ATTENDEE"]} == {f"mailto:{e}" for e in staying}
    [gone] = mails_to(other_interviewer.email)
    method, event = ics_of(gone)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
        "CANCEL",
        debrief.calendar_uid,
        1,
    )
    assert debriefs.holders(debrief) == {interviewer.pk, hiring_manager.pk, newcomer.pk}
    # and asking again changes nothing and tells nobody
    mail.outbox.clear()
    assert not debriefs.debrief_panel_sync(loop=loop)
    deliver_due()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cancelled_interview_takes_its_interviewer_off_the_debrief(
    world, recruiter, interviewer, other_interviewer
):
    loop = ready(world)
    debrief = schedule(loop, recruiter)
    deliver_due()
    mail.outbox.clear()
    world.other_interview.status = world.other_interview.Status.CANCELLED
    world.other_interview.save()
    deliver_due()
    method, event = ics_of(mails_to(other_interviewer.email)[0])
    assert (method, int(event["SEQUENCE"])) == ("CANCEL", 1)
    method, event = ics_of(mails_to(interviewer.email)[0])
    assert (method, int(event["SEQUENCE"])) == ("REQUEST", 1)
    assert f"mailto:{other_interviewer.email}" not in {str(a) for a in event["ATTENDEE"]}
    debrief.refresh_from_db()
    assert debrief.calendar_sequence == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_panel_change_without_a_scheduled_debrief_tells_nobody(world, recruiter):
    loop = ready(world)
    world.other_interview.interviewers.add(UserFactory())
    debrief = schedule(loop, recruiter)
    debriefs.debrief_cancel(debrief=debrief, by=recruiter)
    deliver_due()
    mail.outbox.clear()
    world.interview.interviewers.add(UserFactory())
    deliver_due()
    assert mail.outbox == []


def test_an_invite_superseded_before_it_went_out_is_not_sent(world, recruiter, interviewer):
    loop = ready(world)
    schedule(loop, recruiter)
    schedule(loop, recruiter, START + timedelta(hours=2))
    deliver_due()
    [message] = mails_to(interviewer.email)
    assert int(ics_of(message)[1]["SEQUENCE"]) == 1


def test_a_loop_still_collecting_feedback_and_not_flagged_gets_no_debrief(world, recruiter):
    with pytest.raises(ValidationError) as error:
        schedule(world.loop, recruiter)
    assert "status" in error.value.message_dict
    # once its summary flags one, it may
    LoopSummary.objects.create(
        loop=world.loop, needs_debrief=True, data={}, computed_at=timezone.now()
    )
    assert schedule(world.loop, recruiter).status == Debrief.Status.SCHEDULED


@pytest.mark.parametrize("persona", ["hiring_manager", "interviewer", "outsider"])
def test_only_the_recruiters_schedule(world, request, persona):
    loop = ready(world)
    with pytest.raises(PermissionDenied):
        schedule(loop, request.getfixturevalue(persona))
    assert not Debrief.objects.exists()


def test_a_meeting_in_the_past_or_nowhere_is_refused(world, recruiter):
    loop = ready(world)
    with pytest.raises(ValidationError) as error:
        schedule(loop, recruiter, timezone.now() - timedelta(hours=1), location="")
    assert {"starts_at", "location"} <= set(error.value.message_dict)


# --- The discussion --------------------------------------------------------------------------


def test_staff_discuss_newest_last_and_a_mention_notifies_once(
    world, recruiter, hiring_manager, settings
):
    settings.SITE_URL = "https://loopwise.example"
    loop = ready(world)
    first = debriefs.comment_post(loop=loop, body="Strategy was strong.", by=recruiter)
    second = debriefs.comment_post(
        loop=loop,
        body=f"@{hiring_manager.username} can you weigh in? @{hiring_manager.username}",
        by=recruiter,
    )
    assert list(debriefs.thread(loop=loop, user=hiring_manager)) == [first, second]
    assert list(second.mentioned.all()) == [hiring_manager]
    deliver_due()
    [message] = mail.outbox
    assert message.to == [hiring_manager.email]
    assert "can you weigh in?" in message.body
    assert f"https://loopwise.example/manager/loops/{loop.pk}/" in message.body


def test_a_panelist_who_owes_a_scorecard_neither_reads_nor_writes_nor_is_mentioned(
    world, recruiter, hiring_manager
):
    # given the hiring manager sits on the panel and has not submitted
    loop = ready(world)
    world.interview.interviewers.add(hiring_manager)
    debriefs.comment_post(loop=loop, body="The panel split on strategy.", by=recruiter)
    # then they read nothing, may not write, and may not be mentioned
    assert not debriefs.thread(loop=loop, user=hiring_manager).exists()
    assert not access.visible(hiring_manager, DebriefComment).exists()
    with pytest.raises(PermissionDenied):
        debriefs.comment_post(loop=loop, body="Me too.", by=hiring_manager)
    with pytest.raises(ValidationError) as error:
        debriefs.comment_post(loop=loop, body=f"@{hiring_manager.username}?", by=recruiter)
    assert "cannot be mentioned" in error.value.message_dict["body"][0]
    # once theirs is in, the thread opens
    ScorecardFactory(
        interview=world.interview,
        interviewer=hiring_manager,
        status=Scorecard.Status.SUBMITTED,
        first_submitted_at=timezone.now(),
    )
    assert debriefs.thread(loop=loop, user=hiring_manager).count() == 1


@pytest.mark.parametrize("persona", ["interviewer", "outsider"])
def test_interviewers_and_outsiders_see_no_thread(world, recruiter, request, persona):
    loop = ready(world)
    debriefs.comment_post(loop=loop, body="Hire, I think.", by=recruiter)
    person = request.getfixturevalue(persona)
    assert not debriefs.thread(loop=loop, user=person).exists()
    with pytest.raises(PermissionDenied):
        debriefs.comment_post(loop=loop, body="Can I?", by=person)


def test_mentioning_someone_unknown_or_off_the_loop_is_refused_and_nothing_is_posted(
    world, recruiter, interviewer
):
    loop = ready(world)
    stranger = UserFactory(username="stranger")
    for name in (interviewer.username, stranger.username, "nobody-here"):
        with pytest.raises(ValidationError):
            debriefs.comment_post(loop=loop, body=f"Ask @{name}.", by=recruiter)
    assert not DebriefComment.objects.exists()
    assert not Notification.objects.filter(reason=debriefs.DEBRIEF_MENTION).exists()


def test_an_email_address_is_not_a_mention():
    assert debriefs.mentions_in("write to ana@example.com, thanks @bob.") == ["bob"]


def test_a_comment_has_a_length_limit(world, recruiter):
    loop = ready(world)
    with pytest.raises(ValidationError) as error:
        debriefs.comment_post(loop=loop, body="x" * 4001, by=recruiter)
    assert "body" in error.value.message_dict


def test_only_the_author_deletes_and_the_text_is_gone(world, recruiter, hiring_manager):
    loop = ready(world)
    comment = debriefs.comment_post(loop=loop, body="On reflection, no hire.", by=recruiter)
    with pytest.raises(PermissionDenied):
        debriefs.comment_delete(comment=comment, by=hiring_manager)
    assert debriefs.comment_delete(comment=comment, by=recruiter)
    comment.refresh_from_db()
    assert comment.deleted_at is not None
    assert comment.body == ""


# --- The outcome with the decision -------------------------------------------------------------


def test_the_decision_records_the_debrief_held_and_who_attended_audited(
    world, hiring_manager, interviewer
):
    loop = ready(world)
    decision = decision_record(
        loop=loop,
        outcome="hire",
        rationale="Agreed at the debrief.",
        debrief_outcome="held",
        attendees=[interviewer, hiring_manager],
        by=hiring_manager,
    )
    record = DebriefOutcome.objects.get(decision=decision)
    assert record.get_outcome_display() == "Debrief held"
    assert set(record.attendees.all()) == {interviewer, hiring_manager}
    event = AuditEvent.objects.get(action="decision.recorded")
    assert (event.after or {})["debrief"] == {
        "outcome": "held",
        "attendees": sorted([interviewer.pk, hiring_manager.pk]),
    }


@pytest.mark.parametrize(
    ("outcome", "who", "field"),
    [
        ("held", [], "attendees"),
        ("skipped", ["interviewer"], "attendees"),
        ("held", ["outsider"], "attendees"),
        ("maybe", [], "debrief_outcome"),
    ],
)
def test_a_wrong_debrief_outcome_records_no_decision(
    world, hiring_manager, request, outcome, who, field
):
    loop = ready(world)
    people = [request.getfixturevalue(name) for name in who]
    with pytest.raises(ValidationError) as error:
        decision_record(
            loop=loop,
            outcome="hire",
            rationale="Fine.",
            debrief_outcome=outcome,
            attendees=people,
            by=hiring_manager,
        )
    assert field in error.value.message_dict
    assert not Decision.objects.exists()


# --- The admin's loop page -----------------------------------------------------------------


def test_the_recruiter_schedules_from_the_loop_page_and_the_page_shows_it(
    client, world, recruiter, hiring_manager
):
    from django.urls import reverse

    loop = ready(world)
    client.force_login(recruiter)
    page = client.get(reverse("admin:hiring_loop_change", args=[loop.pk])).content.decode()
    assert "Schedule the debrief" in page
    url = reverse("admin:hiring_loop_debrief", args=[loop.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "day": "2031-12-04",
            "start": "15:00",
            "minutes": "45",
            "time_zone": "Europe/London",
            "location": "Room 9",
            "video_url": "",
        },
    )
    assert response.status_code == 302
    debrief = Debrief.objects.get()
    assert debrief.starts_at == START
    page = client.get(reverse("admin:hiring_loop_change", args=[loop.pk])).content.decode()
    assert "Thursday 04 December 2031, 15:00 (Europe/London)" in page
    assert "Room 9" in page
    assert Notification.objects.filter(
        reason=debriefs.DEBRIEF_INVITE, recipient=hiring_manager
    ).exists()
    # cancel from the same page
    assert client.post(url, {"cancel": "1"}).status_code == 302
    debrief.refresh_from_db()
    assert debrief.status == Debrief.Status.CANCELLED


def test_another_requisitions_recruiter_cannot_open_the_debrief_page(client, world):
    from django.contrib.auth.models import Group
    from django.urls import reverse

    from hiring.roles import RECRUITERS_GROUP

    loop = ready(world)
    other = UserFactory(is_staff=True)
    other.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    client.force_login(other)
    url = reverse("admin:hiring_loop_debrief", args=[loop.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"day": "2031-12-04"}).status_code == 404
    assert not Debrief.objects.exists()


# --- Personal data ---------------------------------------------------------------------------


def test_the_personal_data_export_holds_the_debrief_the_thread_and_the_outcome(
    world, recruiter, hiring_manager, interviewer
):
    from hiring import privacy

    loop = ready(world)
    schedule(loop, recruiter)
    debriefs.comment_post(loop=loop, body="Asked about pricing twice.", by=recruiter)
    decision_record(
        loop=loop,
        outcome="hire",
        rationale="Agreed.",
        debrief_outcome="held",
        attendees=[interviewer],
        by=hiring_manager,
    )
    [exported] = privacy.candidate_export(candidate=loop.candidate, by=recruiter)["loops"]
    assert exported["debriefs"][0]["location"] == "Room 2"
    assert exported["debrief_comments"][0]["body"] == "Asked about pricing twice."
    assert exported["decisions"][0]["debrief"] == {
        "outcome": "Debrief held",
        "attendees": [interviewer.display_name],
    }


def test_erasing_the_candidate_masks_their_name_in_the_thread(world, recruiter):
    from hiring import privacy

    loop = ready(world)
    name = loop.candidate.full_name
    comment = debriefs.comment_post(loop=loop, body=f"{name} was sharp.", by=recruiter)
    privacy.candidate_erase(candidate=loop.candidate, by=recruiter, reason="Asked us to.")
    comment.refresh_from_db()
    assert name not in comment.body
    assert comment.body.endswith("was sharp.")


def test_an_invite_not_yet_sent_when_the_candidate_withdraws_is_not_sent(world, recruiter):
    from hiring import services

    loop = ready(world)
    schedule(loop, recruiter)
    services.loop_withdraw(loop=loop, by=recruiter, reason="Took another offer.")
    deliver_due()
    assert not [m for m in mail.outbox if m.subject.startswith("Debrief")]
    assert not Notification.objects.filter(
        reason=debriefs.DEBRIEF_INVITE, status=Notification.Status.SENT
    ).exists()


def test_a_comment_posted_twice_in_a_row_is_one_comment_and_one_mention(
    world, recruiter, hiring_manager
):
    loop = ready(world)
    body = f"@{hiring_manager.username} can we decide today?"
    first = debriefs.comment_post(loop=loop, body=body, by=recruiter)
    again = debriefs.comment_post(loop=loop, body=body, by=recruiter)
    assert again.pk == first.pk
    assert DebriefComment.objects.count() == 1
    assert Notification.objects.filter(reason=debriefs.DEBRIEF_MENTION).count() == 1


def test_the_debrief_page_shows_the_meeting_in_its_own_zone(client, world, recruiter):
    from django.urls import reverse

    loop = ready(world)
    schedule(loop, recruiter)
    client.force_login(recruiter)
    page = client.get(reverse("admin:hiring_loop_debrief", args=[loop.pk])).content.decode()
    assert "Scheduled for Thursday 04 December 2031, 15:00 (Europe/London) in Room 2" in page
    assert 'value="Move the debrief"' in page
