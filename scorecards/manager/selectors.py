"""Reads for hiring managers (and recruiters reading summaries), with the access rules of
DESIGN §6 in one place.

- A requisition's pipeline, the loop summary and the comparison: its hiring manager, its
  recruiters (read only) and superusers.
- Recording a decision: its hiring manager and superusers only.

Anything else is a 404. Scorecards are read through ``selectors.scorecards_visible_to`` so the
blind rule still holds for a hiring manager who sat on the panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from hiring import access
from hiring.models import Decision, Interview, Loop, Requisition, User
from scorecards.calibration.summaries import (
    StoredSummary,
    loop_summaries_queue,
    loop_summary_read,
)
from scorecards.models import LoopSummary, Scorecard, ScorecardRevision
from scorecards.selectors import current_revisions_of

# --- Access: asked of ``hiring.access`` --------------------------------------------------------


def requisitions_for_manager(*, user: User) -> QuerySet[Requisition]:
    """Requisitions ``user`` manages (every one for a superuser): the decider's view."""
    return access.requisitions_managed(user)


def requisition_get_for_reader(*, user: User, pk: int) -> Requisition:
    """A requisition whose summaries ``user`` may read (managed or recruited for), or 404."""
    return get_object_or_404(
        access.requisitions_staffed(user).select_related("profile", "hiring_manager"), pk=pk
    )


def _loops(requisitions: QuerySet[Requisition]) -> QuerySet[Loop]:
    return Loop.objects.filter(requisition__in=requisitions).select_related(
        "candidate", "requisition__profile__level_below", "requisition__hiring_manager"
    )


def loop_get_for_reader(*, user: User, pk: int) -> Loop:
    """A loop whose summary ``user`` may read (hiring manager, recruiter, superuser), or 404."""
    return get_object_or_404(_loops(access.requisitions_staffed(user)), pk=pk)


def loop_get_for_manager(*, user: User, pk: int) -> Loop:
    """A loop ``user`` may decide on (the requisition's hiring manager, superuser), or 404."""
    return get_object_or_404(_loops(access.requisitions_managed(user)), pk=pk)


# --- Pipeline --------------------------------------------------------------------------------

RECOMMENDATION_LABELS = {
    "incomplete": "Incomplete",
    "no_hire": "No hire",
    "hire": "Hire",
    "strong_hire": "Strong hire",
}
SORTS = {
    "candidate": ("candidate__full_name", "pk"),
    "stage": ("status", "candidate__full_name"),
    "recommendation": ("rec_order", "candidate__full_name"),
    "-calibrated": ("-calibrated_sort", "candidate__full_name"),
    "newest": ("-created_at", "pk"),
}
SCORE_SORTS = {"recommendation", "-calibrated"}


def _expected_scorecards() -> Subquery:
    pairs = (
        Interview.interviewers.through.objects.filter(  # type: ignore[misc]
            interview__loop=OuterRef("pk")
        )
        .exclude(interview__status__in=Interview.NO_FEEDBACK_STATUSES)
        .order_by()
        .values("interview__loop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(pairs, output_field=IntegerField())


def _submitted_scorecards() -> Subquery:
    submitted = (
        Scorecard.objects.filter(interview__loop=OuterRef("pk"), status=Scorecard.Status.SUBMITTED)
        .exclude(interview__status__in=Interview.NO_FEEDBACK_STATUSES)
        .order_by()
        .values("interview__loop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(submitted, output_field=IntegerField())


@dataclass
class PipelineFilters:
    stage: str = ""
    recommendation: str = ""
    needs_debrief: bool = False
    sort: str = "stage"

    @classmethod
    def from_query(cls, query: Any) -> PipelineFilters:
        stage = query.get("stage", "")
        rec = query.get("recommendation", "")
        sort = query.get("sort", "stage")
        return cls(
            stage=stage if stage in Loop.Status.values else "",
            recommendation=rec if rec in RECOMMENDATION_LABELS else "",
            needs_debrief=query.get("needs_debrief") in {"1", "on", "true", "yes"},
            sort=sort if sort in SORTS else "stage",
        )


@dataclass
class PipelineRequisition:
    requisition: Requisition
    loops: list[Loop] = field(default_factory=list)


def pipeline_for_manager(*, user: User, filters: PipelineFilters) -> list[PipelineRequisition]:
    """The manager's requisitions, each with its loops annotated for the pipeline table:
    ``scorecards_in``, ``scorecards_expected``, ``rec`` (recommendation, "incomplete" until a
    summary says otherwise), ``debrief``, ``summary`` and ``current_decisions``. Three
    queries however many loops."""
    requisitions = list(requisitions_for_manager(user=user).select_related("profile"))
    rec_order = Coalesce(
        Subquery(LoopSummary.objects.filter(loop=OuterRef("pk")).values("recommendation")[:1]),
        Value("incomplete"),
    )
    loops = (
        _loops(requisitions_for_manager(user=user))
        .select_related("summary")
        .annotate(
            scorecards_expected=Coalesce(_expected_scorecards(), 0),
            scorecards_in=Coalesce(_submitted_scorecards(), 0),
            rec=rec_order,
            debrief=Exists(LoopSummary.objects.filter(loop=OuterRef("pk"), needs_debrief=True)),
            withheld=access.feedback_withheld(user),
        )
        .annotate(
            scorecards_owed=F("scorecards_expected") - F("scorecards_in"),
            # Sort keys of a summary the blind rule hides are blank, so the order of hidden
            # rows among themselves says nothing about their scores.
            rec_order=Case(When(withheld=True, then=Value("")), default=F("rec")),
            calibrated_sort=Case(
                When(withheld=True, then=Value(None, output_field=FloatField())),
                default=Subquery(
                    LoopSummary.objects.filter(loop=OuterRef("pk")).values("calibrated_score")[:1]
                ),
            ),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=access.visible(user, Decision)
                .filter(is_current=True)
                .select_related("level_offered", "decided_by"),
                to_attr="current_decisions",
            )
        )
    )
    if filters.stage:
        loops = loops.filter(status=filters.stage)
    # A summary withheld by the blind rule must not leak through a filter or a sort either.
    if filters.recommendation:
        loops = loops.filter(rec=filters.recommendation, withheld=False)
    if filters.needs_debrief:
        loops = loops.filter(debrief=True, withheld=False)
    order: tuple[str, ...] = SORTS[filters.sort]
    if filters.sort in SCORE_SORTS:
        order = ("withheld", *order)
    loops = loops.order_by(*order)
    by_requisition = {r.pk: PipelineRequisition(r) for r in requisitions}
    for loop in loops:
        by_requisition[loop.requisition_id].loops.append(loop)
    return list(by_requisition.values())


# --- Loop summary ----------------------------------------------------------------------------


def summary_for_loop(*, loop: Loop) -> StoredSummary:
    """The stored summary with its freshness; a missing or stale one is queued, not
    computed here: a GET does not write."""
    return loop_summary_read(loop_id=loop.pk)


def current_revisions_visible(*, user: User, loop: Loop) -> QuerySet[ScorecardRevision]:
    """Current revisions of the loop's submitted scorecards that ``user`` may read, with
    their ratings, signals and red flags: a fixed number of queries."""
    visible = access.visible(user, Scorecard).filter(
        interview__loop=loop, status=Scorecard.Status.SUBMITTED
    )
    return current_revisions_of(visible)


def decisions_for_loop(*, loop: Loop) -> list[Decision]:
    """Every decision on the loop, newest first: the current one and its history."""
    return list(
        Decision.objects.filter(loop=loop)
        .select_related("level_offered", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def summaries_for_requisition(
    *, requisition: Requisition, user: User
) -> list[tuple[Loop, LoopSummary | None]]:
    """Every loop of the requisition with its stored summary, best calibrated overall first;
    loops whose summary the blind rule hides from ``user`` (``loop.withheld``) and loops
    whose first summary is still being computed (``None``, queued here for a worker) come
    last, unranked. Withdrawn loops are left out."""
    loops = list(
        Loop.objects.filter(requisition=requisition)
        .exclude(status=Loop.Status.WITHDRAWN)
        .annotate(withheld=access.feedback_withheld(user))
        .select_related("candidate", "summary")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(is_current=True),
                to_attr="current_decisions",
            )
        )
    )
    pairs: list[tuple[Loop, LoopSummary | None]] = []
    for loop in loops:
        try:
            summary: LoopSummary | None = loop.summary
        except LoopSummary.DoesNotExist:
            summary = None
        pairs.append((loop, summary))
    loop_summaries_queue(loop.pk for loop, summary in pairs if summary is None)
    pairs.sort(key=_rank)
    return pairs


def _rank(pair: tuple[Loop, LoopSummary | None]) -> tuple[bool, bool, float, str]:
    loop, summary = pair
    if loop.withheld or summary is None:  # type: ignore[attr-defined]
        return (True, True, 0.0, loop.candidate.full_name)  # by name: no hint of the score
    score = summary.calibrated_score
    return (False, score is None, -(score or 0.0), loop.candidate.full_name)
