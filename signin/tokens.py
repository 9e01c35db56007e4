"""API tokens (issue 16, item 4): created and shown once, checked, revoked.

A token reads ``lw_<prefix>_<secret>``: eight hex characters that find the row, then 256
random bits. The row keeps the prefix and the SHA-256 digest of the whole token; a plain
hash is enough because the secret is random (nothing to guess from a dictionary), and a
keyed hash would tie every token to ``SECRET_KEY``. Digests are compared in constant time.

Tokens migrated from DRF's stock tokens (``0002_drf_tokens``) are 40 hex characters: their
first eight are their prefix, and they are checked the same way until they expire.

``last_used_at`` is credential bookkeeping, not data anyone reads as part of a request: it
is written at most once per ``API_TOKEN_LAST_USED_SECONDS`` per token, by one conditional
``UPDATE`` of that row, so a burst of GETs costs one write a minute and an owner still
sees when a read-only integration last ran (recording writes only would show every
read-only token as never used)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from hiring.errors import Invalid
from hiring.models import User
from signin.models import ApiToken

PREFIX_LENGTH = 8
MARK = "lw_"


class TokenRefused(Exception):
    """Why a presented token does not authenticate: unknown, expired or revoked."""


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is the only copy of it there will ever be."""

    token: ApiToken
    secret: str


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def prefix_of(secret: str) -> str:
    """The lookup prefix of a presented token (ours, or a migrated DRF key)."""
    if secret.startswith(MARK):
        return secret[len(MARK) : len(MARK) + PREFIX_LENGTH]
    return secret[:PREFIX_LENGTH]


def expiry_for(days: int | None, *, now: datetime) -> datetime:
    """``days`` from now (the default when None); more than ``API_TOKEN_MAX_DAYS`` or fewer
    than one is refused."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if days < 1 or days > settings.API_TOKEN_MAX_DAYS:
        raise Invalid({"days": [f"A token lasts from 1 to {settings.API_TOKEN_MAX_DAYS} days."]})
    return now + timedelta(days=days)


@transaction.atomic
def token_create(
    *, owner: User, name: str, scope: str = ApiToken.Scope.READ, days: int | None = None
) -> NewToken:
    """A new token for ``owner``; the returned secret is shown once and never stored."""
    name = name.strip()
    if not name:
        raise Invalid({"name": ["Name the token after what will use it."]})
    if scope not in ApiToken.Scope.values:
        raise Invalid({"scope": [f"The scope is one of {', '.join(ApiToken.Scope.values)}."]})
    if not owner.is_active:
        raise Invalid("An inactive account cannot hold API tokens.")
    now = timezone.now()
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = f"{MARK}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        owner=owner,
        name=name[:100],
        prefix=prefix,
        digest=digest_of(secret),
        scope=scope,
        created_at=now,
        expires_at=expiry_for(days, now=now),
    )
    return NewToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken) -> bool:
    """Revoke ``token`` (kept, marked revoked, so its owner sees what happened to it).
    False when it was already revoked."""
    now = timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if changed:
        token.revoked_at = now
    return bool(changed)


def tokens_revoke_all(*, owner: User) -> int:
    """Revoke every live token of ``owner``; how many."""
    return ApiToken.objects.filter(owner=owner, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def token_authenticate(secret: str) -> ApiToken:
    """The live token ``secret`` is, with its owner, or ``TokenRefused`` saying why not."""
    prefix = prefix_of(secret)
    presented = digest_of(secret)
    match = None
    # Every row with this prefix is compared (a migrated DRF key may share one), each in
    # constant time, so the answer's timing says nothing about how much of the digest matched.
    for candidate in ApiToken.objects.filter(prefix=prefix).select_related("owner"):
        if hmac.compare_digest(candidate.digest, presented):
            match = candidate
    if match is None:
        raise TokenRefused("Unknown API token.")
    now = timezone.now()
    # A deactivated account's tokens are revoked too (signin.sessions): say the cause.
    if not match.owner.is_active:
        raise TokenRefused("This API token's account is deactivated.")
    if match.revoked_at is not None:
        raise TokenRefused("This API token was revoked; create a new one.")
    if match.expires_at <= now:
        raise TokenRefused(
            f"This API token expired on {match.expires_at:%Y-%m-%d}; create a new one."
        )
    _touch(match, now)
    return match


def _touch(token: ApiToken, now: datetime) -> None:
    """Record the use, at most once per ``API_TOKEN_LAST_USED_SECONDS`` (see the module)."""
    cutoff = now - timedelta(seconds=settings.API_TOKEN_LAST_USED_SECONDS)
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """``user``'s own tokens, newest first (the self-service page)."""
    return ApiToken.objects.filter(owner=user).order_by("-created_at", "-pk")
