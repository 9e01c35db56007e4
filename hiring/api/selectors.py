"""Querysets for the REST API, built on ``hiring.selectors`` so DESIGN §6 stays in one place:
a list holds only what the caller may see, and anything else answers 404."""

from __future__ import annotations

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value

from hiring.models import Candidate, Decision, Interview, Loop, Requisition, RoleProfile, User
from hiring.selectors import loops_visible_to_staff


def _staff_requisitions(user: User) -> QuerySet[Requisition]:
    if user.is_superuser:
        return Requisition.objects.all()
    return Requisition.objects.filter(Q(recruiters=user) | Q(hiring_manager=user))


def _panel_loops(user: User) -> QuerySet[Loop]:
    return Loop.objects.filter(interviews__interviewers=user)


def requisitions_visible_to(*, user: User) -> QuerySet[Requisition]:
    """Own requisitions (recruiter, hiring manager) and those whose loops ``user`` sits on."""
    ids = _staff_requisitions(user).values("pk").union(_panel_loops(user).values("requisition_id"))
    return Requisition.objects.filter(pk__in=ids).select_related("profile", "hiring_manager")


def role_profiles_visible_to(*, user: User) -> QuerySet[RoleProfile]:
    """The rubric of every requisition ``user`` may see (a superuser: all)."""
    if user.is_superuser:
        return RoleProfile.objects.all()
    return RoleProfile.objects.filter(
        pk__in=requisitions_visible_to(user=user).values("profile_id")
    )


def loops_visible_to(*, user: User) -> QuerySet[Loop]:
    """Loops of own requisitions, and loops ``user`` interviews on. ``is_staff_view`` says
    whether the caller reads it as a recruiter / hiring manager (full candidate) or only as
    a panel member (kit fields)."""
    ids = loops_visible_to_staff(user=user).values("pk").union(_panel_loops(user).values("pk"))
    return (
        Loop.objects.filter(pk__in=ids)
        .select_related("candidate", "requisition")
        .annotate(is_staff_view=_staff_view(user, "pk"))
    )


def _staff_view(user: User, loop_ref: str) -> Exists | Value:
    if user.is_superuser:
        return Value(True, output_field=BooleanField())
    return Exists(loops_visible_to_staff(user=user).filter(pk=OuterRef(loop_ref)))


def candidates_visible_to(*, user: User) -> QuerySet[Candidate]:
    """Candidates of own requisitions (all fields) and candidates ``user`` interviews (kit
    fields only: ``is_staff_view`` is False)."""
    if user.is_superuser:
        return Candidate.objects.annotate(is_staff_view=Value(True, output_field=BooleanField()))
    staff = loops_visible_to_staff(user=user).values("candidate_id")
    panel = _panel_loops(user).values("candidate_id")
    return Candidate.objects.filter(Q(pk__in=staff) | Q(pk__in=panel)).annotate(
        is_staff_view=Exists(loops_visible_to_staff(user=user).filter(candidate_id=OuterRef("pk")))
    )


def interviews_visible_to(*, user: User) -> QuerySet[Interview]:
    """Interviews of own requisitions' loops, and the interviews ``user`` sits on."""
    staff = loops_visible_to_staff(user=user).values("pk")
    return (
        Interview.objects.filter(
            Q(loop__in=staff) | Q(pk__in=Interview.objects.filter(interviewers=user).values("pk"))
        )
        .select_related("loop")
        .prefetch_related("interviewers", "focus_dimensions")
    )


def decisions_visible_to(*, user: User) -> QuerySet[Decision]:
    """Recruiters and hiring managers of the requisition; interviewers never (DESIGN §6)."""
    return Decision.objects.filter(loop__in=loops_visible_to_staff(user=user).values("pk"))
