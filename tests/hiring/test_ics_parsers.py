"""Issue 17 §7: every calendar file Loopwise writes reads the same in two independent parsers.

The files are taken where an attendee's calendar takes them: attachments of e-mails that went
through a real SMTP server (aiosmtpd). Each is read by icalendar (twice: by zone name, as
most clients do, and from the file's own VTIMEZONE) and by vobject, the parser Radicale
uses, which reads the file's VTIMEZONE with dateutil. All readings must give the interview's
``starts_at``/``ends_at`` to the second, with the event shown in the zone it was agreed in.
UIDs are unique per interview, the same across invite, update and cancellation, and an
interview invited before UIDs were stored keeps the one its invites carried."""

from __future__ import annotations

import email.message
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import vobject
import vobject.icalendar
from django.apps import apps
from icalendar import Calendar

from hiring import services
from hiring.delivery.notifications import deliver_due
from hiring.models import Interview, User
from hiring.scheduling import calendar
from tests.browser.test_recruiter_flow import Inbox, inbox  # noqa: F401  (the SMTP fixture)
from tests.factories import InterviewFactory

if TYPE_CHECKING:
    from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

Times = dict[str, tuple[datetime, datetime]]


@pytest.fixture(autouse=True)
def vobject_reads_only_the_file() -> Iterator[None]:
    """vobject keeps every VTIMEZONE it has read in a process-wide registry, first one wins,
    and falls back to its own zone database for a TZID it has not seen: empty it around each
    test so the zone it uses is the one in the file under test."""
    registry: dict[str, Any] = vars(vobject.icalendar)["__tzidMap"]
    registry.clear()
    vobject.icalendar.registerTzid("UTC", vobject.icalendar.utc)
    yield
    registry.clear()
    vobject.icalendar.registerTzid("UTC", vobject.icalendar.utc)


@dataclass
class Ics:
    method: str
    raw: bytes

    def by_icalendar(self) -> Times:
        """icalendar's reading: zones by name from its own database, as most clients do."""
        parsed = Calendar.from_ical(self.raw)
        assert str(parsed["METHOD"]) == self.method
        return {
            str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in parsed.walk("VEVENT")
        }

    def by_icalendar_vtimezone(self) -> Times:
        """icalendar's reading of the zone this file itself describes (its VTIMEZONE)."""
        parsed = Calendar.from_ical(self.raw)
        zones = {str(tz["TZID"]): tz.to_tz(lookup_tzid=False) for tz in parsed.walk("VTIMEZONE")}

        def instant(prop: Any) -> datetime:
            moment: datetime = prop.dt
            tzid = prop.params.get("TZID")
            if tzid is None:
                assert moment.utcoffset() == timedelta(0)  # written as UTC ("...Z")
                return moment
            return moment.replace(tzinfo=zones[str(tzid)])

        return {
            str(e["UID"]): (instant(e["DTSTART"]), instant(e["DTEND"]))
            for e in parsed.walk("VEVENT")
        }

    def by_vobject(self) -> Times:
        """vobject's reading (Radicale's parser), which must take the zone from the file."""
        [parsed] = list(vobject.readComponents(self.raw.decode()))
        assert parsed.method.value == self.method
        found = {}
        for event in parsed.vevent_list:
            start, end = event.dtstart.value, event.dtend.value
            for moment in (start, end):
                # dateutil's tzical (the file's VTIMEZONE) or tzutc; never its pytz fallback
                assert type(moment.tzinfo).__module__ == "dateutil.tz.tz", moment.tzinfo
            found[event.uid.value] = (start, end)
        return found

    def times(self) -> Times:
        """The instants every reader agrees on; the test fails if any two disagree."""
        readings = [self.by_icalendar(), self.by_icalendar_vtimezone(), self.by_vobject()]
        for reading in readings[1:]:
            assert reading == readings[0]
            for uid, (start, end) in reading.items():  # same offsets too, not just instants
                assert (start.utcoffset(), end.utcoffset()) == (
                    readings[0][uid][0].utcoffset(),
                    readings[0][uid][1].utcoffset(),
                )
        return readings[0]

    def events(self) -> dict[str, Any]:
        return {str(e["UID"]): e for e in Calendar.from_ical(self.raw).walk("VEVENT")}


def ics_to(messages: list[email.message.EmailMessage], address: str) -> Ics:
    [message] = [m for m in messages if str(m["To"]) == address]
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert (part.get_filename() or "").endswith(".ics")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Ics(str(part.get_param("method")), payload)


def span(interview: Interview) -> tuple[datetime, datetime]:
    return interview.starts_at, interview.ends_at


def place(interview: Interview, zone: str, start: datetime, minutes: int = 60) -> None:
    """Set the interview to ``start`` (wall-clock time in ``zone``)."""
    local = start.replace(tzinfo=ZoneInfo(zone))
    interview.time_zone = zone
    interview.starts_at, interview.ends_at = local, local + timedelta(minutes=minutes)
    interview.save()


def shows_in_its_zone(ics: Ics, uid: str, interview: Interview) -> None:
    """The client shows the slot in the zone it was agreed in, at the agreed wall time."""
    event = ics.events()[uid]
    tz = ZoneInfo(interview.time_zone)
    start = event["DTSTART"]
    if interview.time_zone == "UTC":
        assert "TZID" not in start.params
        assert start.to_ical().decode().endswith("Z")
    else:
        assert start.params["TZID"] == interview.time_zone
        assert start.dt.replace(tzinfo=None) == interview.starts_at.astimezone(tz).replace(
            tzinfo=None
        )


# (zone, first booked wall-clock time, where a reschedule moves it)
CASES = {
    "london-winter": ("Europe/London", datetime(2031, 12, 8, 14, 0), datetime(2031, 12, 15, 9)),
    "london-summer": ("Europe/London", datetime(2031, 7, 15, 14, 0), datetime(2031, 11, 3, 14)),
    # booked on the Friday before the clocks go forward (30 March), moved to the Monday after
    "london-after-march-switch": (
        "Europe/London",
        datetime(2031, 3, 28, 16, 30),
        datetime(2031, 3, 31, 9, 30),
    ),
    "new-york": ("America/New_York", datetime(2031, 10, 30, 10, 0), datetime(2031, 11, 4, 10)),
    "kolkata": ("Asia/Kolkata", datetime(2031, 12, 8, 14, 30), datetime(2031, 6, 9, 11, 15)),
    "utc": ("UTC", datetime(2031, 12, 8, 14, 0), datetime(2031, 7, 8, 14, 0)),
}


@pytest.mark.parametrize(("zone", "booked", "moved"), CASES.values(), ids=CASES.keys())
def test_invite_update_cancel_and_schedule_read_the_same_in_icalendar_and_vobject(
    world: World,
    recruiter: User,
    interviewer: User,
    other_interviewer: User,
    inbox: Inbox,  # noqa: F811
    zone: str,
    booked: datetime,
    moved: datetime,
) -> None:
    # given two interviews in the zone and a third agreed in another one, for one candidate
    first, second = world.interview, world.other_interview
    place(first, zone, booked)
    place(second, zone, booked + timedelta(days=1), minutes=45)
    third = InterviewFactory(loop=world.loop, title="Readout", interviewers=[])
    place(third, "Asia/Kolkata" if zone != "Asia/Kolkata" else "Europe/London", booked)
    candidate = world.loop.candidate.email

    # when the recruiter sends the invites
    services.loop_send_invites(loop=world.loop, by=recruiter)
    deliver_due()
    sent = inbox.take()

    # then the panel's REQUEST and the candidate's PUBLISH read the same everywhere
    invite = ics_to(sent, interviewer.email)
    assert invite.method == "REQUEST"
    assert invite.times() == {first.calendar_uid: span(first)}
    shows_in_its_zone(invite, first.calendar_uid, first)
    assert ics_to(sent, other_interviewer.email).times() == {second.calendar_uid: span(second)}
    schedule = ics_to(sent, candidate)
    assert schedule.method == "PUBLISH"
    assert schedule.times() == {
        calendar.candidate_uid_for(interview): span(interview)
        for interview in (first, second, third)
    }
    for interview in (first, second, third):
        shows_in_its_zone(schedule, calendar.candidate_uid_for(interview), interview)

    # when the first is rescheduled
    place(first, zone, moved)
    assert services.interview_rescheduled(interview=first, by=recruiter)
    deliver_due()
    changed = inbox.take()

    # then the update has the same UID, the next SEQUENCE and the new times, everywhere
    update = ics_to(changed, interviewer.email)
    assert update.method == "REQUEST"
    assert update.times() == {first.calendar_uid: span(first)}
    assert int(update.events()[first.calendar_uid]["SEQUENCE"]) == 1
    shows_in_its_zone(update, first.calendar_uid, first)
    assert ics_to(changed, candidate).times()[calendar.candidate_uid_for(first)] == span(first)

    # when it is cancelled
    services.interview_set_status(interview=first, status="cancelled", by=recruiter, reason="No.")
    deliver_due()
    cancelled = inbox.take()

    # then the CANCEL names the same event, at the same instants, in every reader
    cancel = ics_to(cancelled, interviewer.email)
    assert cancel.method == "CANCEL"
    assert cancel.times() == {first.calendar_uid: span(first)}
    assert int(cancel.events()[first.calendar_uid]["SEQUENCE"]) == 2
    assert str(cancel.events()[first.calendar_uid]["STATUS"]) == "CANCELLED"
    schedule = ics_to(cancelled, candidate)
    assert schedule.times() == {
        calendar.candidate_uid_for(interview): span(interview)
        for interview in (first, second, third)
    }
    assert str(schedule.events()[calendar.candidate_uid_for(first)]["STATUS"]) == "CANCELLED"


ODD_ZONES = [
    "Europe/Dublin",  # "negative DST": winter is the exception in tzdata
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30
    "Asia/Jerusalem",  # a Friday rule in spring
    "Africa/Casablanca",  # no yearly rule: each change is its own observance
    "America/Sao_Paulo",  # DST abolished in 2019
    "Australia/Sydney",  # southern hemisphere
]


@pytest.mark.parametrize("zone", ODD_ZONES)
def test_the_vtimezone_gives_zoneinfos_offsets_all_year_in_both_parsers(zone: str) -> None:
    """The VTIMEZONE alone, for the whole year of a calendar's events: every hour (away from
    the changes themselves, where a wall time is missing or doubled) reads at the offset
    zoneinfo gives, in icalendar and in vobject."""
    tz = ZoneInfo(zone)
    text = calendar.vtimezone(zone, datetime(2031, 1, 1), datetime(2031, 12, 31)).to_ical()
    raw = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + text + b"END:VCALENDAR\r\n"
    by_icalendar = Calendar.from_ical(raw).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    by_vobject = vobject.readOne(raw.decode()).vtimezone.gettzinfo()
    checked = 0
    for hour in range(0, 365 * 24, 3):
        moment = datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=hour)
        offsets = {(moment + timedelta(hours=h)).astimezone(tz).utcoffset() for h in (-3, 0, 3)}
        if len(offsets) > 1:
            continue  # next to a change
        wall = moment.astimezone(tz).replace(tzinfo=None)
        expected = moment.astimezone(tz).utcoffset()
        assert wall.replace(tzinfo=by_icalendar).utcoffset() == expected, wall
        assert wall.replace(tzinfo=by_vobject).utcoffset() == expected, wall
        checked += 1
    assert checked > 2800


def test_a_zone_without_dst_is_one_standard_observance() -> None:
    text = calendar.vtimezone("Asia/Kolkata", datetime(2031, 3, 1), datetime(2031, 3, 1))
    [observance] = text.subcomponents
    assert observance.name == "STANDARD"
    ist = timedelta(hours=5, minutes=30)
    assert (observance.decoded("TZOFFSETFROM"), observance.decoded("TZOFFSETTO")) == (ist, ist)


def test_london_is_two_yearly_rules() -> None:
    """The shape every client knows: a DAYLIGHT and a STANDARD observance, each an RRULE."""
    text = calendar.vtimezone("Europe/London", datetime(2031, 12, 8), datetime(2031, 12, 8))
    rules = {o.name: o["RRULE"].to_ical() for o in text.subcomponents if "RRULE" in o}
    assert len(text.subcomponents) == 2
    assert rules == {
        "DAYLIGHT": b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "STANDARD": b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    }


UID = re.compile(r"[0-9a-f]{32}@localhost")


def test_uids_are_unique_random_and_kept_when_the_domain_changes(
    world: World, settings: Any
) -> None:
    first, second = world.interview, world.other_interview
    assert UID.fullmatch(first.calendar_uid)
    assert UID.fullmatch(second.calendar_uid)
    assert first.calendar_uid != second.calendar_uid
    # another installation (its own sender domain) writes UIDs at its own domain
    settings.DEFAULT_FROM_EMAIL = "Acme hiring <hiring@acme.example>"
    elsewhere = InterviewFactory(loop=world.loop)
    assert elsewhere.calendar_uid.endswith("@acme.example")
    # and an interview's UID never changes: updates still reach the event already filed
    first.refresh_from_db()
    assert first.calendar_uid.endswith("@localhost")
    assert calendar.uid_for(first) == first.calendar_uid


MigrationStep = Callable[[Any, Any], None]


def keep_sent_uids() -> MigrationStep:
    module = importlib.import_module("hiring.migrations.0013_interview_calendar_uid")
    step: MigrationStep = module.keep_sent_uids
    return step


def test_the_migration_keeps_the_uid_invites_already_carried(
    world: World,
    recruiter: User,
    interviewer: User,
    inbox: Inbox,  # noqa: F811
) -> None:
    # given an interview from before UIDs were stored, and one created since
    invited_before, created_since = world.interview, world.other_interview
    place(invited_before, "Europe/London", datetime(2031, 12, 8, 14, 0))
    Interview.objects.filter(pk=invited_before.pk).update(calendar_uid="")
    kept = created_since.calendar_uid
    # when the migration's data step runs
    keep_sent_uids()(apps, None)
    # then the old one has the UID its invites carried, and the new one keeps its own
    invited_before.refresh_from_db()
    created_since.refresh_from_db()
    assert invited_before.calendar_uid == f"interview-{invited_before.pk}@{calendar.domain()}"
    assert invited_before.calendar_uid == f"interview-{invited_before.pk}@localhost"
    assert created_since.calendar_uid == kept
    # and the invite and candidate's schedule sent now update the events filed back then
    services.loop_send_invites(loop=world.loop, by=recruiter)
    deliver_due()
    sent = inbox.take()
    assert ics_to(sent, interviewer.email).times() == {
        f"interview-{invited_before.pk}@localhost": span(invited_before)
    }
    schedule = ics_to(sent, world.loop.candidate.email).times()
    assert f"interview-{invited_before.pk}-candidate@localhost" in schedule


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "UTC"])
def test_debrief_invite_update_and_cancel_read_the_same_in_icalendar_and_vobject(
    world: World,
    recruiter: User,
    hiring_manager: User,
    inbox: Inbox,  # noqa: F811
    zone: str,
) -> None:
    """Issue 18: the debrief's invite is written with the same machinery, read alike."""
    from hiring import debriefs
    from hiring.models import Loop

    # given a loop ready for debrief
    Loop.objects.filter(pk=world.loop.pk).update(status=Loop.Status.READY_FOR_DEBRIEF)
    local = datetime(2031, 12, 8, 14, 0, tzinfo=ZoneInfo(zone))
    # when the recruiter schedules the debrief, then moves it
    debrief = debriefs.debrief_schedule(
        loop=world.loop,
        starts_at=local,
        ends_at=local + timedelta(minutes=45),
        time_zone=zone,
        location="Room 2",
        by=recruiter,
    )
    deliver_due()
    invite = ics_to(inbox.take(), hiring_manager.email)
    # then every reader agrees on its instants, under its own UID
    assert invite.method == "REQUEST"
    assert invite.times() == {debrief.calendar_uid: (local, local + timedelta(minutes=45))}
    moved = local + timedelta(days=7)
    debriefs.debrief_schedule(
        loop=world.loop,
        starts_at=moved,
        ends_at=moved + timedelta(hours=1),
        time_zone=zone,
        location="Room 2",
        by=recruiter,
    )
    deliver_due()
    update = ics_to(inbox.take(), hiring_manager.email)
    assert update.times() == {debrief.calendar_uid: (moved, moved + timedelta(hours=1))}
    assert int(update.events()[debrief.calendar_uid]["SEQUENCE"]) == 1
    debrief.refresh_from_db()
    debriefs.debrief_cancel(debrief=debrief, by=recruiter)
    deliver_due()
    cancel = ics_to(inbox.take(), hiring_manager.email)
    assert cancel.method == "CANCEL"
    assert cancel.times() == {debrief.calendar_uid: (moved, moved + timedelta(hours=1))}
    assert int(cancel.events()[debrief.calendar_uid]["SEQUENCE"]) == 2
