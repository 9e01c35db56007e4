"""Magic links in e-mails: one interview's kit and scorecard, without a password.

A link carries a django-sesame token scoped to one interview (``interview:<pk>``), so it
cannot open anything else and expires ``SESAME_MAX_AGE`` (``MAGIC_LINK_MAX_AGE_DAYS``) after
it was issued. Opening it does not sign the person in: the landing view records a *grant* in
the session, bound to the user and their password hash, for that interview only, and ending
when the link itself expires (opening a link on its last day gives a day, not another full
period). Every other page still needs a normal sign-in.
"""

from __future__ import annotations

import base64
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from sesame import packers, tokens_v2
from sesame.utils import get_query_string

from hiring.models import Interview, User

GRANTS_SESSION_KEY = "interview_grants"
GRANT_GRACE_SECONDS = 24 * 3600


def scope_for(interview_id: int) -> str:
    return f"interview:{interview_id}"


def magic_link_url(*, interview: Interview, interviewer: User) -> str:
    """The absolute link to put in an e-mail to ``interviewer`` about ``interview``."""
    path = reverse("scorecards:magic_link", args=[interview.pk])
    query = get_query_string(interviewer, scope=scope_for(interview.pk))
    return f"{settings.SITE_URL}{path}{query}"


def link_valid_until(request: HttpRequest) -> float:
    """When the link this request came in through stops working, in Unix seconds: the time
    it was issued plus ``SESAME_MAX_AGE``. Call it once sesame has accepted the token.

    django-sesame checks a token's age but does not say when it was issued, so the age is
    read from the token with sesame's own v2 parser (the only format ``magic_link_url``
    issues; the tests pin the boundary). A token it cannot read grants nothing."""
    token = request.GET.get(settings.SESAME_TOKEN_NAME, "").encode()
    try:
        data = base64.urlsafe_b64decode(token + b"=" * (-len(token) % 4))
        _, timestamp_and_signature = packers.packer.unpack_pk(data)
        age, _ = tokens_v2.unpack_timestamp(timestamp_and_signature)
    except Exception:  # any malformed token: sesame would have refused it anyway
        return 0.0
    if age is None:  # SESAME_MAX_AGE unset: tokens carry no time (never so here)
        return 0.0
    return time.time() - age + float(settings.SESAME_MAX_AGE)


def grant_interview(session: SessionBase, *, user: User, interview_id: int, until: float) -> None:
    """Let this browser session open ``interview_id``'s kit and scorecard as ``user`` until
    ``until`` (Unix seconds: the link's own expiry, see ``link_valid_until``).

    A grant for another person is replaced, never merged; the session key is cycled so a
    planted session id cannot ride on the grant (session fixation)."""
    grant = session.get(GRANTS_SESSION_KEY) or {}
    auth_hash = user.get_session_auth_hash()
    same_person = grant.get("user_id") == user.pk and constant_time_compare(
        grant.get("auth_hash", ""), auth_hash
    )
    ends = {int(pk): end for pk, end in grant.get("until", {}).items()} if same_person else {}
    # An older link opened after a newer one does not cut the newer one's time short.
    ends[interview_id] = max(until, ends.get(interview_id, 0.0))
    session.cycle_key()
    session[GRANTS_SESSION_KEY] = {
        "user_id": user.pk,
        "auth_hash": auth_hash,
        "until": {str(pk): end for pk, end in ends.items()},
    }
    if SESSION_KEY not in session:
        # A session that holds only grants lives as long as its latest grant, and a day more
        # to say "your link has expired" (the sign-in lifetimes, SESSION_MAX_HOURS and
        # SESSION_IDLE_MINUTES, are for signed-in sessions: the e-mail link itself can open a
        # grant again, so ending this one sooner would protect nothing).
        session.set_expiry(int(max(ends.values()) - time.time()) + GRANT_GRACE_SECONDS)


def grant_expired(session: SessionBase, *, interview_id: int) -> bool:
    """Whether this session held a grant for ``interview_id`` that has run out with its
    link (so the page can say so, rather than just asking for a sign-in)."""
    grant = session.get(GRANTS_SESSION_KEY) or {}
    until = grant.get("until", {}).get(str(interview_id))
    return until is not None and time.time() >= until


def granted_user(session: SessionBase, *, interview_id: int) -> User | None:
    """The person this session holds a live grant for ``interview_id`` for, else None.

    A grant dies with the session, when its link expires, when the person is deactivated,
    and when their password changes (as their sessions do). Grants stored before grants
    ended with their link (an ``interviews`` map of opening times) count as none."""
    grant = session.get(GRANTS_SESSION_KEY)
    if not grant:
        return None
    until = grant.get("until", {}).get(str(interview_id))
    if until is None or time.time() >= until:
        return None
    user = User.objects.filter(pk=grant.get("user_id"), is_active=True).first()
    if user is None or not constant_time_compare(
        grant.get("auth_hash", ""), user.get_session_auth_hash()
    ):
        return None
    return user
