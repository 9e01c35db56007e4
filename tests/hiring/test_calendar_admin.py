"""Connected calendars in the admin (issue 17): superusers see every calendar; a recruiter
sees the state of the calendars of the people they schedule (ok, unknown, failing since,
last synced) and never where a calendar is or how it is read; nobody sees an address or a
password back; "Sync now" makes a calendar due at once."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import timezone

from hiring import access
from hiring.models import CalendarSource, User
from hiring.scheduling import busy
from tests.factories import UserFactory

if TYPE_CHECKING:
    from tests.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

CHANGELIST = "/admin/hiring/calendarsource/"
URL = "https://caldav.private-host.example/dav/iris/secret-path-d41d8cd9/"
SECRET = "app-password-hunter2"
USERNAME = "iris-dav-login"
ERROR = "the server answered HTTP 502 at caldav.private-host.example"


def connect(owner: User, **changes: object) -> CalendarSource:
    source = CalendarSource(owner=owner, kind=CalendarSource.Kind.CALDAV, name="Work")
    source.url = URL
    source.secret = SECRET
    source.username = USERNAME
    for name, value in changes.items():
        setattr(source, name, value)
    source.save()
    return source


def failing(source: CalendarSource) -> CalendarSource:
    since = timezone.now() - timedelta(hours=3)
    CalendarSource.objects.filter(pk=source.pk).update(
        failures=4, failing_since=since, last_error=ERROR, last_synced_at=since
    )
    source.refresh_from_db()
    return source


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def no_secrets(html: str) -> None:
    for secret in (URL, SECRET, "secret-path-d41d8cd9"):
        assert secret not in html


def test_a_recruiter_sees_the_state_of_their_panels_calendars_and_nothing_of_where_they_are(
    world: World, recruiter: User, interviewer: User, outsider: User
) -> None:
    theirs = failing(connect(interviewer))
    elsewhere = connect(outsider, name="Olga's")
    client = client_for(recruiter)

    listing = client.get(CHANGELIST)
    html = listing.content.decode()

    assert listing.status_code == 200
    assert interviewer.display_name in html
    assert "Olga&#x27;s" not in html
    assert f"Unknown: failing since {theirs.failing_since:%Y-%m-%d %H:%M} UTC (4 attempts)" in html
    no_secrets(html)
    for private in ("private-host", USERNAME, "HTTP 502"):
        assert private not in html
    page = client.get(f"{CHANGELIST}{theirs.pk}/change/")
    assert page.status_code == 200
    no_secrets(page.content.decode())
    assert "private-host" not in page.content.decode()
    assert USERNAME not in page.content.decode()
    # someone they do not schedule: not even there
    assert client.get(f"{CHANGELIST}{elsewhere.pk}/change/").status_code in (302, 404)


def test_a_recruiter_changes_nothing_and_adds_nothing(
    world: World, recruiter: User, interviewer: User
) -> None:
    source = connect(interviewer)
    client = client_for(recruiter)

    response = client.post(f"{CHANGELIST}{source.pk}/change/", {"name": "Mine", "write_back": "on"})

    assert response.status_code == 403
    source.refresh_from_db()
    assert (source.name, source.write_back) == ("Work", False)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert access.readonly_fields(recruiter, CalendarSource) >= {"name", "write_back", "owner"}


def test_a_superuser_sees_where_it_is_but_never_the_address_or_password(
    interviewer: User,
) -> None:
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    source = failing(connect(interviewer))
    client = client_for(admin)

    page = client.get(f"{CHANGELIST}{source.pk}/change/").content.decode()

    no_secrets(page)
    for shown in ("caldav.private-host.example", USERNAME, "HTTP 502"):
        assert shown in page
    response = client.post(
        f"{CHANGELIST}{source.pk}/change/", {"name": "Work (office)", "write_back": "on"}
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.write_back, source.url) == ("Work (office)", True, URL)


def test_an_ics_feed_cannot_be_given_write_back_in_the_admin(interviewer: User) -> None:
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    feed = connect(interviewer, kind=CalendarSource.Kind.ICS_FEED)

    response = client_for(admin).post(
        f"{CHANGELIST}{feed.pk}/change/", {"name": "Feed", "write_back": "on"}
    )

    assert response.status_code == 200
    assert busy.WRITE_BACK_CALDAV_ONLY in response.content.decode()
    feed.refresh_from_db()
    assert feed.write_back is False


def test_sync_now_makes_the_calendars_due_at_once(
    world: World, recruiter: User, interviewer: User, outsider: User
) -> None:
    later = timezone.now() + timedelta(hours=5)
    theirs = connect(interviewer, next_sync_at=later)
    elsewhere = connect(outsider, next_sync_at=later)
    before = timezone.now()

    client_for(recruiter).post(
        CHANGELIST,
        {"action": "sync_now", "_selected_action": [theirs.pk, elsewhere.pk], "index": "0"},
    )

    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert before <= theirs.next_sync_at <= timezone.now()
    assert elsewhere.next_sync_at == later  # not theirs to see, let alone sync
    assert busy.claim_due(now=timezone.now(), limit=10) == [theirs]


def test_a_failed_sync_records_since_when_and_never_the_address(interviewer: User) -> None:
    source = connect(interviewer)
    source.url = "http://127.0.0.1:9/private-d41d8cd9/basic.ics"
    source.kind = CalendarSource.Kind.ICS_FEED
    source.save()
    first = timezone.now()

    assert busy.sync_source(source, now=first) is False
    assert busy.sync_source(source, now=first + timedelta(minutes=20)) is False

    source.refresh_from_db()
    assert (source.failures, source.failing_since) == (2, first)
    assert "private-d41d8cd9" not in source.last_error
    # a client's own message quoting the address is recorded without it
    quoted = f"Max retries exceeded with url: {source.url} (/private-d41d8cd9/basic.ics)"
    assert "d41d8cd9" not in busy.redact(quoted, source)
    assert busy.source_health(source).unknown
