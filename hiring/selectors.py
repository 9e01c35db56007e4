"""Reads for the hiring pages. Who may see what is decided by ``hiring.access`` alone."""

from __future__ import annotations

from dataclasses import dataclass

from hiring import access
from hiring.models import User


@dataclass(frozen=True)
class Roles:
    is_admin: bool
    is_recruiter: bool
    is_hiring_manager: bool
    is_interviewer: bool


def roles_for_user(*, user: User) -> Roles:
    return Roles(
        is_admin=user.is_superuser,
        is_recruiter=access.requisitions_recruited(user).exists(),
        is_hiring_manager=access.requisitions_managed(user).exists(),
        is_interviewer=access.loops_on_panel(user).exists(),
    )
