"""Querysets for the scorecards API, built on ``scorecards.selectors`` (the blind rule) and
``hiring.selectors`` (own requisitions), so DESIGN §6 stays in one place."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from hiring.models import Interview, Loop, User
from hiring.selectors import loops_visible_to_staff
from scorecards.models import DimensionRating, InterviewerCalibration, Scorecard, ScorecardRevision
from scorecards.selectors import scorecards_visible_to


def api_scorecards_visible_to(*, user: User) -> QuerySet[Scorecard]:
    """What ``scorecards_visible_to`` allows, with revisions prefetched for serialising.
    Another's scorecard carries only submitted revisions; drafts are the author's alone."""
    return (
        scorecards_visible_to(user=user)
        .select_related("interview")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=ScorecardRevision.objects.order_by("number").prefetch_related(
                    Prefetch("ratings", queryset=DimensionRating.objects.order_by("dimension_id")),
                    "signals",
                    "red_flags",
                ),
            )
        )
    )


def loop_get_for_summary(*, user: User, pk: int) -> Loop:
    """A loop whose summary ``user`` may read: recruiters and hiring managers of its
    requisition and superusers; interviewers never (DESIGN §6). Otherwise 404."""
    return get_object_or_404(loops_visible_to_staff(user=user), pk=pk)


def calibrations_visible_to(*, user: User) -> QuerySet[InterviewerCalibration]:
    """Leniency of the interviewers on the loops of ``user``'s own requisitions (a superuser:
    all). A plain interviewer sees none."""
    queryset = InterviewerCalibration.objects.select_related("interviewer", "run")
    if user.is_superuser:
        return queryset
    panels = Interview.objects.filter(
        loop__in=loops_visible_to_staff(user=user).values("pk")
    ).values("interviewers")
    return queryset.filter(Q(interviewer__in=panels))
