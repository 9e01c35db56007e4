"""Signing in with the company's OpenID Connect identity provider (issue 16, item 1).

The flow is Authlib's Django client (authorization code with PKCE and a nonce; the ID token's
signature, issuer, audience and nonce are checked against the provider's published keys).
Loopwise keeps no model of its own for it: the person is found by their verified e-mail
address, or created on their first sign-in.

What the claims decide, at every sign-in:

- **Who may come in**: the e-mail address must be verified and, with
  ``OIDC_ALLOWED_EMAIL_DOMAINS`` set, in one of those domains; the values of the role claim
  (``OIDC_ROLE_CLAIM``, ``groups`` by default) must map to at least one Loopwise role through
  ``OIDC_ROLE_MAP``. Anyone else gets a page saying why, and no session.
- **The recruiter role** is the Recruiters group and staff status (the admin). It follows the
  claim: granted when the claim maps to ``recruiter``, taken away at the next sign-in when it
  no longer does (ending the person's other sessions, as every privilege change does).
- **Hiring managers and interviewers** need no group: what they see comes from the
  requisitions and panels they are put on. Their role in the claim is the right to sign in.
- **Superuser is never granted**: no claim value maps to it, and a superuser's account is a
  local break-glass account that signs in with its password only, never through the
  provider (whoever controls the provider's directory cannot reach it).
- **Time zone**: a valid IANA ``zoneinfo`` claim becomes the person's time zone.

``LOCAL_PASSWORD_LOGIN = False`` turns password sign-in off for everyone but superusers
(``PasswordLoginGate``). Sign-out ends the Loopwise session and, after a provider sign-in,
sends the browser to the provider's ``end_session_endpoint`` when it advertises one.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from joserfc.errors import JoseError
from requests import RequestException

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP

log = logging.getLogger(__name__)

BACKEND = "signin.oidc.OIDCBackend"
ROLES = ("recruiter", "hiring_manager", "interviewer")
ID_TOKEN = "signin.oidc.id_token"  # kept in the session for the provider's sign-out
NEXT = "signin.oidc.next"
METADATA_SECONDS = 3600  # the provider's discovery document is read again after an hour
TIMEOUT_SECONDS = 10


def configured() -> bool:
    return bool(
        settings.OIDC_RP_CLIENT_ID
        and settings.OIDC_RP_CLIENT_SECRET
        and (settings.OIDC_OP_DISCOVERY_URL or settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    )


def provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


@lru_cache(maxsize=4)
def _client(config: tuple[Any, ...], epoch: int) -> DjangoOAuth2App:
    """One Authlib client per configuration (and per hour, so a rotated discovery document
    and signing keys are picked up)."""
    client_id, secret, discovery, scopes, endpoints = config
    metadata = {name: url for name, url in endpoints if url}
    registry = OAuth()
    registry.register(
        "idp",
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=discovery or None,
        client_kwargs={
            "scope": scopes,
            "code_challenge_method": "S256",
            "default_timeout": TIMEOUT_SECONDS,
        },
        **metadata,
    )
    client: DjangoOAuth2App = registry.create_client("idp")
    return client


def client() -> DjangoOAuth2App:
    if not configured():
        raise Http404("Single sign-on is not configured.")
    endpoints = (
        ("authorize_url", settings.OIDC_OP_AUTHORIZATION_ENDPOINT),
        ("access_token_url", settings.OIDC_OP_TOKEN_ENDPOINT),
        ("userinfo_endpoint", settings.OIDC_OP_USER_ENDPOINT),
        ("jwks_uri", settings.OIDC_OP_JWKS_ENDPOINT),
        ("end_session_endpoint", settings.OIDC_OP_LOGOUT_ENDPOINT),
        ("issuer", settings.OIDC_OP_ISSUER),
    )
    config = (
        settings.OIDC_RP_CLIENT_ID,
        settings.OIDC_RP_CLIENT_SECRET,
        settings.OIDC_OP_DISCOVERY_URL,
        settings.OIDC_RP_SCOPES,
        endpoints,
    )
    return _client(config, int(time.time() // METADATA_SECONDS))


def _metadata(idp: DjangoOAuth2App) -> dict[str, Any]:
    metadata: dict[str, Any] = idp.load_server_metadata()
    return metadata


# --- What the claims decide ------------------------------------------------------------------


class Refused(Exception):
    """Why a person the provider signed in may not use Loopwise (shown to them)."""


def roles_of(claims: dict[str, Any]) -> set[str]:
    """The Loopwise roles the claims map to (never superuser: ``OIDC_ROLE_MAP`` cannot name
    it, see the settings)."""
    value = claims.get(settings.OIDC_ROLE_CLAIM)
    values: Iterable[Any] = [value] if isinstance(value, str) else value or []
    mapping: dict[str, str] = settings.OIDC_ROLE_MAP
    return {mapping[v] for v in values if isinstance(v, str) and mapping.get(v) in ROLES}


def _email(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Refused(f"{provider_name()} did not tell Loopwise your e-mail address.")
    if claims.get("email_verified") is False:
        raise Refused(f"{provider_name()} has not verified your e-mail address {email}.")
    domain = email.rsplit("@", 1)[1].lower()
    allowed = [d.lower().lstrip("@") for d in settings.OIDC_ALLOWED_EMAIL_DOMAINS]
    if allowed and domain not in allowed:
        raise Refused(
            f"Your e-mail address {email} is not in a domain this Loopwise accepts "
            f"({', '.join(allowed)}). Sign in with your company account."
        )
    return email


def _free_username(email: str) -> str:
    username, n = email.lower()[:150], 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{email.lower()[:140]}-{n}"
    return username


@transaction.atomic
def user_for_claims(claims: dict[str, Any]) -> User:
    """The person these claims describe, created or brought up to date; ``Refused`` if they
    may not sign in."""
    email = _email(claims)
    roles = roles_of(claims)
    if not roles:
        raise Refused(
            f"You signed in to {provider_name()} as {email}, but your account there gives "
            "you no role in Loopwise. Ask your administrator to add you to a Loopwise group."
        )
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is None:
        user = User(username=_free_username(email), email=email)
        user.set_unusable_password()  # signs in through the provider only
    elif user.is_superuser:
        raise Refused(
            "This is an administrator's account: it signs in with its password, never "
            f"through {provider_name()}."
        )
    elif not user.is_active:
        raise Refused("Your Loopwise account is deactivated. Ask your administrator.")
    if isinstance(claims.get("given_name"), str) or isinstance(claims.get("family_name"), str):
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
    elif isinstance(claims.get("name"), str) and claims["name"].strip():
        first, _, last = claims["name"].strip().partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
    zone = claims.get("zoneinfo")
    if isinstance(zone, str) and zone in zoneinfo.available_timezones():
        user.time_zone = zone
    recruiter = "recruiter" in roles
    user.is_staff = recruiter  # the admin is the recruiters' (superusers never come here)
    user.save()
    group = Group.objects.get_or_create(name=RECRUITERS_GROUP)[0]
    member = user.groups.filter(pk=group.pk).exists()
    if recruiter and not member:
        user.groups.add(group)
    elif not recruiter and member:
        user.groups.remove(group)
    return user


class OIDCBackend(BaseBackend):
    """The backend a provider sign-in is recorded with (the session's ``BACKEND_SESSION_KEY``):
    it authenticates no credentials itself (``callback`` decides who signed in) and brings
    back the person of a session on each request, while they are active."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        return None

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


class PasswordLoginGate:
    """With ``LOCAL_PASSWORD_LOGIN`` off, refuses a password sign-in before any password is
    checked, unless the username is a superuser's (the break-glass accounts). Placed before
    Django's ModelBackend, so that backend still checks the superusers' passwords.

    Not a ``BaseBackend``: it has no ``get_user``, so it never becomes a session's backend
    (``force_login`` and ``login`` pick the first backend that has one)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **credentials: Any,
    ) -> None:
        if settings.LOCAL_PASSWORD_LOGIN or password is None or username is None:
            return None  # password sign-in is on, or these are not password credentials
        if User._default_manager.filter(username=username, is_superuser=True).exists():
            return None
        raise PermissionDenied("Password sign-in is off: sign in with the identity provider.")


# --- Pages ------------------------------------------------------------------------------------


def _refused(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    return render(
        request,
        "signin/oidc_refused.html",
        {"reason": reason, "provider_name": provider_name()},
        status=status,
    )


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the provider's sign-in page."""
    idp = client()
    wanted = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[NEXT] = wanted
    else:
        request.session.pop(NEXT, None)
    try:
        response: HttpResponse = idp.authorize_redirect(
            request, request.build_absolute_uri(reverse("oidc_callback"))
        )
    except (RequestException, OAuthError, ValueError) as error:
        log.warning("The identity provider's configuration could not be read: %s", error)
        return _refused(
            request, f"{provider_name()} cannot be reached just now: try again shortly.", 502
        )
    return response


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back: the code is exchanged, the ID token
    checked, and the person signed in, or told why not."""
    idp = client()
    if "error" in request.GET:
        detail = request.GET.get("error_description") or request.GET["error"]
        return _refused(request, f"{provider_name()} did not sign you in: {detail}.")
    try:
        token = idp.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if _metadata(idp).get("userinfo_endpoint"):
            extra = dict(idp.userinfo(token=token))
            if extra.get("sub") == claims.get("sub"):  # OIDC Core 5.3.2
                claims.update(extra)
    except OAuthError as error:
        # A stale or replayed sign-in (its state is gone from the session), a bad ID token.
        return _refused(request, f"The sign-in with {provider_name()} failed ({error.error}).", 400)
    except JoseError as error:
        # The ID token did not check out: another issuer or audience, a bad signature, expired.
        log.warning("An ID token from the identity provider was refused: %s", error)
        reason = f"The sign-in with {provider_name()} failed (its ID token: {error.error})."
        return _refused(request, reason, 400)
    except RequestException as error:
        log.warning("The identity provider did not answer: %s", error)
        return _refused(
            request, f"{provider_name()} cannot be reached just now: try again shortly.", 502
        )
    try:
        try:
            user = user_for_claims(claims)
        except IntegrityError:
            # Two first sign-ins of one person at once: the other created the account.
            user = user_for_claims(claims)
    except Refused as refusal:
        return _refused(request, str(refusal))
    wanted = request.session.pop(NEXT, "")
    auth.login(request, user, backend=BACKEND)  # a new session id
    if token.get("id_token"):
        request.session[ID_TOKEN] = token["id_token"]
    return redirect(wanted or settings.LOGIN_REDIRECT_URL)


class LogoutView(auth_views.LogoutView):
    """Django's sign-out (POST), then, for a provider sign-in, the provider's own sign-out
    (RP-initiated logout) when it advertises an ``end_session_endpoint``, which sends the
    browser back to Loopwise's sign-in page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        via_provider = request.session.get(BACKEND_SESSION_KEY) == BACKEND
        id_token = request.session.get(ID_TOKEN)
        response: HttpResponse = super().post(request, *args, **kwargs)
        if not (via_provider and configured()):
            return response
        try:
            end_session = _metadata(client()).get("end_session_endpoint")
        except (RequestException, OAuthError, ValueError):
            end_session = None  # signed out of Loopwise all the same
        if not end_session:
            return response
        query = {
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
        if id_token:
            query["id_token_hint"] = id_token
        separator = "&" if "?" in end_session else "?"
        # A page, not a redirect: the Content-Security-Policy's form-action 'self' (on the
        # page whose form signed out) also covers the redirects that follow the form, so the
        # provider is reached by a new navigation (a refresh, or the link).
        return render(
            request,
            "signin/oidc_signed_out.html",
            {
                "end_session_url": f"{end_session}{separator}{urlencode(query)}",
                "provider_name": provider_name(),
            },
        )
