"""Session lifetimes (issue 16, item 5): an idle timeout, an absolute lifetime, "sign out
everywhere", and a new session id at every privilege change. Real requests through the test
client; the clock is moved with time-machine, never slept on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from hiring.models import User
from tests.factories import UserFactory
from tests.tokens import api_client

pytestmark = pytest.mark.django_db

HOME = "/interviews/"


def signed_in(client: Client) -> bool:
    """Whether ``client``'s session still opens a signed-in page."""
    return client.get(HOME).status_code == 200


def sign_in(user: User) -> Client:
    """A browser that signed in through the login form."""
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": "pw"})
    assert response.status_code == 302, response.content.decode()
    return client


@pytest.fixture
def person(db: None) -> User:
    return UserFactory(username="sam")


# --- Idle and absolute lifetimes --------------------------------------------------------------


def test_an_idle_session_is_signed_out(person, settings):
    settings.SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(person)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert signed_in(client)  # 29 minutes idle: still in, and the clock restarts

    with time_machine.travel(start + timedelta(minutes=29 + 30), tick=False):
        response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not signed_in(client)  # the session is gone, not only this request


def test_a_busy_session_ends_at_its_absolute_lifetime(person, settings):
    settings.SESSION_IDLE_MINUTES = 60
    settings.SESSION_MAX_HOURS = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(person)
    for minutes in range(50, 180, 50):  # a request every 50 minutes: never idle
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert signed_in(client), minutes

    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert not signed_in(client)


def test_the_api_refuses_a_timed_out_browser_session(person, settings):
    settings.SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(person)
        assert client.get("/api/v1/interviews/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert client.get("/api/v1/interviews/").status_code in {401, 403}


def test_reading_pages_writes_the_session_at_most_once_a_minute(person):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(person)
        key = client.session.session_key
        seen = client.session["signin.seen"]
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        signed_in(client)
    assert client.session["signin.seen"] == seen
    with time_machine.travel(start + timedelta(seconds=70), tick=False):
        signed_in(client)
    assert client.session["signin.seen"] > seen
    assert client.session.session_key == key


# --- Sign out everywhere ----------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_of_mine_and_nothing_else(person):
    laptop, phone = sign_in(person), sign_in(person)
    colleague = sign_in(UserFactory(username="tess"))
    script = api_client(person)

    response = laptop.post("/account/sign-out-everywhere/", follow=True)

    assert "Signed out everywhere (2 sessions)" in response.content.decode()
    assert not signed_in(laptop)
    assert not signed_in(phone)
    assert signed_in(colleague)
    assert script.get("/api/v1/interviews/").status_code == 200  # tokens are not sessions


def test_sign_out_everywhere_is_a_post(person):
    client = sign_in(person)
    assert client.get("/account/sign-out-everywhere/").status_code == 405
    assert signed_in(client)


# --- A new session id at every privilege change ----------------------------------------------


def test_signing_in_gives_a_new_session_id(person):
    client = Client()
    client.get("/login/")
    client.cookies["sessionid"] = "planted-by-someone-else"
    client.post("/login/", {"username": person.username, "password": "pw"})
    assert client.cookies["sessionid"].value != "planted-by-someone-else"


def flag(name: str) -> Any:
    def change(user: User) -> None:
        setattr(user, name, True)
        user.save()

    return change


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(flag("is_superuser"), id="made superuser"),
        pytest.param(flag("is_staff"), id="made staff"),
        pytest.param(
            lambda u: u.groups.add(Group.objects.get_or_create(name="Recruiters")[0]),
            id="added to a group",
        ),
        pytest.param(
            lambda u: Group.objects.get_or_create(name="Recruiters")[0].user_set.add(u),
            id="group gains the user",
        ),
    ],
)
def test_a_privilege_change_ends_the_old_session_id(person, change: Any):
    client = sign_in(person)
    old = client.cookies["sessionid"].value

    change(person)

    assert not signed_in(client)  # the old id no longer carries anyone
    again = sign_in(person)
    assert again.cookies["sessionid"].value != old
    assert signed_in(again)


def test_losing_a_privilege_ends_the_session_too(person):
    group = Group.objects.get_or_create(name="Recruiters")[0]
    person.groups.add(group)
    person.is_staff = True
    person.save()
    client = sign_in(person)

    person.groups.remove(group)

    assert not signed_in(client)


def test_saving_a_person_without_a_privilege_change_keeps_them_signed_in(person):
    client = sign_in(person)
    person.time_zone = "Europe/Paris"
    person.save()
    person.groups.add(*[])
    assert signed_in(client)


def test_a_password_change_keeps_this_session_under_a_new_id_and_ends_the_others(person):
    person.is_staff = True
    person.save()
    here, elsewhere = sign_in(person), sign_in(person)
    old = here.cookies["sessionid"].value

    response = here.post(
        "/admin/password_change/",
        {"old_password": "pw", "new_password1": "a-long new pass 42", "new_password2":
         "a-long new pass 42"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()
    assert here.cookies["sessionid"].value != old
    assert signed_in(here)
    assert not signed_in(elsewhere)
    # and the session under its new id is still found by "sign out everywhere"
    sign_in_again = Client()
    sign_in_again.post("/login/", {"username": person.username, "password": "a-long new pass 42"})
    sign_in_again.post("/account/sign-out-everywhere/")
    assert not signed_in(here)


def test_an_administrator_changing_their_own_groups_is_signed_out_cleanly(person):
    group = Group.objects.get_or_create(name="Interview trainers")[0]
    person.is_staff = person.is_superuser = True
    person.save()
    client = sign_in(person)
    url = f"/admin/hiring/user/{person.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        groups=[group.pk],
        user_permissions=[],
        last_login_0="",
        last_login_1="",
        date_joined_0=timezone.localtime(person.date_joined).strftime("%Y-%m-%d"),
        date_joined_1=timezone.localtime(person.date_joined).strftime("%H:%M:%S"),
    )
    data = {k: v for k, v in data.items() if k not in ("password",) and v is not False}

    # a minute later, so this request also writes the session (its last-seen time)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:500]
    assert list(person.groups.all()) == [group]
    assert not signed_in(client)  # the old id is gone; signing in again gives a new one
