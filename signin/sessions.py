"""Session lifetimes (issue 16, item 5).

- **Idle timeout**: a session unused for ``SESSION_IDLE_MINUTES`` is signed out at its next
  request. The last-seen time is stored in the session at most once a minute, so a page
  that only reads does not write the session on every view.
- **Absolute lifetime**: ``SESSION_MAX_HOURS`` after signing in, the session ends however
  busy it is (the cookie's own age is the same, ``SESSION_COOKIE_AGE``).
- **Sign out everywhere** ends every session the person holds, this one included. It
  revokes no API token (those are listed beside it, each with its Revoke button).
- **Privilege changes** end the person's sessions: a change to superuser, staff or active,
  to their groups or to their permissions. Their next sign-in gets a new session id, so a
  session id someone learned before the change never carries the new rights. Signing in
  already cycles the id (Django's ``login``), and a password change ends every other
  session (Django's session hash) while ``update_session_auth_hash`` gives this one a new id.

Whose session is whose is recorded in ``UserSession`` at sign-in, so ending them works with
any session engine, without reading every session in the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from hiring.models import User
from signin.models import UserSession
from signin.tokens import tokens_revoke_all

STARTED = "signin.started"  # when the person signed in (epoch seconds)
SEEN = "signin.seen"  # their latest request, to the minute
SEEN_RESOLUTION = 60  # seconds: how stale SEEN may be before a request rewrites it
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "is_active")
# The request being served, so ending the sessions of the person making it (an administrator
# changing their own groups) ends this one cleanly instead of deleting it under the request.
_serving: ContextVar[HttpRequest | None] = ContextVar("signin_serving", default=None)


def now() -> float:
    """The clock sessions are measured with (``time.time``, which time-machine moves)."""
    return time.time()


def expired(session: SessionBase, moment: float) -> str | None:
    """Why ``session`` has ended at ``moment`` (idle or too old), or None."""
    started = session.get(STARTED)
    seen = session.get(SEEN)
    if started is None or seen is None:
        return None  # signed in before lifetimes were kept: stamped now
    if moment - started >= settings.SESSION_MAX_HOURS * 3600:
        return "absolute"
    if moment - seen >= settings.SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


class SessionLifetimeMiddleware:
    """Signs out a session that was idle too long or is older than its lifetime, before the
    view runs: the view then sees an anonymous visitor (a page sends them to sign in, the
    API answers 401/403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        before = session.session_key
        if SESSION_KEY in session:
            moment = now()
            if expired(session, moment):
                logout(request)
            else:
                if STARTED not in session:
                    session[STARTED] = moment
                if moment - session.get(SEEN, 0) >= SEEN_RESOLUTION:
                    session[SEEN] = moment
        serving = _serving.set(request)
        try:
            response = self.get_response(request)
        finally:
            _serving.reset(serving)
        _follow_new_id(request, before)
        return response


def _follow_new_id(request: HttpRequest, before: str | None) -> None:
    """A signed-in session whose id changed during the request (a password change cycles
    it: ``update_session_auth_hash``) is recorded under its new id, so "sign out
    everywhere" still finds it."""
    after = request.session.session_key
    if before is None or after is None or after == before:
        return
    if SESSION_KEY not in request.session or not request.user.is_authenticated:
        return
    UserSession.objects.filter(session_key=before).delete()
    UserSession.objects.get_or_create(session_key=after, defaults={"user_id": request.user.pk})


def _store() -> type[SessionBase]:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def sessions_end(*, user: Any, keep: str | None = None) -> int:
    """End every recorded session of ``user`` except ``keep`` (a session key); how many."""
    store = _store()
    rows = UserSession.objects.filter(user_id=user.pk)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    request = _serving.get()
    for key in keys:
        if request is not None and request.session.session_key == key:
            request.session.flush()  # this request's own: emptied, under a new id
        else:
            store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def sign_out_everywhere(request: HttpRequest) -> int:
    """End every session of the signed-in person, this one last; how many there were."""
    ended = sessions_end(user=request.user, keep=request.session.session_key)
    logout(request)
    return ended + 1


@receiver(user_logged_in)
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    moment = now()
    request.session[STARTED] = moment
    request.session[SEEN] = moment
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user_id": user.pk}
    )


@receiver(user_logged_out)
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


@receiver(pre_save, sender=User)
def _remember_privileges(sender: Any, instance: User, update_fields: Any = None, **kw: Any) -> None:
    if instance.pk is None or (update_fields and not set(update_fields) & set(PRIVILEGE_FIELDS)):
        return  # a new account, or a save that touches no privilege (last_login, say)
    instance._privileges_before = (  # type: ignore[attr-defined]
        User.objects.filter(pk=instance.pk).values_list(*PRIVILEGE_FIELDS).first()
    )


@receiver(post_save, sender=User)
def _privileges_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_privileges_before", None)
    instance._privileges_before = None  # type: ignore[attr-defined]
    if created or before is None:
        return
    if tuple(getattr(instance, name) for name in PRIVILEGE_FIELDS) != before:
        sessions_end(user=instance)
        was_active = before[PRIVILEGE_FIELDS.index("is_active")]
        if was_active and not instance.is_active:
            # Deactivated (the admin's checkbox, SCIM): their API tokens are revoked, not only
            # refused while inactive, so reactivating the account brings none of them back.
            tokens_revoke_all(owner=instance)


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def _memberships_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not reverse:  # user.groups.add(...), user.user_permissions.remove(...), ...
        if action == "post_clear" or (action in ("post_add", "post_remove") and pk_set):
            sessions_end(user=instance)
        return
    # group.user_set.add(...): ``pk_set`` holds the users; a clear names none, so its members
    # are read before it.
    if action == "pre_clear":
        user_ids = list(instance.user_set.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        user_ids = list(pk_set or ())
    else:
        return
    for user_id in user_ids:
        sessions_end(user=User(pk=user_id))
