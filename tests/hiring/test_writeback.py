"""CalDAV write-back (issue 17 §3): an interviewer's Loopwise interviews appear in their own
CalDAV calendar, a real Radicale started by the tests, as the very event of the e-mailed
invite (same UID, same SEQUENCE), follow every reschedule, go on cancellation, are written
once however often the task runs, wait out a server that is down, and never count twice as
busy time. The stored event reads the same instants in icalendar and vobject (as
``test_ics_parsers`` checks for the e-mails)."""

from __future__ import annotations

import email.message
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import caldav
import icalendar
import pytest
import time_machine
import vobject
from caldav.lib import error as caldav_error
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from hiring import services
from hiring.delivery.notifications import deliver_due
from hiring.errors import Invalid
from hiring.models import BusyBlock, CalendarSource, CalendarWrite, Interview, User
from hiring.scheduling import busy, writeback
from hiring.tasks import calendars_write_back
from tests.browser.test_recruiter_flow import Inbox, inbox  # noqa: F401  (the SMTP fixture)
from tests.hiring.test_ics_parsers import vobject_reads_only_the_file  # noqa: F401  (autouse)
from tests.radicale import Radicale, free_port, radicale_server

if TYPE_CHECKING:
    from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LONDON = "Europe/London"
BOOKED = datetime(2031, 3, 28, 16, 30)  # the Friday before the clocks go forward
MOVED = datetime(2031, 3, 31, 9, 30)  # the Monday after: BST
_calendar_ids = count()


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale_server(tmp_path_factory.mktemp("radicale-writeback")) as server:
        yield server


def dav(server: Radicale) -> caldav.DAVClient:
    return caldav.DAVClient(url=server.base_url, username=server.username, password=server.password)


@pytest.fixture
def calendar_url(radicale: Radicale) -> str:
    """A fresh, empty calendar of the interviewer's on the server, for this test alone."""
    name = f"work-{next(_calendar_ids)}"
    dav(radicale).principal().make_calendar(name=name, cal_id=name)
    return radicale.calendar_url(name)


def source_for(owner: User, server: Radicale, url: str, *, write_back: bool = True) -> Any:
    return CalendarSource.objects.create(
        owner=owner,
        kind=CalendarSource.Kind.CALDAV,
        name="Work",
        url=url,
        username=server.username,
        secret=server.password,
        write_back=write_back,
    )


def stored(server: Radicale, url: str) -> list[bytes]:
    """Every event resource the calendar holds, as the server stored it."""
    calendar = dav(server).calendar(url=url)
    return [item.data.encode() for item in calendar.events()]


def place(interview: Interview, start: datetime, minutes: int = 60) -> None:
    local = start.replace(tzinfo=ZoneInfo(LONDON))
    interview.time_zone = LONDON
    interview.starts_at, interview.ends_at = local, local + timedelta(minutes=minutes)
    interview.save()


def readings(raw: bytes) -> list[dict[str, tuple[datetime, datetime]]]:
    """The events' instants by icalendar (zones by name), icalendar (the file's own
    VTIMEZONE) and vobject (Radicale's parser, which uses the file's VTIMEZONE)."""
    parsed = icalendar.Calendar.from_ical(raw)
    by_name = {
        str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in parsed.walk("VEVENT")
    }
    zones = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in parsed.walk("VTIMEZONE")}

    def in_file_zone(prop: Any) -> datetime:
        moment: datetime = prop.dt
        return moment.replace(tzinfo=zones[str(prop.params["TZID"])])

    by_file = {
        str(e["UID"]): (in_file_zone(e["DTSTART"]), in_file_zone(e["DTEND"]))
        for e in parsed.walk("VEVENT")
    }
    [component] = list(vobject.readComponents(raw.decode()))
    by_vobject = {e.uid.value: (e.dtstart.value, e.dtend.value) for e in component.vevent_list}
    for event in component.vevent_list:
        assert type(event.dtstart.value.tzinfo).__module__ == "dateutil.tz.tz"
    return [by_name, by_file, by_vobject]


def the_event(raw: bytes) -> icalendar.Event:
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    return event


def invite_in(messages: list[email.message.EmailMessage], address: str) -> bytes:
    [message] = [m for m in messages if str(m["To"]) == address]
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload


def test_invite_update_and_cancel_land_in_the_interviewers_calendar_as_the_emailed_event(
    world: World,
    recruiter: User,
    interviewer: User,
    radicale: Radicale,
    calendar_url: str,
    inbox: Inbox,  # noqa: F811
) -> None:
    interview = world.interview
    place(interview, BOOKED)
    source_for(interviewer, radicale, calendar_url)

    # when the recruiter sends the invites and the write-back task runs
    services.loop_send_invites(loop=world.loop, by=recruiter)
    deliver_due()
    emailed = the_event(invite_in(inbox.take(), interviewer.email))
    assert calendars_write_back() == 1

    # then her calendar holds one event: the e-mailed one, same UID and SEQUENCE, no METHOD
    [raw] = stored(radicale, calendar_url)
    event = the_event(raw)
    assert str(event["UID"]) == str(emailed["UID"]) == interview.calendar_uid
    assert int(event["SEQUENCE"]) == int(emailed["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == emailed.decoded("DTSTART")
    assert "METHOD" not in icalendar.Calendar.from_ical(raw)
    # and every parser reads the interview's instants, in the zone it was agreed in
    for reading in readings(raw):
        assert reading == {interview.calendar_uid: (interview.starts_at, interview.ends_at)}
        assert reading[interview.calendar_uid][0].utcoffset() == timedelta(0)  # GMT in March

    # when it is moved across the DST switch
    place(interview, MOVED)
    assert services.interview_rescheduled(interview=interview, by=recruiter)
    assert calendars_write_back() == 1

    # then the same event is replaced: new times (BST), the next SEQUENCE, still one event
    [raw] = stored(radicale, calendar_url)
    event = the_event(raw)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (interview.calendar_uid, 1)
    for reading in readings(raw):
        assert reading == {interview.calendar_uid: (interview.starts_at, interview.ends_at)}
        assert reading[interview.calendar_uid][0].utcoffset() == timedelta(hours=1)

    # when it is cancelled, the event goes
    services.interview_set_status(interview=interview, status="cancelled", by=recruiter, reason="x")
    assert calendars_write_back() == 1
    assert stored(radicale, calendar_url) == []
    with pytest.raises(caldav_error.NotFoundError):
        dav(radicale).calendar(url=calendar_url).event_by_uid(interview.calendar_uid)
    write = CalendarWrite.objects.get(interview=interview)
    assert (write.status, write.written_sequence, write.last_error) == ("done", None, "")


def test_running_the_task_twice_or_again_later_leaves_one_event(
    world: World, recruiter: User, interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    place(world.interview, BOOKED)
    source_for(interviewer, radicale, calendar_url)
    services.loop_send_invites(loop=world.loop, by=recruiter)

    assert calendars_write_back() == 1
    assert calendars_write_back() == 0  # nothing is due any more
    # a lost worker's row, or a duplicate nudge, writes the same event again: still one
    CalendarWrite.objects.update(status=CalendarWrite.Status.PENDING, due_at=timezone.now())
    assert calendars_write_back() == 1

    assert len(stored(radicale, calendar_url)) == 1


def test_an_interview_held_stays_in_the_calendar_when_its_row_runs_late(
    world: World, recruiter: User, interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    place(world.interview, BOOKED)
    source_for(interviewer, radicale, calendar_url)
    services.loop_send_invites(loop=world.loop, by=recruiter)
    calendars_write_back()
    # the interview took place; a retry (or a lost worker's row) runs afterwards
    Interview.objects.filter(pk=world.interview.pk).update(status=Interview.Status.COMPLETED)
    CalendarWrite.objects.update(status=CalendarWrite.Status.PENDING, due_at=timezone.now())

    assert calendars_write_back() == 1

    [raw] = stored(radicale, calendar_url)
    assert str(the_event(raw)["UID"]) == world.interview.calendar_uid


def test_only_interviewers_who_asked_get_write_back(
    world: World,
    recruiter: User,
    interviewer: User,
    other_interviewer: User,
    radicale: Radicale,
    calendar_url: str,
) -> None:
    source_for(other_interviewer, radicale, calendar_url, write_back=False)
    services.loop_send_invites(loop=world.loop, by=recruiter)

    assert calendars_write_back() == 0
    assert stored(radicale, calendar_url) == []


def test_a_server_that_is_down_is_retried_with_backoff_and_the_invite_is_not_held_up(
    world: World, recruiter: User, interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    place(world.interview, BOOKED)
    source = source_for(interviewer, radicale, f"http://127.0.0.1:{free_port()}/iris/work/")

    # sending the invites does not touch the calendar server (nothing listens there)
    assert services.loop_send_invites(loop=world.loop, by=recruiter) == 2
    started = timezone.now()
    assert calendars_write_back() == 1

    write = CalendarWrite.objects.get()
    assert (write.status, write.attempts, write.last_error) == ("pending", 1, "connection refused")
    assert write.due_at > started  # backed off, not hammered
    assert calendars_write_back() == 0  # not due yet

    # when the server is back (here: the address fixed) and the backoff has passed
    source.url = calendar_url
    source.save()
    with time_machine.travel(write.due_at + timedelta(seconds=1)):
        assert calendars_write_back() == 1

    write.refresh_from_db()
    assert (write.status, write.written_sequence, write.last_error) == ("done", 0, "")
    assert len(stored(radicale, calendar_url)) == 1


def test_a_written_back_interview_is_not_counted_busy_twice_nor_after_it_is_cancelled(
    world: World, recruiter: User, interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    interview = world.interview
    place(interview, BOOKED)
    source = source_for(interviewer, radicale, calendar_url)
    services.loop_send_invites(loop=world.loop, by=recruiter)
    calendars_write_back()
    # and a meeting of her own, the hour after
    own = icalendar.Calendar()
    own.add("PRODID", "-//tests//EN")
    own.add("VERSION", "2.0")
    meeting = icalendar.Event()
    meeting.add("UID", "own-meeting@test")
    meeting.add("DTSTAMP", timezone.now())
    meeting.add("DTSTART", interview.ends_at)
    meeting.add("DTEND", interview.ends_at + timedelta(hours=1))
    own.add_component(meeting)
    dav(radicale).calendar(url=calendar_url).save_event(own.to_ical().decode())

    now = interview.starts_at - timedelta(days=2)
    assert busy.sync_source(source, now=now)

    # her calendar's blocks are her own meeting only; the interview counts once, from Loopwise
    assert list(BusyBlock.objects.values_list("starts_at", "ends_at")) == [
        (interview.ends_at, interview.ends_at + timedelta(hours=1))
    ]
    # when it is cancelled but its event is still in her calendar (write-back not run yet)
    services.interview_set_status(interview=interview, status="cancelled", by=recruiter, reason="x")
    assert busy.sync_source(source, now=now)
    availability = busy.busy_for(interviewer, interview.starts_at, interview.ends_at, now=now)
    assert availability.is_free(interview.starts_at, interview.ends_at)


def test_turning_write_back_on_adds_the_interviews_already_invited(
    world: World, recruiter: User, interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    place(world.interview, BOOKED)
    source = source_for(interviewer, radicale, calendar_url, write_back=False)
    services.loop_send_invites(loop=world.loop, by=recruiter)
    assert calendars_write_back() == 0
    client = Client()
    client.force_login(interviewer)

    client.post("/interviews/calendar/", {"write_back": source.pk, "on": "1"})
    assert calendars_write_back() == 1

    [raw] = stored(radicale, calendar_url)
    assert str(the_event(raw)["UID"]) == world.interview.calendar_uid


def test_an_ics_feed_cannot_take_interviews(interviewer: User) -> None:
    with pytest.raises(Invalid):
        busy.calendar_connect(
            owner=interviewer,
            kind=CalendarSource.Kind.ICS_FEED,
            url="https://calendar.example.com/feed.ics",
            write_back=True,
        )
    feed = busy.calendar_connect(
        owner=interviewer, kind="ics_feed", url="https://calendar.example.com/feed.ics"
    )
    with pytest.raises(Invalid):
        busy.calendar_set_write_back(source=feed, on=True)
    with pytest.raises(IntegrityError):
        CalendarSource.objects.filter(pk=feed.pk).update(write_back=True)


def test_the_interviewer_turns_write_back_on_and_off_on_their_calendars_page(
    interviewer: User, other_interviewer: User, radicale: Radicale, calendar_url: str
) -> None:
    mine = source_for(interviewer, radicale, calendar_url, write_back=False)
    theirs = source_for(other_interviewer, radicale, calendar_url, write_back=False)
    client = Client()
    client.force_login(interviewer)

    page = client.post("/interviews/calendar/", {"write_back": mine.pk, "on": "1"}, follow=True)
    assert "now gets your Loopwise interviews" in page.content.decode()
    assert "Stop adding interviews" in page.content.decode()
    mine.refresh_from_db()
    assert mine.write_back is True

    # someone else's calendar is not theirs to change
    assert (
        client.post("/interviews/calendar/", {"write_back": theirs.pk, "on": "1"}).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.write_back is False

    client.post("/interviews/calendar/", {"write_back": mine.pk, "on": "0"})
    mine.refresh_from_db()
    assert mine.write_back is False


def test_the_stored_event_is_the_invite_without_its_method_line() -> None:
    ics = b"\r\n".join(
        [
            *(b"BEGIN:VCALENDAR", b"METHOD:REQUEST", b"BEGIN:VEVENT", b"SUMMARY:a long one"),
            *(b" METHOD:", b"END:VEVENT", b"END:VCALENDAR", b""),
        ]
    )
    assert writeback.without_method(ics) == ics.replace(b"METHOD:REQUEST\r\n", b"")
