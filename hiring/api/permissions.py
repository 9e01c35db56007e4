"""The API's authentication requirement. Access to objects is not decided here but by the
querysets of ``hiring.api.selectors`` (DESIGN §6: one access rule, one place)."""

from __future__ import annotations

from typing import cast

from rest_framework.request import Request

from hiring.models import User


def request_user(request: Request) -> User:
    """The signed-in user; every API view requires authentication (``IsAuthenticated``)."""
    return cast(User, request.user)
