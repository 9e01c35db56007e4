"""API tokens for tests: a persona's API client signs in with a real hashed token, as another
tool would (``signin.tokens``)."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.test import APIClient

from hiring.models import User
from signin.models import ApiToken
from signin.tokens import token_create


def bearer(
    user: User, *, scope: str = ApiToken.Scope.WRITE, days: int | None = None, used: bool = False
) -> str:
    """A new token of ``user``'s, as the secret its owner was shown. ``used``: as if it had
    just been used, so the next request does not record its use (at most once a minute)."""
    new = token_create(owner=user, name="tests", scope=scope, days=days)
    if used:
        ApiToken.objects.filter(pk=new.token.pk).update(last_used_at=timezone.now())
    return new.secret


def api_client(user: User, *, scope: str = ApiToken.Scope.WRITE, used: bool = False) -> APIClient:
    """An API client that sends ``user``'s token as ``Authorization: Bearer``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer(user, scope=scope, used=used)}")
    return client
