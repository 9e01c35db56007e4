"""Querysets for the scorecards API, built on ``scorecards.selectors`` (the blind rule) and
``hiring.selectors`` (own requisitions), so DESIGN §6 stays in one place."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from hiring import access
from hiring.models import Loop, User
from scorecards.models import DimensionRating, InterviewerCalibration, Scorecard, ScorecardRevision

# Where the list's prefetches are kept: plain lists (``to_attr``), which the serializers read
# before the related managers. Into a manager, Django clones a queryset per row and relation
# (50 scorecards: ~200 clones, a third of the page's CPU).
REVISIONS = "api_revisions"
RATINGS = "api_ratings"
SIGNALS = "api_signals"
RED_FLAGS = "api_red_flags"


def api_scorecards_visible_to(*, user: User) -> QuerySet[Scorecard]:
    """What ``hiring.access`` shows, with revisions prefetched for serialising.
    Another's scorecard carries only submitted revisions; drafts are the author's alone."""
    return (
        access.visible(user, Scorecard)
        .select_related("interview")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=ScorecardRevision.objects.order_by("number").prefetch_related(
                    Prefetch(
                        "ratings",
                        queryset=DimensionRating.objects.order_by("dimension_id"),
                        to_attr=RATINGS,
                    ),
                    Prefetch("signals", to_attr=SIGNALS),
                    Prefetch("red_flags", to_attr=RED_FLAGS),
                ),
                to_attr=REVISIONS,
            )
        )
    )


def loop_get_for_summary(*, user: User, pk: int) -> Loop:
    """A loop whose summary ``user`` may read: recruiters and hiring managers of its
    requisition and superusers; interviewers never (DESIGN §6). Otherwise 404."""
    return get_object_or_404(access.loops_staffed(user), pk=pk)


def calibrations_visible_to(*, user: User) -> QuerySet[InterviewerCalibration]:
    """Leniency of the interviewers on the loops of ``user``'s own requisitions (a superuser:
    all). A plain interviewer sees none."""
    return access.visible(user, InterviewerCalibration).select_related("interviewer", "run")
