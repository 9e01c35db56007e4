"""Single sign-on with OpenID Connect (signin.oidc), against a real provider on loopback
(tests/oidc: panva's oidc-provider run by Node), driven through its own sign-in and consent
pages; Loopwise is driven with Django's test client."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from tests.oidc import running_provider, settings_for, sign_in_at_provider

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/oidc/callback/"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider([CALLBACK], ["http://testserver/login/"]) as url:
        yield url


@pytest.fixture
def sso(settings: Any, issuer: str) -> Any:
    for name, value in settings_for(issuer).items():
        setattr(settings, name, value)
    return settings


def sign_in(client: Client, login: str, browser: requests.Session | None = None) -> Any:
    """Loopwise's "Sign in with" button, the provider's pages as ``login``, and the
    callback: Loopwise's answer to the callback."""
    start = client.get("/oidc/start/")
    assert start.status_code == 302, start
    back = sign_in_at_provider(browser or requests.Session(), start["Location"], login, CALLBACK)
    return client.get(back.removeprefix("http://testserver"))


def signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


def test_the_sign_in_pages_offer_the_provider_only_when_it_is_configured(
    client: Client, settings: Any, issuer: str
) -> None:
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/oidc/start/").status_code == 404
    for name, value in settings_for(issuer).items():
        setattr(settings, name, value)
    for page in ("/login/", "/admin/login/"):
        assert "Sign in with Example SSO" in client.get(page).content.decode(), page


def test_a_recruiter_is_created_at_first_sign_in_with_the_recruiter_role_and_time_zone(
    client: Client, sso: Any
) -> None:
    response = sign_in(client, "rita")
    assert response.status_code == 302
    assert response["Location"] == "/"
    rita = User.objects.get(email="rita@example.com")
    assert rita.groups.filter(name=RECRUITERS_GROUP).exists()
    assert rita.is_staff
    assert not rita.is_superuser
    assert rita.time_zone == "Europe/Berlin"
    assert (rita.first_name, rita.last_name) == ("Rita", "Recruiter")
    assert not rita.has_usable_password()
    assert client.session[BACKEND_SESSION_KEY] == "signin.oidc.OIDCBackend"
    assert client.get("/admin/").status_code == 200  # the recruiters' admin


def test_hiring_managers_and_interviewers_sign_in_without_a_group_or_the_admin(
    client: Client, sso: Any
) -> None:
    assert sign_in(client, "hank").status_code == 302
    hank = User.objects.get(email="hank@example.com")
    assert not hank.groups.exists()
    assert not hank.is_staff
    assert hank.time_zone == "America/New_York"
    assert signed_in(client)
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in

    other = Client()
    assert sign_in(other, "ivan").status_code == 302
    ivan = User.objects.get(email="ivan@example.com")
    assert ivan.time_zone == "UTC"  # "Mars/Olympus_Mons" is no time zone: the default stays
    assert signed_in(other)


def test_a_claim_never_makes_a_superuser(client: Client, sso: Any) -> None:
    assert sign_in(client, "sam").status_code == 302  # groups: recruiters, superuser, admin
    sam = User.objects.get(email="sam@example.com")
    assert not sam.is_superuser
    assert list(sam.groups.values_list("name", flat=True)) == [RECRUITERS_GROUP]


def test_a_person_whose_claims_map_to_no_role_is_told_and_not_signed_in(
    client: Client, sso: Any
) -> None:
    response = sign_in(client, "nora")
    assert response.status_code == 403
    assert "gives you no role in Loopwise" in response.content.decode()
    assert not User.objects.filter(email="nora@example.com").exists()
    assert not signed_in(client)


def test_an_address_outside_the_allowed_domains_is_refused(client: Client, sso: Any) -> None:
    response = sign_in(client, "eve")
    assert response.status_code == 403
    assert "eve@elsewhere.test is not in a domain this Loopwise accepts" in (
        response.content.decode()
    )
    assert not User.objects.filter(email="eve@elsewhere.test").exists()
    assert not signed_in(client)


def test_the_provider_never_signs_into_a_superusers_account(client: Client, sso: Any) -> None:
    User.objects.create_superuser("root", "root@example.com", "break-glass-passphrase-42")
    response = sign_in(client, "root")
    assert response.status_code == 403
    assert "signs in with its password" in response.content.decode()
    assert not signed_in(client)


def test_an_existing_account_is_found_by_its_address_and_its_role_follows_the_claim(
    client: Client, sso: Any
) -> None:
    rita = User.objects.create_user("rita.r", "Rita@Example.com", "a-local-password-0042")
    assert sign_in(client, "rita").status_code == 302
    rita.refresh_from_db()
    assert rita.is_staff
    assert rita.groups.filter(name=RECRUITERS_GROUP).exists()
    assert User.objects.filter(email__iexact="rita@example.com").count() == 1

    # The company moves her group to interviewers: her next sign-in takes the admin away.
    sso.OIDC_ROLE_MAP = {"loopwise-recruiters": "interviewer"}
    again = Client()
    assert sign_in(again, "rita").status_code == 302
    rita.refresh_from_db()
    assert not rita.is_staff
    assert not rita.groups.exists()
    assert again.get("/admin/").status_code == 302
    assert not signed_in(client)  # the privilege change ended her earlier session


def test_a_stale_or_forged_callback_is_refused(client: Client, sso: Any) -> None:
    response = client.get("/oidc/callback/", {"code": "made-up", "state": "made-up"})
    assert response.status_code == 400
    assert not signed_in(client)


def test_with_password_login_off_only_superusers_sign_in_with_a_password(
    client: Client, settings: Any
) -> None:
    settings.LOCAL_PASSWORD_LOGIN = False
    User.objects.create_user("rick", "rick@example.com", "a-local-password-0042")
    User.objects.create_superuser("root", "root@example.com", "break-glass-passphrase-42")
    for page in ("/login/", "/admin/login/"):
        response = client.post(page, {"username": "rick", "password": "a-local-password-0042"})
        assert response.status_code == 200, page  # the form again, with its error
        assert not signed_in(client)
    response = client.post("/login/", {"username": "root", "password": "break-glass-passphrase-42"})
    assert response.status_code == 302
    assert signed_in(client)

    settings.LOCAL_PASSWORD_LOGIN = True
    other = Client()
    other.post("/login/", {"username": "rick", "password": "a-local-password-0042"})
    assert signed_in(other)


def test_sign_out_ends_the_session_and_the_providers(client: Client, sso: Any) -> None:
    browser = requests.Session()
    assert sign_in(client, "hank", browser).status_code == 302
    response = client.post("/logout/")
    assert "You are signed out of Loopwise" in response.content.decode()
    end_url = unescape(
        response.content.decode().split('id="oidc-sign-out" href="')[1].split('"')[0]
    )
    end = urlsplit(end_url)
    assert f"{end.scheme}://{end.netloc}{end.path}".endswith("/session/end")
    query = parse_qs(end.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert query["id_token_hint"]
    assert not signed_in(client)

    # The provider asks to confirm, then sends the browser back to Loopwise's sign-in page.
    page = browser.get(end_url, timeout=10)
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    xsrf = page.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    confirmed = browser.post(
        requests.compat.urljoin(page.url, action),
        data={"xsrf": xsrf, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert confirmed.headers["Location"] == "http://testserver/login/"
    # Signed out there too: the next sign-in asks for the login again.
    start = client.get("/oidc/start/")
    assert 'name="login"' in browser.get(start["Location"], timeout=10).text


def test_a_password_sign_out_stays_in_loopwise(client: Client, sso: Any) -> None:
    User.objects.create_user("rick", "rick@example.com", "a-local-password-0042")
    client.post("/login/", {"username": "rick", "password": "a-local-password-0042"})
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"


def test_after_sign_in_the_person_lands_where_they_were_going_and_only_here(
    client: Client, sso: Any
) -> None:
    start = client.get("/oidc/start/", {"next": "/account/"})
    back = sign_in_at_provider(requests.Session(), start["Location"], "hank", CALLBACK)
    assert client.get(back.removeprefix("http://testserver"))["Location"] == "/account/"

    other = Client()
    start = other.get("/oidc/start/", {"next": "https://elsewhere.test/phish"})
    back = sign_in_at_provider(requests.Session(), start["Location"], "hank", CALLBACK)
    assert other.get(back.removeprefix("http://testserver"))["Location"] == "/"


def test_a_sign_in_cancelled_at_the_provider_is_told(client: Client, sso: Any) -> None:
    response = client.get(
        "/oidc/callback/", {"error": "access_denied", "error_description": "End-User aborted"}
    )
    assert response.status_code == 403
    assert "Example SSO did not sign you in: End-User aborted." in response.content.decode()
    assert not signed_in(client)


def test_a_deactivated_person_loses_their_provider_session_at_once(
    client: Client, sso: Any
) -> None:
    assert sign_in(client, "hank").status_code == 302
    User.objects.filter(email="hank@example.com").update(is_active=False)  # no signals
    assert not signed_in(client)
    response = sign_in(Client(), "hank")
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()


def test_a_provider_without_discovery_works_from_endpoints_set_by_hand(
    client: Client, settings: Any, issuer: str
) -> None:
    """Some providers publish no discovery document (or an unreachable one): the README's
    OIDC_OP_* settings name each endpoint and the issuer instead."""
    document = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    for name, value in settings_for(issuer).items():
        setattr(settings, name, value)
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_ISSUER = document["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = document["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = document["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
    settings.OIDC_OP_LOGOUT_ENDPOINT = document["end_session_endpoint"]

    assert "Sign in with Example SSO" in client.get("/login/").content.decode()
    response = sign_in(client, "rita")
    assert response.status_code == 302
    assert response["Location"] == "/"
    rita = User.objects.get(email="rita@example.com")
    assert rita.groups.filter(name=RECRUITERS_GROUP).exists()
    assert signed_in(client)
    # the sign-out goes to the hand-set end-session endpoint
    signed_out = client.post("/logout/").content.decode()
    end_url = unescape(signed_out.split('id="oidc-sign-out" href="')[1].split('"')[0])
    assert end_url.startswith(document["end_session_endpoint"])

    # a wrong issuer set by hand refuses the provider's tokens: nobody is signed in
    settings.OIDC_OP_ISSUER = "https://not-the-provider.example"
    other = Client()
    refused = sign_in(other, "hank")
    assert refused.status_code == 400
    assert "The sign-in with Example SSO failed (its ID token: invalid_claim)" in unescape(
        refused.content.decode()
    )
    assert not signed_in(other)
    assert not User.objects.filter(email="hank@example.com").exists()
