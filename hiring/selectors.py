"""Reads, with the access rules of DESIGN §6 in one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Candidate, Loop, Requisition, User


@dataclass(frozen=True)
class Roles:
    is_admin: bool
    is_recruiter: bool
    is_hiring_manager: bool
    is_interviewer: bool


def roles_for_user(*, user: User) -> Roles:
    return Roles(
        is_admin=user.is_superuser,
        is_recruiter=user.recruited_requisitions.exists(),
        is_hiring_manager=user.managed_requisitions.exists(),
        is_interviewer=user.interviews.exists(),
    )


def requisitions_for_recruiter(*, user: User) -> QuerySet[Requisition]:
    if user.is_superuser:
        return Requisition.objects.all()
    return Requisition.objects.filter(recruiters=user)


def candidates_for_recruiter(*, user: User) -> QuerySet[Candidate]:
    """Candidates in a loop of one of the user's requisitions (everyone, for a superuser):
    whose data the user may edit, export or erase."""
    if user.is_superuser:
        return Candidate.objects.all()
    return Candidate.objects.filter(
        Exists(Loop.objects.filter(candidate=OuterRef("pk"), requisition__recruiters=user))
    )


def loops_visible_to_staff(*, user: User) -> QuerySet[Loop]:
    """Loops a recruiter or hiring manager may see: those of their own requisitions."""
    if user.is_superuser:
        return Loop.objects.all()
    return Loop.objects.filter(
        Q(requisition__recruiters=user) | Q(requisition__hiring_manager=user)
    ).distinct()
