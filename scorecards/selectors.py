"""Reads for interviewers, with the access rules of DESIGN §6 in one place."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from hiring.models import Interview, User

from .models import Scorecard


def _submitted(user: User) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(
        interview=OuterRef("pk"), interviewer=user, status=Scorecard.Status.SUBMITTED
    )


def _interviews_of(user: User) -> QuerySet[Interview]:
    return Interview.objects.filter(interviewers=user).select_related(
        "loop__candidate", "loop__requisition", "case_exercise"
    )


def upcoming_interviews(*, user: User, now: datetime | None = None) -> QuerySet[Interview]:
    now = now or timezone.now()
    return (
        _interviews_of(user)
        .filter(ends_at__gt=now, status=Interview.Status.SCHEDULED)
        .order_by("starts_at")
    )


def owed_scorecards(*, user: User, now: datetime | None = None) -> QuerySet[Interview]:
    """Interviews that are over and still need this interviewer's scorecard, oldest first."""
    now = now or timezone.now()
    return (
        _interviews_of(user)
        .filter(ends_at__lte=now)
        .exclude(Exists(_submitted(user)))
        .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
        .exclude(loop__status="withdrawn")
        .order_by("ends_at")
    )
