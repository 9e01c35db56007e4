"""Reminders on the clock: each at its moment, in the recipient's time zone, outside the
night, and none for what no longer needs one. The clock is moved with time-machine; the
sweeps run as beat would run them (create the rows that fell due, then send what is due)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from hiring.delivery import notifications, outbox
from hiring.models import Interview, Loop, Notification
from scorecards import services
from scorecards.reminders import sweep as reminders
from tests.factories import CandidateFactory, InterviewFactory, LoopFactory, UserFactory
from tests.scorecards.test_services import full_content

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
SGT = ZoneInfo("Asia/Singapore")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2025, 3, 10, tzinfo=UTC)  # London is on GMT (= UTC) that week


def at(day: int, hour: int, minute: int = 0, second: int = 0, tz: ZoneInfo = UTC) -> datetime:
    """A moment in the week of Monday 10 March 2025 (day 0 = Monday)."""
    start = MONDAY.astimezone(tz).replace(hour=0)
    return (start + timedelta(days=day)).replace(hour=hour, minute=minute, second=second)


def tick() -> list[tuple[str, str]]:
    """One minute of beat: the reminder sweep, then the delivery sweep. Returns (to, subject)
    of what went out, and empties the outbox."""
    result = reminders.schedule_due_reminders()
    while result.next_after is not None:
        result = reminders.schedule_due_reminders(after_id=result.next_after)
    notifications.deliver_due(100)
    sent = [(message.to[0], message.subject) for message in mail.outbox]
    mail.outbox.clear()
    return sent


@pytest.fixture
def loop(world):
    """The world's requisition, with one loop for Amara Diallo."""
    return LoopFactory(
        requisition=world.requisition, candidate=CandidateFactory(full_name="Amara Diallo")
    )


def interview_for(loop, person, *, starts, minutes=60, **kwargs):
    return InterviewFactory(
        loop=loop,
        interviewers=[person],
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        **kwargs,
    )


def submit(interview, person):
    scorecard = services.scorecard_get_or_create(interview=interview, interviewer=person)
    services.scorecard_submit(scorecard=scorecard, by=person, content=full_content(interview))


# --- After the interview -------------------------------------------------------------------


def test_scorecard_due_then_daily_then_escalation_and_digest(
    time_machine, loop, interviewer, recruiter
):
    # given Iris (London) interviewed Amara on Monday 09:00-10:00
    time_machine.move_to(at(0, 8), tick=False)
    interview = interview_for(loop, interviewer, starts=at(0, 9))
    due = f"Scorecard due: Amara Diallo — {interview.title}"
    overdue = f"Scorecard overdue: Amara Diallo — {interview.title}"

    # when the clock reaches end + 59 min: nothing yet
    time_machine.move_to(at(0, 10, 59), tick=False)
    assert tick() == []

    # at end + 1 h: "scorecard due" to Iris; the recruiter's digest lists it
    time_machine.move_to(at(0, 11, 0, 30), tick=False)
    sent = tick()
    assert (interviewer.email, due) in sent
    assert (recruiter.email, f"Overdue scorecard: 1 in {loop.requisition.title}") in sent
    assert len(sent) == 2
    assert tick() == []  # a minute later: nothing twice

    # a day later, still missing: "overdue" to Iris, a new digest
    time_machine.move_to(at(1, 11, 0, 30), tick=False)
    assert sorted(tick()) == sorted(
        [
            (interviewer.email, overdue),
            (recruiter.email, f"Overdue scorecard: 1 in {loop.requisition.title}"),
        ]
    )

    # at end + 48 h: the recruiter is told (with Wednesday's digest: it is past 09:00)
    time_machine.move_to(at(2, 10, 0, 30), tick=False)
    assert sorted(tick()) == sorted(
        [
            (
                recruiter.email,
                f"Scorecard missing after 48 h: {interviewer.display_name} — Amara Diallo, "
                f"{interview.title}",
            ),
            (recruiter.email, f"Overdue scorecard: 1 in {loop.requisition.title}"),
        ]
    )

    # Iris submits; from then on nothing more is sent about it
    submit(interview, interviewer)
    for day in (2, 3, 4):
        time_machine.move_to(at(day, 11, 0, 30), tick=False)
        assert tick() == []
    assert Notification.objects.filter(reason=notifications.SCORECARD_DUE).count() == 2


def test_the_reminder_e_mail_has_both_parts_and_one_magic_link(time_machine, loop, interviewer):
    time_machine.move_to(at(0, 8), tick=False)
    interview = interview_for(loop, interviewer, starts=at(0, 9))
    time_machine.move_to(at(0, 11, 0, 30), tick=False)
    reminders.schedule_due_reminders()
    notifications.deliver_due(100)

    message = next(m for m in mail.outbox if m.to == [interviewer.email])
    link = f"/interviews/{interview.pk}/link/?sesame="
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert link in html
    assert "Monday 10 March 2025, 10:00 (Europe/London)" in message.body  # ended, local time
    row = Notification.objects.get(reason=notifications.SCORECARD_DUE)
    assert message.extra_headers["Message-ID"] == notifications.message_id_for(row)


def test_a_reminder_falling_at_23_00_in_singapore_arrives_at_08_00_there(time_machine, loop):
    # given an interviewer in Singapore whose interview ends at 22:00 local (14:00 UTC)
    singapore = UserFactory(username="siew", time_zone="Asia/Singapore")
    time_machine.move_to(at(0, 12), tick=False)
    interview_for(loop, singapore, starts=at(0, 21, tz=SGT))

    # when "scorecard due" falls due at 23:00 local
    time_machine.move_to(at(0, 23, 0, 30, tz=SGT), tick=False)
    assert singapore.email not in [to for to, _ in tick()]
    row = Notification.objects.get(recipient=singapore)
    assert row.due_at == at(1, 8, tz=SGT)

    # then nothing reaches Singapore during the night
    time_machine.move_to(at(1, 7, 59, tz=SGT), tick=False)
    assert singapore.email not in [to for to, _ in tick()]

    # and it arrives at 08:00 local time
    time_machine.move_to(at(1, 8, 0, 30, tz=SGT), tick=False)
    assert [subject for to, subject in tick() if to == singapore.email] == [
        "Scorecard due: Amara Diallo — Portfolio strategy case"
    ]


def test_a_requisitions_own_delays_are_used(time_machine, loop, interviewer):
    loop.requisition.first_reminder_after_minutes = 30
    loop.requisition.save()
    time_machine.move_to(at(0, 8), tick=False)
    interview_for(loop, interviewer, starts=at(0, 9))
    time_machine.move_to(at(0, 10, 29), tick=False)
    assert tick() == []
    time_machine.move_to(at(0, 10, 30, 30), tick=False)
    assert (interviewer.email, "Scorecard due: Amara Diallo — Portfolio strategy case") in tick()


@pytest.mark.parametrize("change", ["cancelled", "no_show", "withdrawn", "submitted", "decided"])
def test_nothing_is_sent_for_what_needs_no_scorecard(time_machine, loop, interviewer, change):
    time_machine.move_to(at(0, 8), tick=False)
    interview = interview_for(loop, interviewer, starts=at(0, 9))
    if change in ("cancelled", "no_show"):
        Interview.objects.filter(pk=interview.pk).update(status=change)
    elif change in ("withdrawn", "decided"):
        Loop.objects.filter(pk=loop.pk).update(status=change)
    else:
        time_machine.move_to(at(0, 9, 30), tick=False)  # a scorecard opens at the start
        submit(interview, interviewer)
    for day, hour in [(0, 11), (1, 11), (2, 11), (3, 9)]:
        time_machine.move_to(at(day, hour, 0, 30), tick=False)
        assert [to for to, _ in tick() if to == interviewer.email] == []
    assert not Notification.objects.filter(reason=notifications.SCORECARD_DUE).exists()


@pytest.mark.parametrize("change", ["cancelled", "withdrawn", "submitted"])
def test_a_reminder_already_scheduled_is_cancelled_when_no_longer_needed(
    time_machine, loop, interviewer, change
):
    # given "scorecard due" was written for a moment in the night, to go out at 08:00
    time_machine.move_to(at(0, 18), tick=False)
    interview = interview_for(loop, interviewer, starts=at(0, 20, 30))
    time_machine.move_to(at(0, 22, 30, 30), tick=False)
    tick()
    row = Notification.objects.get(reason=notifications.SCORECARD_DUE)
    assert row.status == Notification.Status.PENDING

    # when the interview is cancelled, the loop withdrawn or the scorecard submitted overnight
    if change == "cancelled":
        Interview.objects.filter(pk=interview.pk).update(status=change)
    elif change == "withdrawn":
        Loop.objects.filter(pk=loop.pk).update(status=change)
    else:
        submit(interview, interviewer)

    # then at 08:00 it is cancelled, not sent
    time_machine.move_to(at(1, 8, 0, 30), tick=False)
    assert interviewer.email not in [to for to, _ in tick()]
    row.refresh_from_db()
    assert row.status == Notification.Status.CANCELLED


# --- Before the interview ------------------------------------------------------------------


def test_the_day_before_and_the_morning_of_with_the_kit_link(time_machine, loop, interviewer):
    # given Iris (London) interviews Amara on Wednesday at 14:00
    time_machine.move_to(at(0, 9), tick=False)
    interview_for(loop, interviewer, starts=at(2, 14, tz=LONDON))

    time_machine.move_to(at(1, 13, 59), tick=False)
    assert tick() == []
    # the day before, at the same hour
    time_machine.move_to(at(1, 14, 0, 30), tick=False)
    assert tick() == [
        (interviewer.email, "Interview tomorrow: Amara Diallo — Portfolio strategy case")
    ]
    # the morning of, at 08:00 her time
    time_machine.move_to(at(2, 7, 59, tz=LONDON), tick=False)
    assert tick() == []
    time_machine.move_to(at(2, 8, 0, 30, tz=LONDON), tick=False)
    sent = tick()
    assert sent == [(interviewer.email, "Interview today: Amara Diallo — Portfolio strategy case")]


def test_the_kit_reminder_links_to_the_kit(time_machine, loop, interviewer):
    time_machine.move_to(at(0, 9), tick=False)
    interview = interview_for(loop, interviewer, starts=at(2, 14, tz=LONDON), location="Room 4")
    time_machine.move_to(at(1, 14, 0, 30), tick=False)
    reminders.schedule_due_reminders()
    notifications.deliver_due(100)
    message = mail.outbox[0]
    assert f"/interviews/{interview.pk}/link/?sesame=" in message.body
    assert "Wednesday 12 March 2025, 14:00 (Europe/London) to 15:00" in message.body
    assert "Room 4" in message.body
    focus = interview.focus_dimensions.order_by("order").first()
    assert focus.name in message.body


def test_a_late_evening_interview_is_reminded_once_in_the_morning(time_machine, loop):
    # given an interview at 22:30 Singapore time: "the day before" would be 22:30 the night
    # before, so it waits for 08:00 on the day, and the morning-of reminder is not doubled
    singapore = UserFactory(username="siew", time_zone="Asia/Singapore")
    time_machine.move_to(at(0, 9, tz=SGT), tick=False)
    interview_for(loop, singapore, starts=at(2, 22, 30, tz=SGT))
    time_machine.move_to(at(1, 22, 30, 30, tz=SGT), tick=False)
    assert tick() == []
    time_machine.move_to(at(2, 8, 0, 30, tz=SGT), tick=False)
    assert tick() == [(singapore.email, "Interview today: Amara Diallo — Portfolio strategy case")]
    time_machine.move_to(at(2, 12, tz=SGT), tick=False)
    assert tick() == []


def test_a_cancelled_interview_gets_no_reminder_and_a_rescheduled_one_a_fresh_one(
    time_machine, loop, interviewer
):
    time_machine.move_to(at(0, 9), tick=False)
    cancelled = interview_for(loop, interviewer, starts=at(2, 14))
    moved = interview_for(loop, interviewer, starts=at(2, 16), title="Leadership scenario")
    time_machine.move_to(at(1, 16, 0, 30), tick=False)
    Interview.objects.filter(pk=cancelled.pk).update(status="cancelled")
    assert tick() == [(interviewer.email, "Interview tomorrow: Amara Diallo — Leadership scenario")]
    # moved to Thursday (a reschedule bumps the iCalendar SEQUENCE): reminded again
    Interview.objects.filter(pk=moved.pk).update(
        starts_at=at(3, 16), ends_at=at(3, 17), calendar_sequence=1
    )
    time_machine.move_to(at(2, 16, 0, 30), tick=False)
    assert tick() == [(interviewer.email, "Interview tomorrow: Amara Diallo — Leadership scenario")]


# --- Ready for debrief ---------------------------------------------------------------------


def test_the_last_scorecard_tells_the_recruiter_and_the_hiring_manager_once(
    time_machine, world, interviewer, other_interviewer, recruiter, hiring_manager
):
    # given both interviews are over and one scorecard is in
    submit(world.interview, interviewer)
    outbox.dispatch()
    notifications.deliver_due(100)
    assert not [m for m in mail.outbox if m.subject.startswith("Ready for debrief")]

    # when the last scorecard is submitted and the outbox delivered (twice)
    submit(world.other_interview, other_interviewer)
    outbox.dispatch()
    outbox.dispatch()
    notifications.deliver_due(100)
    notifications.deliver_due(100)

    # then the recruiter and the hiring manager are told once each, with their own link
    ready = [m for m in mail.outbox if m.subject.startswith("Ready for debrief")]
    subject = f"Ready for debrief: {world.loop.candidate.full_name} — {world.requisition.title}"
    assert sorted(m.to[0] for m in ready) == sorted([recruiter.email, hiring_manager.email])
    assert {m.subject for m in ready} == {subject}
    by_person = {m.to[0]: m for m in ready}
    assert f"/admin/hiring/loop/{world.loop.pk}/change/" in by_person[recruiter.email].body
    assert "/admin/" not in by_person[hiring_manager.email].body
    assert "2 submitted" in by_person[recruiter.email].body

    # and an amendment later does not announce it again
    scorecard = services.scorecard_get_or_create(interview=world.interview, interviewer=interviewer)
    services.scorecard_submit(
        scorecard=scorecard,
        by=interviewer,
        content=full_content(world.interview, amendment_reason="Typo"),
        amend=True,
    )
    outbox.dispatch()
    notifications.deliver_due(100)
    ready = [m for m in mail.outbox if m.subject.startswith("Ready for debrief")]
    assert len(ready) == 2


def test_a_loop_made_ready_by_a_cancellation_is_announced_by_the_sweep(
    world, interviewer, recruiter, hiring_manager
):
    submit(world.interview, interviewer)
    outbox.dispatch()
    Interview.objects.filter(pk=world.other_interview.pk).update(status="cancelled")
    services.loop_refresh_status(loop_id=world.loop.pk)
    tick_sent = tick()
    assert sorted(to for to, subject in tick_sent if subject.startswith("Ready")) == sorted(
        [recruiter.email, hiring_manager.email]
    )
    assert [s for s in tick() if s[1].startswith("Ready")] == []


# --- The sweep itself ----------------------------------------------------------------------


def test_the_sweep_is_idempotent_and_works_in_bounded_batches(time_machine, loop):
    time_machine.move_to(at(0, 8), tick=False)
    people = [UserFactory(username=f"panel{i}") for i in range(5)]
    for person in people:
        interview_for(loop, person, starts=at(0, 9))
    time_machine.move_to(at(0, 11, 0, 30), tick=False)

    first = reminders.schedule_due_reminders(limit=2)
    assert first.next_after is not None
    second = reminders.schedule_due_reminders(after_id=first.next_after, limit=2)
    third = reminders.schedule_due_reminders(after_id=second.next_after, limit=2)
    assert third.next_after is None
    due = Notification.objects.filter(reason=notifications.SCORECARD_DUE)
    assert due.count() == 5

    # a second pass (or a second sweeper) writes nothing new
    reminders.schedule_due_reminders()
    reminders.schedule_due_reminders()
    assert due.count() == 5


def test_the_digest_goes_out_once_a_day_from_09_00_in_the_recruiters_zone(
    time_machine, loop, interviewer, recruiter
):
    # given a recruiter in Berlin and an interview that ends at 20:30 Berlin time (19:30 UTC)
    recruiter.time_zone = "Europe/Berlin"
    recruiter.save()
    time_machine.move_to(at(0, 8), tick=False)
    interview_for(loop, interviewer, starts=at(0, 18, 30))
    digest = f"Overdue scorecard: 1 in {loop.requisition.title}"

    # its scorecard is overdue from 21:30 Berlin time: no digest in the evening or the night
    for moment in (at(0, 21, 30, 30, tz=BERLIN), at(0, 23, tz=BERLIN), at(1, 8, 59, tz=BERLIN)):
        time_machine.move_to(moment, tick=False)
        assert recruiter.email not in [to for to, _ in tick()]

    # at 09:00 Berlin time, Tuesday's digest lists it, once
    time_machine.move_to(at(1, 9, 0, 30, tz=BERLIN), tick=False)
    reminders.schedule_due_reminders()
    notifications.deliver_due(100)
    [message] = [m for m in mail.outbox if m.to == [recruiter.email]]
    assert message.subject == digest
    assert "Amara Diallo, Portfolio strategy case" in message.body
    assert f"/admin/hiring/loop/{loop.pk}/change/" in message.body
    mail.outbox.clear()
    time_machine.move_to(at(1, 15), tick=False)
    assert recruiter.email not in [to for to, _ in tick()]
    # and Wednesday's the next day
    time_machine.move_to(at(2, 9, 0, 30, tz=BERLIN), tick=False)
    assert (recruiter.email, digest) in tick()
