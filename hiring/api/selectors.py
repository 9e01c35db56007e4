"""Querysets for the REST API: what ``hiring.access`` lets the caller see, with what the
serializers need. A list holds only what the caller may see; anything else answers 404."""

from __future__ import annotations

from django.db.models import QuerySet

from hiring import access
from hiring.models import Candidate, Decision, Interview, Loop, Requisition, RoleProfile, User


def requisitions_visible_to(*, user: User) -> QuerySet[Requisition]:
    """Own requisitions (recruiter, hiring manager) and those whose loops ``user`` sits on."""
    return access.visible(user, Requisition).select_related("profile", "hiring_manager")


def role_profiles_visible_to(*, user: User) -> QuerySet[RoleProfile]:
    """The rubric of every requisition ``user`` may see (a superuser: all)."""
    return access.visible(user, RoleProfile)


def loops_visible_to(*, user: User) -> QuerySet[Loop]:
    """Loops of own requisitions, and loops ``user`` interviews on. ``is_staff_view`` says
    whether the caller reads it as a recruiter / hiring manager (full candidate) or only as
    a panel member (kit fields)."""
    return (
        access.visible(user, Loop)
        .select_related("candidate", "requisition")
        .annotate(is_staff_view=access.is_staff_view(user))
    )


def candidates_visible_to(*, user: User) -> QuerySet[Candidate]:
    """Candidates of own requisitions (all fields) and candidates ``user`` interviews (kit
    fields only: ``is_staff_view`` is False)."""
    return access.visible(user, Candidate).annotate(
        is_staff_view=access.candidate_is_staff_view(user)
    )


def interviews_visible_to(*, user: User) -> QuerySet[Interview]:
    """Interviews of own requisitions' loops, and the interviews ``user`` sits on."""
    return (
        access.visible(user, Interview)
        .select_related("loop")
        .prefetch_related("interviewers", "focus_dimensions")
    )


def decisions_visible_to(*, user: User) -> QuerySet[Decision]:
    """Recruiters and hiring managers of the requisition who do not owe a scorecard on the
    loop; interviewers never (DESIGN §6)."""
    return (
        access.visible(user, Decision)
        .select_related("debrief_outcome")
        .prefetch_related("debrief_outcome__attendees")
    )
