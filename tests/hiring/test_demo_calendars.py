"""The demo's calendars (issue 17 §8): every demo interviewer has a work calendar, an ICS feed
the demo serves, already read when the demo is seeded, with a recurring weekly meeting whose
UTC time moves at the DST switch, all-day offsites and a call set in another zone's time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
import time_machine
from django.contrib.staticfiles import finders
from django.db import transaction
from django.test import override_settings

from hiring.models import BusyBlock, CalendarSource, User
from hiring.scheduling import busy
from scorecards.demo import DEMO_CALENDARS, INTERVIEWERS, seed_demo
from tests.http_server import http_server

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# A Monday in March 2027: New York switched the day before, the UK switches on 28 March.
NOW = datetime(2027, 3, 15, 6, 0, tzinfo=UTC)
SITE_URL = "http://127.0.0.1:8123"


@pytest.fixture(scope="module")
def demo_seeded_at_now(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo seeded once for this module, at NOW, its feeds served from SITE_URL: in a
    transaction rolled back when the module is done (each test runs in a savepoint of its
    own, rolled back too), as seeding takes seconds."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=False), override_settings(SITE_URL=SITE_URL):
            seed_demo()
        yield
        transaction.set_rollback(True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def blocks(username: str) -> list[tuple[datetime, datetime]]:
    return list(
        BusyBlock.objects.filter(user__username=username).values_list("starts_at", "ends_at")
    )


@override_settings(SITE_URL=SITE_URL)
def test_every_demo_interviewer_has_a_known_calendar_with_its_busy_time(
    demo_seeded_at_now: None,
) -> None:
    for person in INTERVIEWERS:
        user = User.objects.get(username=person.username)
        [source] = CalendarSource.objects.filter(owner=user)
        assert source.kind == CalendarSource.Kind.ICS_FEED
        assert source.url == (
            f"{SITE_URL}/static/{DEMO_CALENDARS.format(username=person.username)}"
        )
        assert blocks(person.username), person.username
        availability = busy.busy_for(user, NOW, NOW + timedelta(days=14), now=NOW)
        assert availability.unknown is False, availability.reasons

    iris = blocks("iris")
    # the Monday team meeting, 10:00 London: 10:00 UTC in March, 09:00 UTC after the switch
    assert (utc(2027, 3, 22, 10), utc(2027, 3, 22, 11)) in iris
    assert (utc(2027, 3, 29, 9), utc(2027, 3, 29, 10)) in iris
    # the Wednesday 09:00 New York call: New York switched on 14 March, London not yet, so
    # it is 13:00 UTC now and still 13:00 UTC after London switches (14:00 London time)
    assert (utc(2027, 3, 17, 13), utc(2027, 3, 17, 14)) in iris
    assert (utc(2027, 3, 31, 13), utc(2027, 3, 31, 14)) in iris
    # the all-day offsite every fourth Friday, midnight to midnight London time
    offsite = [(s, e) for s, e in iris if e - s == timedelta(days=1)]
    assert offsite
    assert all(start.hour in (0, 23) and start.weekday() in (3, 4) for start, _ in offsite)


def test_the_sweep_reads_the_demo_feed_as_served(demo_seeded_at_now: None) -> None:
    """The same file, served over HTTP as the demo's web server serves it, gives the same
    blocks when the sweep reads it."""
    path = finders.find(DEMO_CALENDARS.format(username="iris"))
    assert isinstance(path, str)
    body = Path(path).read_bytes()

    def serve(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.end_headers()
        request.wfile.write(body)

    seeded = blocks("iris")
    source = CalendarSource.objects.get(owner__username="iris")
    with http_server(serve, method="GET") as base:
        source.url = base
        source.save()
        assert requests.get(base, timeout=5).content == body
        assert busy.sync_source(source, now=NOW)

    assert blocks("iris") == seeded
