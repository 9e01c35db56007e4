"""Two-factor authentication for password sign-ins (issue 16, item 3), on django-otp.

- **Enrolment** (``/account/two-factor/``): an authenticator app (TOTP, RFC 6238) scans a QR
  code or types the secret; a code from it confirms the device, and ten recovery codes are
  shown once. Each recovery code works once (django-otp's static tokens are deleted on use).
- **The second step**: a session that signed in with a password (Django's ``ModelBackend``)
  by someone with a confirmed device reaches nothing but the code page until a code is given.
  Sign-ins through the identity provider (OIDC: it asks for the second factor itself) and
  e-mail links (magic links, one scorecard each) never see it.
- **Required**: ``TWO_FACTOR_REQUIRED_FOR`` names who must enrol before reaching anything
  else, the admin included: ``superusers``, ``recruiters`` (the Recruiters group), or
  ``everyone``. Everyone else may enrol on their account page.
- **Wrong codes** are throttled by django-otp per device: after n wrong codes in a row the next
  is refused unheard for 2^(n-1) seconds (up to a day), whoever sends it, so a stolen
  password cannot be followed by guessing the six digits.
- **Reset**: the person themselves turns it off with a code; a superuser resets someone who
  lost their phone (``two_factor_reset``): their devices are deleted, their sessions end, and
  the reset is kept in that person's admin history and the log.
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from hiring.models import User
from hiring.roles import RECRUITERS_GROUP
from signin.sessions import sessions_end

log = logging.getLogger("signin.two_factor")

REQUIRED_CHOICES = ("superusers", "recruiters", "everyone")
RECOVERY_CODES = 10
# Only these sign-ins ask for a second factor: a password typed on /login/ or /admin/login/.
PASSWORD_BACKENDS = ("django.contrib.auth.backends.ModelBackend",)
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
PENDING_KEY = "signin.totp_pending"  # the secret of an authenticator being set up
# Set at a password sign-in that owes a second step (a code, or the enrolment its role
# requires): only such a session costs the gate any query, every other request none.
STEP_KEY = "signin.two_factor_step"


def required_for() -> frozenset[str]:
    """The TWO_FACTOR_REQUIRED_FOR setting, checked."""
    chosen = frozenset(settings.TWO_FACTOR_REQUIRED_FOR)
    unknown = chosen - set(REQUIRED_CHOICES)
    if unknown:
        raise ImproperlyConfigured(
            f"TWO_FACTOR_REQUIRED_FOR names {', '.join(sorted(unknown))}: "
            f"use any of {', '.join(REQUIRED_CHOICES)}, comma-separated, or leave it empty."
        )
    return chosen


def is_required(user: User) -> bool:
    """Must ``user`` enrol before reaching anything (their role, by the setting)?"""
    chosen = required_for()
    if "everyone" in chosen:
        return True
    if "superusers" in chosen and user.is_superuser:
        return True
    return "recruiters" in chosen and user.groups.filter(name=RECRUITERS_GROUP).exists()


def app_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: User) -> bool:
    return app_device(user) is not None


def pending_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The authenticator being set up, not saved until a code confirms it. Its secret is kept
    in the session, so a page reloaded after scanning still accepts the app's codes, and
    nothing half-made is left behind when someone walks away."""
    key = request.session.get(PENDING_KEY)
    if not isinstance(key, str):
        key = request.session[PENDING_KEY] = default_key()
    return TOTPDevice(user=user, key=key, name=APP_DEVICE_NAME, confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code: attributes only, no style
    attribute and no script, so the strict Content-Security-Policy allows it."""
    import segno

    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(scale=5, dark="#111", light="#fff", title="QR code to scan")
    return svg


@dataclass(frozen=True)
class Checked:
    """The outcome of a code: ``device`` accepted it, or it was refused (``locked_until`` set
    while wrong codes have throttled that device)."""

    device: TOTPDevice | StaticDevice | None
    locked_until: datetime | None = None


def _is_recovery_code(code: str) -> bool:
    return not code.isdigit()


def code_check(*, user: User, code: str) -> Checked:
    """Check a six-digit code from the person's authenticator app, or a recovery code (used
    up by this). Wrong ones count towards that device's throttle."""
    code = "".join(code.split()).lower()
    with transaction.atomic():
        if _is_recovery_code(code):
            chosen: TOTPDevice | StaticDevice | None = (
                StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
        else:
            chosen = (
                TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            )
        if chosen is None or not code:
            return Checked(None)
        allowed, why = chosen.verify_is_allowed()
        if not allowed:
            log.warning("Two-factor code refused unheard for %s: throttled", user.get_username())
            return Checked(None, (why or {}).get("locked_until"))
        if chosen.verify_token(code):
            return Checked(chosen)
    log.warning("Wrong two-factor code for %s", user.get_username())
    return Checked(None)


def recovery_codes_create(*, user: User) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); shown once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    log.info("New recovery codes for %s", user.get_username())
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrol_confirm(*, request: HttpRequest, user: User, code: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from it: on success it replaces any
    earlier one, the session counts as verified (under a new id), and the new recovery codes
    come back, to be shown once. None: the code was wrong."""
    device = pending_device(request, user)
    code = "".join(code.split())
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not code.isdigit() or not totp.verify(int(code), device.tolerance):
        log.warning("Wrong two-factor code while %s set it up", user.get_username())
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device.confirmed = True
        device.last_t = totp.t()  # this code cannot sign in again
        device.save()
        codes = recovery_codes_create(user=user)
    del request.session[PENDING_KEY]
    session_verify(request, device)
    log.info("Two-factor enrolled for %s", user.get_username())
    return codes


def session_verify(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    """Mark this session as having passed the second step: a privilege change, so the session
    id changes too (signin.sessions follows it)."""
    otp_login(request, device)
    request.session.pop(STEP_KEY, None)
    request.session.cycle_key()


def two_factor_disable(*, user: User) -> None:
    """The person turns two-factor off (after giving a code)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    log.info("Two-factor turned off by %s", user.get_username())


def two_factor_reset(*, user: User, by: User) -> None:
    """A superuser resets ``user``'s two-factor (a lost phone): devices deleted, sessions
    ended, kept in the user's admin history and the log."""
    if not by.is_superuser:
        raise PermissionError("Only superusers reset someone's two-factor authentication.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[user],
            action_flag=CHANGE,
            change_message="Reset two-factor authentication: must enrol again.",
            single_object=True,
        )
    sessions_end(user=user)
    log.warning("Two-factor reset for %s by %s", user.get_username(), by.get_username())


# --- The gate ---------------------------------------------------------------------------------


def _signed_in_with_password(request: HttpRequest) -> bool:
    return request.session.get(BACKEND_SESSION_KEY) in PASSWORD_BACKENDS


def _owed(user: User) -> str | None:
    if is_enrolled(user):
        return "verify"
    if is_required(user):
        return "enrol"
    return None


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Marks a password sign-in that owes a second step. Anyone whose role comes to require
    it later signs in again anyway: a change of groups or superuser ends their sessions
    (signin.sessions)."""
    if request is None or not hasattr(request, "session"):
        return
    if _signed_in_with_password(request) and _owed(user):
        request.session[STEP_KEY] = True
    else:
        request.session.pop(STEP_KEY, None)


def step_owed(request: HttpRequest) -> None:
    """This session owes its step again (its person just turned two-factor off)."""
    request.session[STEP_KEY] = True


def step_needed(request: HttpRequest) -> str | None:
    """What this request's session still owes: "verify" (a code), "enrol", or None."""
    if STEP_KEY not in request.session:
        return None
    user = request.user
    step = None
    if user.is_authenticated and _signed_in_with_password(request):
        assert isinstance(user, User)
        verified = user.is_verified()  # type: ignore[attr-defined]  # OTPMiddleware's
        step = None if verified else _owed(user)
    if step is None:
        del request.session[STEP_KEY]
    return step


def _open_paths() -> tuple[str, ...]:
    """Addresses a session owing a step may still reach: the step's own pages, signing out or
    in again, the health check and static files."""
    return (
        reverse("two_factor"),
        reverse("two_factor_verify"),
        reverse("logout"),
        reverse("login"),
        "/healthz",
        "/readyz",
        "/" + settings.STATIC_URL.lstrip("/"),
    )


class TwoFactorMiddleware:
    """Sends a password session that owes its second step (or an enrolment its role
    requires) to that page, from every other address, the admin's included; the API answers
    403 in JSON. Must follow django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = step_needed(request)
        *pages, static = _open_paths()
        if step is None or request.path in pages or request.path.startswith(static):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Finish signing in with your second factor, or use an API token."},
                status=403,
            )
        target = reverse("two_factor_verify" if step == "verify" else "two_factor")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
