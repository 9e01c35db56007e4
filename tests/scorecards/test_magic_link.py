"""Magic links: one interview's kit and scorecard from an e-mail, nothing else, for a while."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.utils import timezone

from scorecards.magic_links import magic_link_url
from scorecards.models import ScorecardRevision
from tests.factories import InterviewFactory
from tests.scorecards.test_scorecard_form import complete_post

pytestmark = pytest.mark.django_db


def local(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@override_settings(SITE_URL="https://hire.example.com")
def test_the_link_is_absolute_and_scoped(world, interviewer):
    url = magic_link_url(interview=world.interview, interviewer=interviewer)
    assert url.startswith(f"https://hire.example.com/interviews/{world.interview.pk}/link/?sesame=")


def test_the_link_opens_this_interviews_kit_and_scorecard_only(client, world, interviewer):
    # given a second interview of theirs, in another loop
    elsewhere = InterviewFactory(interviewers=[interviewer])
    url = magic_link_url(interview=world.interview, interviewer=interviewer)

    # when they open the link
    response = client.get(local(url))

    # then they land on the kit, without the token in the address
    assert response.status_code == 302
    assert response["Location"] == f"/interviews/{world.interview.pk}/kit/"
    assert SESSION_KEY not in client.session  # not signed in
    kit = client.get(response["Location"])
    assert kit.status_code == 200
    assert "Opened from your e-mail link" in kit.content.decode()
    # and they can write and submit the scorecard
    form = f"/interviews/{world.interview.pk}/scorecard/"
    assert client.get(form).status_code == 200
    draft = client.post(f"{form}draft/", complete_post(world.interview, action=""))
    assert draft.status_code == 200
    assert client.post(form, complete_post(world.interview)).status_code == 302
    assert ScorecardRevision.objects.get(scorecard__interviewer=interviewer).submitted_at
    # but nothing else
    for other in (
        "/interviews/",
        f"/interviews/{elsewhere.pk}/kit/",
        f"/interviews/{elsewhere.pk}/scorecard/",
        "/admin/",
        "/",
    ):
        response = client.get(other)
        assert response.status_code == 302, other
        assert "login" in response["Location"], other


def test_a_link_for_one_interview_does_not_open_another(client, world, interviewer):
    elsewhere = InterviewFactory(interviewers=[interviewer])
    token = urlsplit(magic_link_url(interview=world.interview, interviewer=interviewer)).query

    response = client.get(f"/interviews/{elsewhere.pk}/link/?{token}")

    assert response.status_code == 403
    assert client.get(f"/interviews/{elsewhere.pk}/kit/").status_code == 302


def test_a_tampered_link_explains_itself_and_offers_sign_in(client, world, interviewer):
    url = local(magic_link_url(interview=world.interview, interviewer=interviewer))

    response = client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "This link no longer works" in page
    assert f'href="/login/?next=/interviews/{world.interview.pk}/kit/"' in page
    assert client.get(f"/interviews/{world.interview.pk}/kit/").status_code == 302


def test_an_expired_link_is_refused(client, world, interviewer):
    url = local(magic_link_url(interview=world.interview, interviewer=interviewer))
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESAME_MAX_AGE + 60)):
        response = client.get(url)
    assert response.status_code == 403
    assert "This link no longer works" in response.content.decode()


def test_the_grant_expires_with_the_link_lifetime(client, world, interviewer):
    client.get(local(magic_link_url(interview=world.interview, interviewer=interviewer)))
    kit = f"/interviews/{world.interview.pk}/kit/"
    assert client.get(kit).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESAME_MAX_AGE + 60)):
        assert client.get(kit).status_code == 403


def test_a_link_opened_late_grants_only_what_is_left_of_its_validity(client, world, interviewer):
    issued = timezone.now()
    expires = issued + timedelta(seconds=settings.SESAME_MAX_AGE)
    with time_machine.travel(issued, tick=False):
        url = local(magic_link_url(interview=world.interview, interviewer=interviewer))
    kit = f"/interviews/{world.interview.pk}/kit/"
    form = f"/interviews/{world.interview.pk}/scorecard/"

    # opened on its last day, an hour before it expires
    with time_machine.travel(expires - timedelta(hours=1), tick=False):
        assert client.get(url).status_code == 302
    with time_machine.travel(expires - timedelta(minutes=30), tick=False):
        assert client.get(kit).status_code == 200
        assert client.get(form).status_code == 200

    # a minute after the link's own expiry the grant is over, however recently it was opened
    with time_machine.travel(expires + timedelta(minutes=1), tick=False):
        for page in (kit, form):
            response = client.get(page)
            text = " ".join(response.content.decode().split())
            assert response.status_code == 403, page
            assert "Your e-mail link has expired" in text
            assert "Sign in with your username and password to carry on" in text
            assert "ask the recruiter to send you a new link" in text
            assert f'href="/login/?next={page}"' in text
        # the draft autosave says so too, and nothing is saved
        draft = client.post(f"{form}draft/", complete_post(world.interview, action=""))
        assert draft.status_code == 401
        assert draft.json()["error"].startswith("Your e-mail link has expired.")
        assert not ScorecardRevision.objects.exists()
        # and the link itself no longer opens anything
        assert client.get(url).status_code == 403


def test_a_newer_link_for_the_same_interview_lasts_as_long_as_the_newer_link(
    client, world, interviewer
):
    first_sent = timezone.now()
    age = timedelta(seconds=settings.SESAME_MAX_AGE)
    with time_machine.travel(first_sent, tick=False):
        first = local(magic_link_url(interview=world.interview, interviewer=interviewer))
        assert client.get(first).status_code == 302
    with time_machine.travel(first_sent + age / 2, tick=False):
        second = local(magic_link_url(interview=world.interview, interviewer=interviewer))
        assert client.get(second).status_code == 302
        # opening the older link again does not cut the newer one's time short
        assert client.get(first).status_code == 302

    kit = f"/interviews/{world.interview.pk}/kit/"
    with time_machine.travel(first_sent + age + timedelta(hours=1), tick=False):
        assert client.get(kit).status_code == 200
    with time_machine.travel(first_sent + age / 2 + age + timedelta(minutes=1), tick=False):
        assert client.get(kit).status_code == 403


def test_a_password_change_ends_the_grant(client, world, interviewer):
    client.get(local(magic_link_url(interview=world.interview, interviewer=interviewer)))
    interviewer.set_password("a-new-password-123")
    interviewer.save()
    assert client.get(f"/interviews/{world.interview.pk}/kit/").status_code == 302


def test_someone_taken_off_the_panel_cannot_use_their_link(client, world, interviewer):
    url = local(magic_link_url(interview=world.interview, interviewer=interviewer))
    world.interview.interviewers.remove(interviewer)
    assert client.get(url).status_code == 403


def test_a_link_for_someone_else_while_signed_in(client, world, interviewer, other_interviewer):
    client.force_login(other_interviewer)
    url = local(magic_link_url(interview=world.interview, interviewer=interviewer))

    response = client.get(url)

    assert response.status_code == 403
    assert "This link is for someone else" in response.content.decode()
    assert client.get(f"/interviews/{world.interview.pk}/kit/").status_code == 404


def test_a_signed_in_interviewer_just_goes_to_the_kit(client, world, interviewer):
    client.force_login(interviewer)
    url = local(magic_link_url(interview=world.interview, interviewer=interviewer))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/interviews/{world.interview.pk}/kit/"


def test_opening_the_link_changes_the_session_key(client, world, interviewer):
    client.get("/login/")
    client.session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(local(magic_link_url(interview=world.interview, interviewer=interviewer)))
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_a_second_persons_link_replaces_the_first_grant(
    client, world, interviewer, other_interviewer
):
    client.get(local(magic_link_url(interview=world.interview, interviewer=interviewer)))
    client.get(
        local(magic_link_url(interview=world.other_interview, interviewer=other_interviewer))
    )
    assert client.get(f"/interviews/{world.interview.pk}/kit/").status_code == 302
    assert client.get(f"/interviews/{world.other_interview.pk}/kit/").status_code == 200
