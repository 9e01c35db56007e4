"""Sign-in protection (django-axes): wrong passwords on /login/ and /admin/login/ are refused
after LOGIN_FAILURE_LIMIT tries, for one username from one address, until the cool-off ends
or a superuser unlocks them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import timezone

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from scorecards.magic_links import magic_link_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.LOGIN_FAILURE_LIMIT
COOL_OFF = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
LOCKED_OUT = (
    f"Too many failed sign-in attempts; try again in {settings.LOGIN_COOLOFF_MINUTES} minutes "
    "or ask an administrator to unlock you."
)
# Where each login page sends a successful sign-in.
PAGES = {"/login/": "/", "/admin/login/?next=/admin/": "/admin/"}


@pytest.fixture
def staff() -> User:
    """Someone who may sign in on both pages (the admin's needs is_staff)."""
    return UserFactory(username="sam", is_staff=True)


def sign_in(client: Client, page: str, username: str, password: str, **extra: str):
    return client.post(page, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def lock_out(client: Client, page: str, username: str, **extra: str) -> None:
    for _ in range(LIMIT):
        sign_in(client, page, username, "wrong", **extra)


@pytest.mark.parametrize("page", PAGES)
def test_thirty_wrong_passwords_are_refused_after_the_limit(client, staff, page):
    answers = [sign_in(client, page, "sam", f"guess-{n}") for n in range(30)]

    # the first few get the form back, saying the password did not match
    for answer in answers[: LIMIT - 1]:
        assert answer.status_code == 200
        assert LOCKED_OUT not in answer.content.decode()
    # from the limit on, every try is refused with the reason and how long to wait
    for answer in answers[LIMIT - 1 :]:
        assert answer.status_code == 429
        assert LOCKED_OUT in answer.content.decode()
        assert answer["Retry-After"] == str(settings.LOGIN_COOLOFF_MINUTES * 60)
    # and the right password is refused too, while the lockout lasts
    right = sign_in(client, page, "sam", "pw")
    assert right.status_code == 429
    assert LOCKED_OUT in right.content.decode()
    assert not signed_in(client)


@pytest.mark.parametrize("page", PAGES)
def test_the_right_password_works_once_the_cool_off_is_over(client, staff, page):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lock_out(client, page, "sam")

    # a try during the cool-off is refused, and the wait starts again from it
    with time_machine.travel(start + COOL_OFF - timedelta(minutes=1), tick=False):
        assert sign_in(client, page, "sam", "pw").status_code == 429
    last_try = start + COOL_OFF + timedelta(seconds=30)
    with time_machine.travel(last_try, tick=False):
        assert sign_in(client, page, "sam", "pw").status_code == 429
    assert not signed_in(client)

    with time_machine.travel(last_try + COOL_OFF + timedelta(seconds=1), tick=False):
        answer = sign_in(client, page, "sam", "pw")
    assert answer.status_code == 302
    assert answer["Location"] == PAGES[page]
    assert signed_in(client)


@pytest.mark.parametrize("how", ["unlock action", "delete"])
def test_a_superuser_unlocks_someone_in_the_admin(client, staff, how):
    lock_out(client, "/login/", "sam")
    assert sign_in(client, "/login/", "sam", "pw").status_code == 429
    admin = Client()
    admin.force_login(UserFactory(username="ada", is_staff=True, is_superuser=True))

    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "sam" in listing.content.decode()
    assert "until " in listing.content.decode()  # the "Locked out" column
    attempt = AccessAttempt.objects.get(username="sam")
    if how == "delete":
        answer = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert answer.status_code == 302
    else:
        answer = admin.post(
            "/admin/axes/accessattempt/",
            {"action": "unlock", "_selected_action": [attempt.pk]},
            follow=True,
        )
        assert "Unlocked: sam from 127.0.0.1." in answer.content.decode()

    answer = sign_in(client, "/login/", "sam", "pw")
    assert answer.status_code == 302
    assert signed_in(client)


def test_a_success_resets_the_count(client, staff):
    for _ in range(LIMIT - 1):
        sign_in(client, "/login/", "sam", "wrong")
    assert sign_in(client, "/login/", "sam", "pw").status_code == 302
    client.post("/logout/")

    # without the reset the failures before the success would still count, and lock
    for _ in range(LIMIT - 1):
        assert sign_in(client, "/login/", "sam", "wrong").status_code == 200
    assert sign_in(client, "/login/", "sam", "pw").status_code == 302


def test_a_lockout_is_for_one_username_from_one_address(client, staff, interviewer):
    lock_out(client, "/login/", "sam")

    # another person at the same address signs in
    assert sign_in(Client(), "/login/", "iris", "pw").status_code == 302
    # and the locked-out person signs in from elsewhere: a stranger cannot lock them out
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(elsewhere, "/admin/login/?next=/admin/", "sam", "pw").status_code == 302
    # while the address that failed stays refused, on the admin's page too
    assert sign_in(client, "/admin/login/?next=/admin/", "sam", "pw").status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_counts_and_cannot_be_spoofed(client, staff):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # the attacker varies the X-Forwarded-For it sends; the proxy appends its real address
    for n in range(LIMIT):
        spoofed = f"192.0.2.{n}, 203.0.113.9"
        sign_in(client, "/login/", "sam", "wrong", HTTP_X_FORWARDED_FOR=spoofed, **proxy)
    locked = sign_in(client, "/login/", "sam", "pw", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert locked.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"

    # sam at the office, through the same proxy, is not locked out
    office = sign_in(Client(), "/login/", "sam", "pw", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert office.status_code == 302


def test_recruiters_do_not_see_the_attempts_in_the_admin(client, recruiter, staff):
    recruiter.groups.add(Group.objects.get(name=RECRUITERS_GROUP))
    lock_out(Client(), "/login/", "sam")
    client.force_login(recruiter)

    assert "/admin/axes/" not in client.get("/admin/").content.decode()
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    attempt = AccessAttempt.objects.get()
    assert client.get(f"/admin/axes/accessattempt/{attempt.pk}/change/").status_code == 403
    assert client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 403
    assert not recruiter.has_module_perms("axes")


def test_magic_links_are_not_password_sign_ins(client, world, interviewer):
    """Broken or expired e-mail links from one address never lock anyone out."""
    url = magic_link_url(interview=world.interview, interviewer=interviewer)
    link = f"{urlsplit(url).path}?{urlsplit(url).query}"

    for n in range(3 * LIMIT):
        refused = client.get(f"{link[:-4]}{n:04d}")
        assert refused.status_code == 403
        assert "This link no longer works" in refused.content.decode()

    assert not AccessAttempt.objects.exists()
    assert client.get(link).status_code == 302
    assert client.get(f"/interviews/{world.interview.pk}/kit/").status_code == 200
    assert sign_in(Client(), "/login/", "iris", "pw").status_code == 302


ADDRESS_PAUSED = (
    "Too many failed sign-in attempts from your network; password sign-in from it is paused "
    f"for {settings.LOGIN_COOLOFF_MINUTES} minutes."
)


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=8)
@pytest.mark.parametrize("page", PAGES)
def test_one_password_sprayed_over_many_usernames_pauses_that_address(
    client, staff, world, interviewer, page
):
    """Each username fails once, so no per-person lockout ever triggers; the address's total
    does."""
    answers = [sign_in(client, page, f"person{n}", "Summer2026!") for n in range(12)]
    for answer in answers[:7]:
        assert answer.status_code == 200
        assert ADDRESS_PAUSED not in answer.content.decode()
    for answer in answers[7:]:
        assert answer.status_code == 429
        assert ADDRESS_PAUSED in answer.content.decode()
        assert LOCKED_OUT not in answer.content.decode()
        assert answer["Retry-After"] == str(settings.LOGIN_COOLOFF_MINUTES * 60)

    # everyone at that address is paused, with the right password too, on both pages
    for other in PAGES:
        refused = sign_in(Client(), other, "sam", "pw")
        assert refused.status_code == 429
        assert ADDRESS_PAUSED in refused.content.decode()
    assert not signed_in(client)
    # an interview e-mail's link is not a password sign-in: it still works from there
    url = magic_link_url(interview=world.interview, interviewer=interviewer)
    assert client.get(f"{urlsplit(url).path}?{urlsplit(url).query}").status_code == 302
    # another address is not affected
    assert sign_in(Client(REMOTE_ADDR="198.51.100.20"), page, "sam", "pw").status_code == 302


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=8)
def test_an_address_pause_ends_with_the_cool_off_or_when_a_superuser_unlocks_it(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(8):
            sign_in(client, "/login/", f"person{n}", "wrong")
        assert sign_in(client, "/login/", "sam", "pw").status_code == 429
    with time_machine.travel(start + 2 * COOL_OFF + timedelta(seconds=2), tick=False):
        assert sign_in(client, "/login/", "sam", "pw").status_code == 302

    for n in range(8):
        sign_in(Client(), "/login/", f"person{n}", "wrong")
    assert sign_in(Client(), "/login/", "sam", "pw").status_code == 429
    admin = Client()
    admin.force_login(UserFactory(username="ada", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/axes/accessattempt/?q=127.0.0.1")
    assert listing.status_code == 200
    ids = list(AccessAttempt.objects.filter(ip_address="127.0.0.1").values_list("pk", flat=True))
    assert len(ids) >= 8
    admin.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids})
    assert sign_in(Client(), "/login/", "sam", "pw").status_code == 302


@override_settings(LOGIN_ADDRESS_FAILURE_LIMIT=0)
def test_the_address_limit_can_be_turned_off(client, staff):
    for n in range(30):
        assert sign_in(client, "/login/", f"person{n}", "wrong").status_code == 200
    assert sign_in(client, "/login/", "sam", "pw").status_code == 302
