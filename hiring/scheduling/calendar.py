"""iCalendar (RFC 5545) invites for interviews, with iTIP methods (RFC 5546).

One stable UID per interview (``Interview.calendar_uid``: a random hex at this installation's
domain, so two installations never file into each other's events; interviews invited before
the UID was stored keep ``interview-<pk>@<domain>``), so a calendar client files the invite,
every update and the cancellation under one event; SEQUENCE is the interview's
``calendar_sequence``, bumped on every reschedule and on cancellation, so the newer message
wins whatever order the e-mails arrive in.

Times are written in the interview's own zone (``DTSTART;TZID=Europe/London``), so clients
show the zone the slot was agreed in and keep its wall-clock time, with a VTIMEZONE built
here rather than by icalendar. icalendar 7.3 offers ``Calendar.add_missing_timezones()`` /
``Timezone.from_tzinfo()``, which describe a zone by a DTSTART plus one RDATE line listing
every transition from 1970 to 2038, and nothing RRULE-based. vobject (and so Radicale) keeps
only the first date of such a multi-valued RDATE line, so its Europe/London ends in 1973 in
British Summer Time and an 8 December 14:00 invite reads as 14:00+01:00. (UTC times would
be read alike too, but the event would lose the zone the slot was agreed in: clients could
show it only in the reader's own zone.)

The VTIMEZONE below has the shape every client reads alike: a DAYLIGHT and a STANDARD
observance with yearly RRULEs (a single STANDARD where the zone has no DST), derived from
zoneinfo and checked against it for every year from the year before the calendar's first
event to the year after its last. The rules are traced back to when they began (1970 at the
earliest): clients use them for other years too, and vobject registers a zone only if it
differs from UTC over 2000-2020, else falls back to its own database by name. A transition no
yearly rule describes (a zone that changed its rules within those years) is written as an
observance of its own, exact for that date. An interview agreed in UTC is written in UTC
(``...Z``), with no VTIMEZONE."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.mime.text import MIMEText
from email.utils import parseaddr
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

from hiring.delivery.notifications import zone
from hiring.models import Interview, User
from hiring.models.pipeline import calendar_domain

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"


def domain() -> str:
    return calendar_domain()


def organizer_email() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"loopwise@{domain()}"


def uid_for(interview: Interview) -> str:
    return interview.calendar_uid


def candidate_uid_for(interview: Interview) -> str:
    """The candidate's copy of an interview is another event than the panel's invite: it
    carries no kit link, and must not merge with it in a shared calendar."""
    local, _, host = interview.calendar_uid.rpartition("@")
    return f"{local}-candidate@{host}"


# --- VTIMEZONE ------------------------------------------------------------------------------

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Where a yearly rule is traced back to at most; clients (and vobject's own check whether a
# zone is just UTC, over 2000-2020) look at years before the event too.
HISTORY_FROM = 1970
EPOCH = datetime(HISTORY_FROM, 1, 1)  # noqa: DTZ001  (a wall-clock time, as DTSTART is)
Rule = tuple[tuple[str, int | str], ...]


@dataclass(frozen=True)
class Observance:
    """One STANDARD or DAYLIGHT block: from ``onset`` (wall-clock time in ``offset_from``,
    as RFC 5545 wants DTSTART) the zone is at ``offset_to``; ``rule`` repeats it yearly."""

    daylight: bool
    onset: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str
    rule: Rule = ()


def _state(moment: int, tz: ZoneInfo) -> tuple[timedelta | None, timedelta | None, str | None]:
    local = datetime.fromtimestamp(moment, tz)
    return local.utcoffset(), local.dst(), local.tzname()


@lru_cache(maxsize=4096)
def _changes_in(tz_name: str, year: int) -> tuple[Observance, ...]:
    """Every change of offset, DST or name in ``year`` (UTC), to the second. Steps six hours
    at a time (no zone changes twice within that) and bisects each change found."""
    tz, step = ZoneInfo(tz_name), 6 * 3600
    moment = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    stop = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found = []
    before = _state(moment, tz)
    while moment < stop:
        after = _state(moment + step, tz)
        if after != before:
            low, high = moment, moment + step  # the change is in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if _state(middle, tz) == before:
                    low = middle
                else:
                    high = middle
            offset_from, offset_to = before[0], after[0]
            # zoneinfo always has offsets
            assert offset_from is not None
            assert offset_to is not None
            # clocks going forward start summer time; a change of name or DST flag alone
            # (same offset) keeps zoneinfo's word for it
            daylight = offset_to > offset_from if offset_to != offset_from else bool(after[1])
            found.append(
                Observance(
                    daylight=daylight,
                    onset=datetime.fromtimestamp(high, UTC).replace(tzinfo=None) + offset_from,
                    offset_from=offset_from,
                    offset_to=offset_to,
                    name=after[2] or "",
                )
            )
        before = after
        moment += step
    return tuple(found)


def _yearly_rule(onsets: list[datetime]) -> Rule:
    """An RRULE that gives exactly these onsets (one a year, same month and time), or ()."""
    month = onsets[0].month
    if len({onset.weekday() for onset in onsets}) == 1:
        # "the 2nd Sunday", or "the last Sunday" (-1) when every onset is its month's last
        choices: set[int] | None = None
        for onset in onsets:
            nth = {(onset.day - 1) // 7 + 1}
            if onset.day + 7 > monthrange(onset.year, onset.month)[1]:
                nth.add(-1)
            choices = nth if choices is None else choices & nth
        if choices:
            nth_day = -1 if -1 in choices else min(choices)
            weekday = WEEKDAYS[onsets[0].weekday()]
            return (("FREQ", "YEARLY"), ("BYMONTH", month), ("BYDAY", f"{nth_day}{weekday}"))
    if len({onset.day for onset in onsets}) == 1:
        return (("FREQ", "YEARLY"), ("BYMONTH", month), ("BYMONTHDAY", onsets[0].day))
    return ()


def _rule_in_force(changes: list[Observance], last_year: int) -> tuple[int, Rule]:
    """How many of ``changes`` (one kind of change, oldest first) a yearly rule in force up to
    ``last_year`` covers, counted back from the newest, and that rule; (0, ()) if none."""
    rule: Rule = ()
    if changes[-1].onset.year != last_year:
        return 0, rule
    count = 0
    for size in range(1, len(changes) + 1):
        tail = changes[-size:]
        if tail[0].onset.year != last_year - size + 1:  # a year without it
            break
        found = _yearly_rule([change.onset for change in tail])
        if not found:
            break
        count, rule = size, found
    return count, rule


@lru_cache(maxsize=256)
def observances(tz_name: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """What a VTIMEZONE for ``tz_name`` must say to be right for every moment from the year
    before ``first_year`` to the year after ``last_year`` (checked against zoneinfo year by
    year); a yearly rule still in force then is traced back to when it began (1970 at the
    earliest), as clients look at earlier years too."""
    window_from, window_to = first_year - 1, last_year + 1
    history = [
        change
        for year in range(HISTORY_FROM, window_to + 1)
        for change in _changes_in(tz_name, year)
    ]
    # the same change at the same month and time, year after year, up to the end: one RRULE
    alike: dict[tuple[object, ...], list[Observance]] = defaultdict(list)
    for change in history:
        key = (change.daylight, change.offset_from, change.offset_to, change.name)
        alike[(*key, change.onset.month, change.onset.time())].append(change)
    rules: list[tuple[list[Observance], Rule]] = []
    covered: set[Observance] = set()
    for changes in alike.values():
        count, rule = _rule_in_force(changes, window_to)
        if count:
            rules.append((changes[-count:], rule))
            covered.update(changes[-count:])
    # the rules are traced back together, to when they all hold and nothing else happens
    since = max((run[0].onset.year for run, _ in rules), default=window_from)
    for change in history:
        if since <= change.onset.year < window_from and change not in covered:
            since = change.onset.year + 1
    since = min(since, window_from)
    found = [
        replace(next(c for c in run if c.onset.year >= since), rule=rule) for run, rule in rules
    ]
    # the changes in the window no rule covers are observances of their own
    found.extend(c for c in history if c.onset.year >= window_from and c not in covered)
    found.sort(key=lambda observance: observance.onset)
    if not found or found[0].onset.year > window_from:
        # nothing starts before the window: say what holds since the last change before it
        tz = ZoneInfo(tz_name)
        start = datetime(window_from, 1, 1, tzinfo=tz)
        offset, dst = start.utcoffset(), start.dst()
        assert offset is not None
        earlier = [change.onset for change in history if change.onset.year < window_from]
        found.insert(
            0,
            Observance(
                daylight=bool(dst and dst > timedelta(0)),
                onset=max(earlier, default=EPOCH),
                offset_from=offset,
                offset_to=offset,
                name=start.tzname() or "",
            ),
        )
    return tuple(found)


def vtimezone(tz_name: str, first: datetime, last: datetime) -> Timezone:
    """The VTIMEZONE for events in ``tz_name`` between ``first`` and ``last``."""
    component = Timezone()
    component.add("tzid", tz_name)
    for observance in observances(tz_name, first.year, last.year):
        block = TimezoneDaylight() if observance.daylight else TimezoneStandard()
        block.add("dtstart", observance.onset)
        block.add("tzoffsetfrom", observance.offset_from)
        block.add("tzoffsetto", observance.offset_to)
        if observance.name:
            block.add("tzname", observance.name)
        if observance.rule:
            block.add("rrule", dict(observance.rule))
        component.add_component(block)
    return component


# --- Events and calendars -------------------------------------------------------------------


def _address(email: str, name: str, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    if role:
        address.params["ROLE"] = vText(role)
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def _calendar(method: str, events: list[Event]) -> bytes:
    """The calendar: a VTIMEZONE for every zone the events use, before the events (a parser
    that reads in one pass, like vobject, knows the zone when it meets the event)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Loopwise//Interview loops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    spans: dict[str, list[datetime]] = defaultdict(list)
    for event in events:
        for name in ("DTSTART", "DTEND"):
            tzid = event[name].params.get("TZID")
            if tzid:
                spans[str(tzid)].append(event.decoded(name))
    for tzid, moments in sorted(spans.items()):
        calendar.add_component(vtimezone(tzid, min(moments), max(moments)))
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical()


def _event(interview: Interview, *, uid: str, summary: str, cancelled: bool) -> Event:
    tz = zone(interview.time_zone)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", interview.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", interview.starts_at.astimezone(tz))
    event.add("dtend", interview.ends_at.astimezone(tz))
    event.add("summary", summary)
    if interview.location:
        event.add("location", interview.location)
    elif interview.video_url:
        event.add("location", interview.video_url)
    event.add("organizer", _address(organizer_email(), "Loopwise"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def interview_calendar(
    *,
    interview: Interview,
    method: str,
    attendees: Iterable[User],
    summary: str,
    description: str = "",
    url: str = "",
) -> bytes:
    """The ``.ics`` for one interview, as sent to the panel ``attendees``."""
    event = _event(interview, uid=uid_for(interview), summary=summary, cancelled=method == CANCEL)
    if description:
        event.add("description", description)
    if interview.video_url:
        event.add("url", interview.video_url)
    elif url:
        event.add("url", url)
    for attendee in attendees:
        event.add(
            "attendee", _address(attendee.email, attendee.display_name, role="REQ-PARTICIPANT")
        )
    return _calendar(method, [event])


def schedule_calendar(
    *, interviews: Iterable[Interview], cancelled: Iterable[Interview], title: str
) -> bytes:
    """The candidate's schedule as one ``.ics`` (METHOD:PUBLISH, nothing to answer): an
    event per scheduled interview, and the cancelled ones as STATUS:CANCELLED so a calendar
    that imported an earlier schedule drops them. SEQUENCE follows each interview's, so a
    later schedule updates the earlier events in place."""
    events = []
    for interview, is_cancelled in [
        *((i, False) for i in interviews),
        *((i, True) for i in cancelled),
    ]:
        event = _event(
            interview,
            uid=candidate_uid_for(interview),
            summary=f"Interview: {interview.title} ({title})",
            cancelled=is_cancelled,
        )
        if interview.video_url:
            event.add("url", interview.video_url)
        events.append(event)
    return _calendar(PUBLISH, events)


def schedule_attachment(*, loop_id: int, ics: bytes) -> MIMEText:
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", PUBLISH)
    part.add_header("Content-Disposition", "attachment", filename=f"interviews-{loop_id}.ics")
    return part


def attachment(*, interview: Interview, ics: bytes, method: str) -> MIMEText:
    """The ``.ics`` as a MIME part for ``RenderedEmail.attachments``, with the iTIP method
    on its Content-Type as RFC 6047 asks."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"interview-{interview.pk}.ics")
    return part
