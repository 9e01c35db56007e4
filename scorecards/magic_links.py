"""Magic links in e-mails: one interview's kit and scorecard, without a password.

A link carries a django-sesame token scoped to one interview (``interview:<pk>``), so it
cannot open anything else and expires after ``SESAME_MAX_AGE`` (``MAGIC_LINK_MAX_AGE_DAYS``).
Opening it does not sign the person in: the landing view records a *grant* in the session,
bound to the user and their password hash, for that interview only. Every other page still
needs a normal sign-in.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from sesame.utils import get_query_string

from hiring.models import Interview, User

GRANTS_SESSION_KEY = "interview_grants"


def scope_for(interview_id: int) -> str:
    return f"interview:{interview_id}"


def magic_link_url(*, interview: Interview, interviewer: User) -> str:
    """The absolute link to put in an e-mail to ``interviewer`` about ``interview``."""
    path = reverse("scorecards:magic_link", args=[interview.pk])
    query = get_query_string(interviewer, scope=scope_for(interview.pk))
    return f"{settings.SITE_URL}{path}{query}"


def _grant_max_age() -> int:
    return int(settings.SESAME_MAX_AGE or 7 * 24 * 3600)


def grant_interview(session: SessionBase, *, user: User, interview_id: int) -> None:
    """Let this browser session open ``interview_id``'s kit and scorecard as ``user``.

    A grant for another person is replaced, never merged; the session key is cycled so a
    planted session id cannot ride on the grant (session fixation)."""
    grant = session.get(GRANTS_SESSION_KEY) or {}
    auth_hash = user.get_session_auth_hash()
    same_person = grant.get("user_id") == user.pk and constant_time_compare(
        grant.get("auth_hash", ""), auth_hash
    )
    interviews = (
        {int(pk): at for pk, at in grant.get("interviews", {}).items()} if same_person else {}
    )
    interviews[interview_id] = int(time.time())
    session.cycle_key()
    session[GRANTS_SESSION_KEY] = {
        "user_id": user.pk,
        "auth_hash": auth_hash,
        "interviews": {str(pk): at for pk, at in interviews.items()},
    }


def granted_user(session: SessionBase, *, interview_id: int) -> User | None:
    """The person this session holds a live grant for ``interview_id`` for, else None.

    A grant dies with the session, after ``SESAME_MAX_AGE``, when the person is
    deactivated, and when their password changes (as their sessions do)."""
    grant = session.get(GRANTS_SESSION_KEY)
    if not grant:
        return None
    granted_at = grant.get("interviews", {}).get(str(interview_id))
    if granted_at is None or time.time() - granted_at > _grant_max_age():
        return None
    user = User.objects.filter(pk=grant.get("user_id"), is_active=True).first()
    if user is None or not constant_time_compare(
        grant.get("auth_hash", ""), user.get_session_auth_hash()
    ):
        return None
    return user
