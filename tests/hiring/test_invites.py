"""DESIGN §3.2: invites by e-mail with an RFC 5545 attachment; a reschedule sends an update
(same UID, higher SEQUENCE), a cancellation METHOD:CANCEL; the candidate gets their own
schedule without interviewer-only content; one change sends one message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from hiring import services
from hiring.delivery.notifications import deliver_due
from hiring.models import Interview, Notification
from hiring.scheduling.calendar import candidate_uid_for
from tests.factories import InterviewFactory, UserFactory
from tests.hiring.test_scheduling_warnings import interview_data

pytestmark = pytest.mark.django_db


def ics_of(message):
    """The parsed calendar attached to a Django e-mail (None when there is none)."""
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))
    return None


def event_of(calendar):
    [event] = calendar.walk("VEVENT")
    return event


@pytest.fixture
def upcoming(world, interviewer, other_interviewer):
    """Move the world's interviews into the future, on Tuesday 2 December 2031 (London)."""
    start = datetime(2031, 12, 2, 9, 0, tzinfo=UTC)
    world.interview.starts_at, world.interview.ends_at = start, start + timedelta(hours=1)
    world.interview.location = "Room 4, 1 Canal St"
    world.interview.save()
    later = start + timedelta(hours=2)
    world.other_interview.starts_at = later
    world.other_interview.ends_at = later + timedelta(hours=1)
    world.other_interview.video_url = "https://meet.example.com/abc"
    world.other_interview.save()
    return world


def mails_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_invites_carry_a_request_with_stable_uid_times_and_sequence(
    upcoming, recruiter, interviewer, settings
):
    settings.SITE_URL = "https://loopwise.example"
    # when the recruiter sends invites and the sweep delivers them
    assert services.loop_send_invites(loop=upcoming.loop, by=recruiter) == 2
    deliver_due()
    # then the interviewer's e-mail has the kit link and a REQUEST for their interview
    [message] = mails_to(interviewer.email)
    assert "https://loopwise.example/" in message.body
    for dimension in upcoming.interview.focus_dimensions.all():  # their focus, described
        assert dimension.name in message.body
    method, calendar = ics_of(message)
    assert method == "REQUEST"
    assert str(calendar["METHOD"]) == "REQUEST"
    event = event_of(calendar)
    interview = upcoming.interview
    assert str(event["UID"]) == interview.calendar_uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == interview.starts_at
    assert event.decoded("DTEND") == interview.ends_at
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert str(event["LOCATION"]) == "Room 4, 1 Canal St"
    assert str(event["ORGANIZER"]) == "mailto:loopwise@localhost"
    assert str(event["ATTENDEE"]) == f"mailto:{interviewer.email}"
    assert calendar.walk("VTIMEZONE")


def test_the_candidate_gets_the_schedule_without_interviewer_only_content(upcoming, recruiter):
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    candidate = upcoming.loop.candidate
    [message] = mails_to(candidate.email)
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert upcoming.interview.title in text
        assert "09:00" in text
        assert "Room 4" in text
        assert "magic" not in text
        assert "/interviews/" not in text
        assert "sesame" not in text
        for dimension in upcoming.requisition.profile.dimensions.all():
            assert dimension.name not in text
            assert dimension.meets_bar[:40] not in text


def test_the_candidates_schedule_carries_a_calendar_that_later_schedules_update(
    upcoming, recruiter
):
    # given invites sent and delivered
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    candidate = upcoming.loop.candidate
    [message] = mails_to(candidate.email)
    method, calendar = ics_of(message)
    # then one PUBLISH calendar holds both interviews, with nothing interviewer-only in it
    assert method == "PUBLISH"
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    first, second = upcoming.interview, upcoming.other_interview
    assert set(events) == {candidate_uid_for(first), candidate_uid_for(second)}
    event = events[candidate_uid_for(first)]
    assert event.decoded("DTSTART") == first.starts_at
    assert event.decoded("DTEND") == first.ends_at
    assert str(event["LOCATION"]) == "Room 4, 1 Canal St"
    assert str(event["STATUS"]) == "CONFIRMED"
    raw = calendar.to_ical().decode()
    assert "ATTENDEE" not in raw
    assert "/interviews/" not in raw
    for dimension in upcoming.requisition.profile.dimensions.all():
        assert dimension.name not in raw

    # when the second interview is cancelled, the next schedule marks it cancelled, same UID
    mail.outbox.clear()
    services.interview_set_status(
        interview=second, status="cancelled", by=recruiter, reason="Moved."
    )
    deliver_due()
    [update] = mails_to(candidate.email)
    _, calendar = ics_of(update)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    cancelled = events[candidate_uid_for(second)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > 0
    assert str(events[candidate_uid_for(first)]["STATUS"]) == "CONFIRMED"


def test_pressing_send_invites_twice_sends_once(upcoming, recruiter):
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    assert services.loop_send_invites(loop=upcoming.loop, by=recruiter) == 0
    deliver_due()
    assert len(mail.outbox) == 3  # two interviewers and the candidate


def test_a_reschedule_in_the_admin_sends_an_update_with_the_same_uid_and_next_sequence(
    client, upcoming, recruiter, interviewer, other_interviewer
):
    # given invites went out
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    mail.outbox.clear()
    first = upcoming.interview
    # when the recruiter moves the first interview by a day on its own page
    client.force_login(recruiter)
    moved = first.starts_at + timedelta(days=1)
    data = interview_data(
        upcoming.loop,
        {
            "title": first.title,
            "starts_at": moved.astimezone(timezone.get_current_timezone()).replace(tzinfo=None),
            "time_zone": "Europe/London",
            "location": first.location,
            "interviewers": [interviewer],
            "focus": list(first.focus_dimensions.all()),
        },
    )
    data["video_url"] = first.video_url
    assert client.post(f"/admin/hiring/interview/{first.pk}/change/", data).status_code == 302
    deliver_due()
    # then the interviewer gets an update: same UID, SEQUENCE 1, new times
    first.refresh_from_db()
    assert first.calendar_sequence == 1
    [update] = mails_to(interviewer.email)
    assert update.subject.startswith("Updated:")
    method, calendar = ics_of(update)
    event = event_of(calendar)
    assert (method, str(event["UID"]), int(event["SEQUENCE"])) == (
        "REQUEST",
        first.calendar_uid,
        1,
    )
    assert event.decoded("DTSTART") == moved
    # the other interview did not move, its panel hears nothing; the candidate is told
    assert mails_to(other_interviewer.email) == []
    assert len(mails_to(upcoming.loop.candidate.email)) == 1


def test_cancelling_sends_method_cancel_with_the_next_sequence(upcoming, recruiter, interviewer):
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    mail.outbox.clear()
    services.interview_set_status(
        interview=upcoming.interview, status="cancelled", by=recruiter, reason="Moved."
    )
    deliver_due()
    [cancel] = mails_to(interviewer.email)
    method, calendar = ics_of(cancel)
    event = event_of(calendar)
    assert method == "CANCEL"
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == upcoming.interview.calendar_uid
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"


def test_an_invite_superseded_before_it_went_out_is_not_sent(upcoming, recruiter, interviewer):
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    services.interview_rescheduled(interview=upcoming.interview, by=recruiter)
    deliver_due()
    [only] = mails_to(interviewer.email)
    assert only.subject.startswith("Updated:")
    invite = Notification.objects.get(reason="interview.invite", recipient=interviewer)
    assert invite.status == Notification.Status.CANCELLED


def test_a_nudge_links_to_the_kit_and_stops_once_submitted(world, recruiter, interviewer):
    from scorecards import services as scorecard_services
    from tests.scorecards.test_services import full_content

    services.loop_nudge(loop=world.loop, by=recruiter)
    scorecard = scorecard_services.scorecard_get_or_create(
        interview=world.interview, interviewer=interviewer
    )
    scorecard_services.scorecard_submit(
        scorecard=scorecard, by=interviewer, content=full_content(world.interview)
    )
    deliver_due()
    assert mails_to(interviewer.email) == []
    [nudge] = [m for m in mail.outbox if "scorecard is waiting" in m.subject]
    assert f"/interviews/{world.other_interview.pk}/" in nudge.body
    assert "sesame=" in nudge.body


def test_interviews_not_yet_invited_are_not_updated(world, recruiter):
    InterviewFactory(loop=world.loop, starts_at=timezone.now() + timedelta(days=3))
    assert services.interview_rescheduled(interview=world.interview, by=recruiter) is False
    assert not Notification.objects.exists()


def test_a_panel_change_cancels_for_who_left_and_invites_who_joined(
    client, upcoming, recruiter, interviewer, other_interviewer
):
    # given invites went out for both interviews
    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    mail.outbox.clear()
    newcomer = UserFactory(username="nina")
    first = upcoming.interview
    # when the recruiter swaps the first interview's interviewer for a newcomer
    client.force_login(recruiter)
    data = interview_data(
        upcoming.loop,
        {
            "title": first.title,
            "starts_at": first.starts_at.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None),
            "time_zone": "Europe/London",
            "location": first.location,
            "interviewers": [newcomer],
            "focus": list(first.focus_dimensions.all()),
        },
    )
    data["video_url"] = first.video_url
    assert client.post(f"/admin/hiring/interview/{first.pk}/change/", data).status_code == 302
    deliver_due()
    # then who left gets a CANCEL, who joined a REQUEST, both at SEQUENCE 1
    [left] = mails_to(interviewer.email)
    method, calendar = ics_of(left)
    assert method == "CANCEL"
    assert int(event_of(calendar)["SEQUENCE"]) == 1
    [joined] = mails_to(newcomer.email)
    method, calendar = ics_of(joined)
    assert method == "REQUEST"
    assert int(event_of(calendar)["SEQUENCE"]) == 1
    assert str(event_of(calendar)["ATTENDEE"]) == f"mailto:{newcomer.email}"
    assert mails_to(other_interviewer.email) == []


def test_an_interview_the_clock_completed_moved_into_the_future_is_scheduled_again(
    upcoming, recruiter, interviewer
):
    # Given an invited interview that ended, so the periodic sweep marked it completed
    from scorecards.services import interviews_complete_ended

    services.loop_send_invites(loop=upcoming.loop, by=recruiter)
    deliver_due()
    mail.outbox.clear()
    interview = upcoming.interview
    past = timezone.now() - timedelta(days=2)
    Interview.objects.filter(pk=interview.pk).update(
        starts_at=past, ends_at=past + timedelta(hours=1)
    )
    interviews_complete_ended()
    interview.refresh_from_db()
    assert interview.status == Interview.Status.COMPLETED

    # When the recruiter moves it to next week
    later = timezone.now() + timedelta(days=7)
    interview.starts_at, interview.ends_at = later, later + timedelta(hours=1)
    interview.save()
    assert services.interview_rescheduled(interview=interview, by=recruiter) is True

    # Then it is scheduled again and the panel gets the update
    interview.refresh_from_db()
    assert interview.status == Interview.Status.SCHEDULED
    deliver_due()
    [update] = mails_to(interviewer.email)
    assert update.subject.startswith("Updated:")
