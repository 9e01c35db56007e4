"""What the scorecards app holds about a candidate, for ``hiring.privacy`` (DESIGN §7): the
content of a revision as audited and exported, and the ``Holder`` that exports and scrubs
scorecards when a candidate's data is exported, erased or past retention."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet

from hiring import access, privacy
from hiring.models import Candidate, User
from scorecards.models import DimensionRating, Scorecard, ScorecardRevision


def revision_snapshot(revision: ScorecardRevision) -> dict[str, Any]:
    """A revision's content, as audited and exported. Prefetch ``ratings__dimension``,
    ``signals`` and ``red_flags`` when snapshotting many."""
    return {
        "revision": revision.number,
        "submitted_at": revision.submitted_at.isoformat() if revision.submitted_at else None,
        "overall_recommendation": revision.overall_recommendation,
        "key_takeaways": revision.key_takeaways,
        "amendment_reason": revision.amendment_reason,
        "ratings": [
            {
                "dimension": rating.dimension.slug,
                "rating": rating.rating,
                "not_assessed": rating.not_assessed,
                "evidence": rating.evidence,
            }
            for rating in revision.ratings.all()
        ],
        "signals": sorted(signal.text for signal in revision.signals.all()),
        "red_flags": sorted(flag.text for flag in revision.red_flags.all()),
    }


def _scorecards_of(candidate: Candidate) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(interview__loop__candidate=candidate)


def _related(candidate: Candidate) -> list[QuerySet[Any]]:
    return [_scorecards_of(candidate)]


def _export(candidate: Candidate, by: User) -> dict[int, list[dict[str, Any]]]:
    """Each scorecard ``by`` may read (``hiring.access``: the blind rule, their own
    requisitions) with its submitted revisions (drafts are the interviewer's working copy),
    by interview."""
    submitted = ScorecardRevision.objects.filter(submitted_at__isnull=False).prefetch_related(
        "ratings__dimension", "signals", "red_flags"
    )
    by_interview: dict[int, list[dict[str, Any]]] = defaultdict(list)
    scorecards = (
        _scorecards_of(candidate)
        .filter(pk__in=access.visible(by, Scorecard).values("pk"))
        .select_related("interviewer")
        .prefetch_related(Prefetch("revisions", submitted))
        .order_by("pk")
    )
    for scorecard in scorecards:
        by_interview[scorecard.interview_id].append(
            {
                "id": scorecard.pk,
                "interviewer": scorecard.interviewer.display_name,
                "status": scorecard.status,
                "submitted_revisions": [revision_snapshot(r) for r in scorecard.revisions.all()],
            }
        )
    return dict(by_interview)


def _scrub(candidate: Candidate, mask: Callable[[str], str]) -> None:
    """Every revision, drafts included: evidence, takeaways and amendment reasons."""
    revisions = ScorecardRevision.objects.filter(scorecard__interview__loop__candidate=candidate)
    privacy.scrub_rows(revisions, ("key_takeaways", "amendment_reason"), mask)
    ratings = DimensionRating.objects.filter(
        revision__scorecard__interview__loop__candidate=candidate
    )
    privacy.scrub_rows(ratings, ("evidence",), mask)


HOLDER = privacy.Holder(name="scorecards", related=_related, export=_export, scrub=_scrub)
