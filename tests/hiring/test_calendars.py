"""Busy time from interviewers' real calendars (issue 17): a real CalDAV server (Radicale,
started by the tests on a loopback port) and a real ICS feed over HTTP.

The interviewer (iris) lives in Europe/London. Her calendar holds, around the March 2025 DST
switch (30 March, 01:00 UTC):

- a weekly 10:00 London meeting from Wednesday 26 March, four times, the third (9 April)
  cancelled: 10:00 UTC before the switch, 09:00 UTC after it;
- an all-day offsite on 29 and 30 March: from midnight GMT to midnight BST (47 hours);
- a 09:00 New York call on 27 March (New York switched on 9 March): 13:00 UTC;
- a "free" (transparent) focus block and a cancelled event, neither of them busy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import caldav
import icalendar
import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from hiring.models import BusyBlock, CalendarSource, User
from hiring.models.calendars import CalendarKeyError
from hiring.scheduling import busy
from hiring.scheduling.busy import backoff, busy_for, sync_source
from hiring.tasks import calendars_sync_due
from tests.factories import InterviewFactory
from tests.http_server import http_server
from tests.radicale import Radicale, free_port, radicale_server

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2025, 3, 25, 12, 0, tzinfo=UTC)
TITLES = ("Secret board meeting", "Secret offsite", "Secret focus time", "Secret dropped call")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# What her calendar makes her busy with, in UTC (the Loopwise interview comes on top).
CALENDAR_BUSY = [
    (utc(2025, 3, 26, 10), utc(2025, 3, 26, 11)),  # weekly, still GMT
    (utc(2025, 3, 27, 13), utc(2025, 3, 27, 13, 30)),  # New York 09:00 EDT
    (utc(2025, 3, 29, 0), utc(2025, 3, 30, 23)),  # all-day, 29-30 March, London midnights
    (utc(2025, 4, 2, 9), utc(2025, 4, 2, 10)),  # weekly, now BST
    # 9 April cancelled
    (utc(2025, 4, 16, 9), utc(2025, 4, 16, 10)),
]
INTERVIEW = (utc(2025, 3, 28, 14), utc(2025, 3, 28, 15))


def _event(uid: str, summary: str, start: Any, end: Any, **extra: Any) -> icalendar.Event:
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", NOW)
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", f"{summary}: agenda attached")
    event.add("DTSTART", start)
    event.add("DTEND", end)
    for name, value in extra.items():
        event.add(name.replace("_", "-"), value)
    return event


def calendar_resources() -> list[icalendar.Calendar]:
    """Her events, one calendar object resource each (a recurring event with its override)."""
    weekly = _event(
        "weekly@test",
        TITLES[0],
        datetime(2025, 3, 26, 10, tzinfo=LONDON),
        datetime(2025, 3, 26, 11, tzinfo=LONDON),
        RRULE={"FREQ": "WEEKLY", "COUNT": 4},
    )
    dropped = _event(
        "weekly@test",
        TITLES[0],
        datetime(2025, 4, 9, 10, tzinfo=LONDON),
        datetime(2025, 4, 9, 11, tzinfo=LONDON),
        RECURRENCE_ID=datetime(2025, 4, 9, 10, tzinfo=LONDON),
        STATUS="CANCELLED",
    )
    offsite = _event("offsite@test", TITLES[1], date(2025, 3, 29), date(2025, 3, 31))
    focus = _event(
        "focus@test",
        TITLES[2],
        datetime(2025, 3, 27, 14, tzinfo=LONDON),
        datetime(2025, 3, 27, 15, tzinfo=LONDON),
        TRANSP="TRANSPARENT",
    )
    call_off = _event(
        "dropped@test",
        TITLES[3],
        datetime(2025, 3, 27, 16, tzinfo=LONDON),
        datetime(2025, 3, 27, 17, tzinfo=LONDON),
        STATUS="CANCELLED",
    )
    new_york = _event(
        "ny@test",
        "Call with New York",
        datetime(2025, 3, 27, 9, tzinfo=NEW_YORK),
        datetime(2025, 3, 27, 9, 30, tzinfo=NEW_YORK),
    )
    resources = []
    for events in ([weekly, dropped], [offsite], [focus], [call_off], [new_york]):
        calendar = icalendar.Calendar()
        calendar.add("PRODID", "-//Loopwise tests//EN")
        calendar.add("VERSION", "2.0")
        for event in events:
            calendar.add_component(event)
        calendar.add_missing_timezones()  # VTIMEZONEs, as calendar apps write them
        resources.append(calendar)
    return resources


def one_feed() -> bytes:
    feed = icalendar.Calendar()
    feed.add("PRODID", "-//Loopwise tests//EN")
    feed.add("VERSION", "2.0")
    for resource in calendar_resources():
        for component in resource.subcomponents:
            if component.name == "VEVENT" or not any(
                c.name == "VTIMEZONE" and c["TZID"] == component.get("TZID")
                for c in feed.subcomponents
            ):
                feed.add_component(component)
    return feed.to_ical()


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale_server(tmp_path_factory.mktemp("radicale")) as server:
        client = caldav.DAVClient(
            url=server.base_url, username=server.username, password=server.password
        )
        work = client.principal().make_calendar(name="Work", cal_id="work")
        for resource in calendar_resources():
            work.save_event(resource.to_ical().decode())
        yield server


class Feed:
    """An ICS feed on a loopback HTTP server, counting the requests it answers."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status, self.hits = body, status, 0
        self.url = ""


@contextlib.contextmanager
def feed_server(feed: Feed) -> Iterator[Feed]:
    def serve(request: BaseHTTPRequestHandler) -> None:
        feed.hits += 1
        request.send_response(feed.status)
        request.send_header("Content-Type", "text/calendar; charset=utf-8")
        request.send_header("Content-Length", str(len(feed.body)))
        request.end_headers()
        request.wfile.write(feed.body)

    with http_server(serve, method="GET") as base:
        feed.url = base.replace("/hooks/", "/private-d41d8cd9/basic.ics")
        yield feed


@pytest.fixture
def iris(interviewer: User) -> User:
    """The interviewer persona, in Europe/London, with one Loopwise interview of her own."""
    assert interviewer.time_zone == "Europe/London"
    InterviewFactory(interviewers=[interviewer], starts_at=INTERVIEW[0], ends_at=INTERVIEW[1])
    return interviewer


def caldav_source(owner: User, server: Radicale, **changes: Any) -> CalendarSource:
    return CalendarSource.objects.create(
        owner=owner,
        kind=CalendarSource.Kind.CALDAV,
        name="Work",
        url=changes.pop("url", server.calendar_url("work")),
        username=server.username,
        secret=changes.pop("secret", server.password),
        **changes,
    )


# --- Given a real calendar, busy time is exactly its busy events --------------------------


def test_a_caldav_calendar_gives_the_busy_instants_across_dst_and_all_day(
    radicale: Radicale, iris: User
) -> None:
    source = caldav_source(iris, radicale)

    assert sync_source(source, now=NOW) is True

    stored = list(BusyBlock.objects.filter(source=source).values_list("starts_at", "ends_at"))
    assert stored == CALENDAR_BUSY
    availability = busy_for(iris, utc(2025, 3, 25), utc(2025, 4, 30), now=NOW + timedelta(1 / 24))
    assert availability.unknown is False, availability.reasons
    assert list(availability.blocks) == sorted([*CALENDAR_BUSY, INTERVIEW])
    # The transparent focus block and the cancelled call leave her free.
    assert availability.is_free(utc(2025, 3, 27, 14), utc(2025, 3, 27, 17))
    assert not availability.is_free(utc(2025, 4, 2, 9, 30), utc(2025, 4, 2, 9, 45))
    source.refresh_from_db()
    assert (source.last_synced_at, source.failures, source.last_error) == (NOW, 0, "")
    assert source.next_sync_at == NOW + timedelta(minutes=15)


def test_an_ics_feed_gives_the_same_busy_instants(iris: User) -> None:
    with feed_server(Feed(one_feed())) as feed:
        source = CalendarSource.objects.create(
            owner=iris, kind=CalendarSource.Kind.ICS_FEED, name="Personal", url=feed.url
        )
        assert sync_source(source, now=NOW) is True

    availability = busy_for(iris, utc(2025, 3, 25), utc(2025, 4, 30), now=NOW)
    assert (availability.unknown, list(availability.blocks)) == (
        False,
        sorted([*CALENDAR_BUSY, INTERVIEW]),
    )


def test_a_resync_replaces_the_blocks_and_a_deleted_event_frees_the_time(iris: User) -> None:
    with feed_server(Feed(one_feed())) as feed:
        source = CalendarSource.objects.create(
            owner=iris, kind=CalendarSource.Kind.ICS_FEED, url=feed.url
        )
        sync_source(source, now=NOW)
        sync_source(source, now=NOW)  # the same calendar twice: the same rows, not twice
        assert BusyBlock.objects.filter(source=source).count() == len(CALENDAR_BUSY)

        feed.body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n"
        sync_source(source, now=NOW)

    assert list(busy_for(iris, utc(2025, 3, 25), utc(2025, 4, 30), now=NOW).blocks) == [INTERVIEW]


# --- A calendar that cannot be read is unknown, never free ---------------------------------


def test_an_unreachable_calendar_is_unknown_with_backoff_and_no_invented_blocks(
    iris: User,
) -> None:
    source = CalendarSource.objects.create(
        owner=iris,
        kind=CalendarSource.Kind.CALDAV,
        name="Work",
        url=f"http://127.0.0.1:{free_port()}/iris/work/",  # nothing listens there
        username="iris",
        secret="whatever",
    )

    assert sync_source(source, now=NOW) is False

    source.refresh_from_db()
    assert (source.failures, source.last_error) == (1, "connection refused")
    assert source.next_sync_at == NOW + timedelta(minutes=10)
    assert source.last_synced_at is None
    assert not BusyBlock.objects.exists()
    availability = busy_for(iris, utc(2025, 3, 25), utc(2025, 4, 30), now=NOW)
    assert availability.unknown is True
    assert availability.reasons == ("Work: failed: connection refused — retrying in 10 minutes",)
    # Her only known busy time is the interview, but she is not free around it either.
    assert list(availability.blocks) == [INTERVIEW]
    assert not availability.is_free(utc(2025, 3, 26, 8), utc(2025, 3, 26, 9))

    sync_source(source, now=NOW + timedelta(minutes=10))
    source.refresh_from_db()
    assert source.failures == 2
    assert source.next_sync_at == NOW + timedelta(minutes=10 + 20)
    assert backoff(7) == backoff(30) == timedelta(hours=6)  # capped


def test_a_wrong_password_is_said_in_words(radicale: Radicale, iris: User) -> None:
    source = caldav_source(iris, radicale, secret="not-her-password")

    assert sync_source(source, now=NOW) is False

    source.refresh_from_db()
    assert source.last_error == "the server refused the username or password"
    assert busy_for(iris, NOW, NOW + timedelta(days=1), now=NOW).unknown


def test_a_feed_that_answers_404_or_is_too_large_fails_in_words(iris: User) -> None:
    with feed_server(Feed(b"gone", status=404)) as feed:
        source = CalendarSource.objects.create(
            owner=iris, kind=CalendarSource.Kind.ICS_FEED, url=feed.url
        )
        sync_source(source, now=NOW)
        assert source.last_error == "no calendar at that address (HTTP 404)"

        feed.status, feed.body = 200, one_feed()
        with override_settings(CALENDAR_FEED_MAX_BYTES=1024):
            sync_source(source, now=NOW)
    assert source.last_error.startswith("the feed is larger than")
    assert source.failures == 2
    assert not BusyBlock.objects.exists()


def test_never_synced_and_stale_calendars_are_unknown(radicale: Radicale, iris: User) -> None:
    source = caldav_source(iris, radicale)
    window = (utc(2025, 3, 26), utc(2025, 3, 27))

    never = busy_for(iris, *window, now=NOW)
    assert never.unknown
    assert never.reasons == ("Work: not synced yet: shown as unknown",)

    sync_source(source, now=NOW)
    assert not busy_for(iris, *window, now=NOW + timedelta(minutes=180)).unknown
    stale = busy_for(iris, *window, now=NOW + timedelta(minutes=181))
    assert stale.unknown
    assert stale.reasons == ("Work: last synced 3 hours ago, too long: shown as unknown",)
    # Beyond what was read (CALENDAR_SYNC_DAYS ahead) is unknown too.
    beyond = busy_for(iris, NOW + timedelta(days=59), NOW + timedelta(days=61), now=NOW)
    assert beyond.unknown
    assert "read only from" in beyond.reasons[0]


def test_someone_without_calendars_is_busy_only_in_their_interviews(iris: User) -> None:
    availability = busy_for(iris, utc(2025, 3, 28), utc(2025, 3, 29), now=NOW)
    assert (availability.unknown, availability.blocks) == (False, (INTERVIEW,))


# --- Only free/busy is kept, and the credentials are encrypted -----------------------------


def test_no_event_title_or_description_reaches_the_database(radicale: Radicale, iris: User) -> None:
    sync_source(caldav_source(iris, radicale), now=NOW)
    assert BusyBlock.objects.count() == len(CALENDAR_BUSY)

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            text = repr(cursor.fetchall())
            for word in ("Secret", "agenda attached"):
                assert word not in text, f"{word!r} stored in {table}"


def test_the_password_and_address_are_encrypted_at_rest(radicale: Radicale, iris: User) -> None:
    source = caldav_source(iris, radicale)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT url_ciphertext, secret_ciphertext, host FROM hiring_calendarsource "
            "WHERE id = %s",
            [source.pk],
        )
        url_raw, secret_raw, host = cursor.fetchone()
    assert radicale.password not in secret_raw
    assert "iris/work" not in url_raw
    assert host == radicale.base_url.split("/")[2]
    stored = CalendarSource.objects.get(pk=source.pk)
    assert (stored.secret, stored.url) == (radicale.password, radicale.calendar_url("work"))


def test_keys_rotate_and_a_missing_key_refuses_in_words(iris: User) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(CALENDAR_ENCRYPTION_KEY=old):
        source = CalendarSource.objects.create(
            owner=iris, kind="ics_feed", url="https://example.org/a.ics", secret="pw"
        )
    with override_settings(CALENDAR_ENCRYPTION_KEY=f"{new},{old}"):
        assert CalendarSource.objects.get(pk=source.pk).secret == "pw"
    with override_settings(CALENDAR_ENCRYPTION_KEY=new):
        with pytest.raises(CalendarKeyError, match="another CALENDAR_ENCRYPTION_KEY"):
            _ = CalendarSource.objects.get(pk=source.pk).secret
        # The sweep records it as the reason, like any other failure.
        assert sync_source(CalendarSource.objects.get(pk=source.pk), now=NOW) is False
        assert "another CALENDAR_ENCRYPTION_KEY" in CalendarSource.objects.get().last_error
    refused = pytest.raises(CalendarKeyError, match="CALENDAR_ENCRYPTION_KEY is not set")
    with override_settings(CALENDAR_ENCRYPTION_KEY=""), refused:
        CalendarSource(owner=iris, kind="caldav", url="https://example.org/", secret="x")


# --- The sweep -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=True)
def test_the_sweep_run_twice_reads_each_due_calendar_once(iris: User) -> None:
    with feed_server(Feed(one_feed())) as feed:
        source = CalendarSource.objects.create(
            owner=iris, kind=CalendarSource.Kind.ICS_FEED, url=feed.url
        )
        later = CalendarSource.objects.create(
            owner=iris,
            kind=CalendarSource.Kind.ICS_FEED,
            url=feed.url,
            next_sync_at=NOW + timedelta(days=3650),  # not due
        )

        assert calendars_sync_due() == 1
        assert calendars_sync_due() == 0

    assert feed.hits == 1
    source.refresh_from_db()
    later.refresh_from_db()
    assert source.last_synced_at is not None
    assert later.last_synced_at is None
    assert BusyBlock.objects.filter(source=source).count() == len(CALENDAR_BUSY)


def test_a_sweep_takes_a_bounded_batch(iris: User) -> None:
    with feed_server(Feed(one_feed())) as feed:
        for _ in range(3):
            CalendarSource.objects.create(owner=iris, kind="ics_feed", url=feed.url)
        assert busy.sync_due(limit=2) == 2
        assert busy.sync_due(limit=2) == 1
    assert feed.hits == 3


def test_the_sweep_is_on_beats_schedule() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["calendars-sync-due"]
    assert entry["task"] == "hiring.tasks.calendars_sync_due"


def test_a_malformed_key_stops_the_settings_from_loading(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env |= {"CALENDAR_ENCRYPTION_KEY": "not-a-key", "LOOPWISE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "CALENDAR_ENCRYPTION_KEY is not a Fernet key" in result.stderr


# --- The interviewer's page ----------------------------------------------------------------


def test_an_interviewer_connects_a_feed_and_sees_its_state_in_words(
    client: Any, interviewer: User, other_interviewer: User
) -> None:
    theirs = CalendarSource.objects.create(
        owner=other_interviewer, kind="ics_feed", name="Jonas private", url="https://x.test/j"
    )
    client.force_login(interviewer)

    response = client.post(
        "/interviews/calendar/",
        {
            "kind": "ics_feed",
            "name": "Personal",
            "url": "https://calendar.example.org/private-abc123/basic.ics",
            "username": "",
            "secret": "hunter2-feed",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Connected Personal" in page
    assert "Not synced yet: shown as unknown" in page
    assert "private-abc123" not in page
    assert "hunter2-feed" not in page
    assert "Jonas private" not in page
    source = CalendarSource.objects.get(owner=interviewer)
    assert source.url.endswith("private-abc123/basic.ics")
    # Someone else's calendar cannot be disconnected by guessing its id.
    assert client.post("/interviews/calendar/", {"disconnect": theirs.pk}).status_code == 404
    assert CalendarSource.objects.filter(pk=theirs.pk).exists()

    source.failures, source.last_error = 1, "connection refused"
    source.next_sync_at = timezone.now() + timedelta(minutes=10, seconds=30)
    source.save()
    page = client.get("/interviews/calendar/").content.decode()
    assert "Failed: connection refused — retrying in 10 minutes" in page

    client.post("/interviews/calendar/", {"disconnect": source.pk})
    assert not CalendarSource.objects.filter(owner=interviewer).exists()


def test_a_calendar_on_an_internal_address_is_refused_when_private_networks_are_off(
    client: Any, interviewer: User
) -> None:
    client.force_login(interviewer)
    with override_settings(CALENDAR_ALLOW_PRIVATE_NETWORKS=False):
        response = client.post(
            "/interviews/calendar/",
            {"kind": "caldav", "url": "http://127.0.0.1:5232/iris/work/", "secret": "x"},
        )
    assert response.status_code == 200
    assert "points to an internal address (127.0.0.1)" in response.content.decode()
    assert not CalendarSource.objects.exists()


def test_the_page_asks_anonymous_visitors_to_sign_in(client: Any, db: None) -> None:
    response = client.get("/interviews/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
