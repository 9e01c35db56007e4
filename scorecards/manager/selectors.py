"""Reads for hiring managers (and recruiters reading summaries), with the access rules of
DESIGN §6 in one place.

- A requisition's pipeline, the loop summary and the comparison: its hiring manager, its
  recruiters (read only) and superusers.
- Recording a decision: its hiring manager and superusers only.

Anything else is a 404. Scorecards are read through ``selectors.scorecards_visible_to`` so the
blind rule still holds for a hiring manager who sat on the panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
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
from scorecards.calibration import recommendation
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

PAGE_SIZE = 50
RECOMMENDATION_LABELS = recommendation.LABELS
# Best first: the order a hiring manager reads recommendations in.
RECOMMENDATION_ORDER = ("strong_hire", "hire", "no_hire", "incomplete")
SORTS = {
    "stage": ("stage_order", "candidate__full_name"),
    "candidate": ("candidate__full_name",),
    "recommendation": ("withheld", "rec_order", "candidate__full_name"),
    "-calibrated": (
        "withheld",
        F("calibrated_sort").desc(nulls_last=True),
        "candidate__full_name",
    ),
    "newest": ("-created_at",),
}


def _ordinal(field: str, values: Any) -> Case:
    """The position of ``field``'s value in ``values``: sorts in that order, not by spelling."""
    return Case(
        *[When(**{field: value}, then=Value(index)) for index, value in enumerate(values)],
        default=Value(len(values)),
        output_field=IntegerField(),
    )


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


def _flag(query: Any, name: str) -> bool:
    return query.get(name) in {"1", "on", "true", "yes"}


def whole_number(value: str) -> int | None:
    """A query-string value as a small non-negative whole number, or None for anything else
    (words, signs, other scripts' digits, or more digits than an id has)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _number(query: Any, name: str) -> int | None:
    return whole_number(query.get(name, ""))


@dataclass
class PipelineFilters:
    requisition: int | None = None
    stage: str = ""
    recommendation: str = ""
    needs_debrief: bool = False
    sort: str = "stage"
    page: int = 1

    @classmethod
    def from_query(cls, query: Any) -> PipelineFilters:
        """The filters of a query string; anything unrecognised means "no filter"."""
        stage = query.get("stage", "")
        rec = query.get("recommendation", "")
        sort = query.get("sort", "stage")
        return cls(
            requisition=_number(query, "requisition"),
            stage=stage if stage in Loop.Status.values else "",
            recommendation=rec if rec in RECOMMENDATION_LABELS else "",
            needs_debrief=_flag(query, "needs_debrief"),
            sort=sort if sort in SORTS else "stage",
            page=max(1, _number(query, "page") or 1),
        )

    def query(self, **changes: Any) -> str:
        """The query string of these filters with ``changes``: for pagination and links."""
        values = {
            "requisition": self.requisition or "",
            "stage": self.stage,
            "recommendation": self.recommendation,
            "needs_debrief": "1" if self.needs_debrief else "",
            "sort": self.sort if self.sort != "stage" else "",
            "page": self.page if self.page != 1 else "",
            **changes,
        }
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


@dataclass
class Pipeline:
    """One page of the manager's loops, and their requisitions with counts to filter by."""

    requisitions: Sequence[Requisition]  # annotated: ``n_loops``, ``n_open``
    page: Page[int]  # the page of loop ids: numbers and counts for the navigation
    loops: list[Loop]  # the page's loops, in order, annotated for the table


def _loops_counted(**conditions: Any) -> Coalesce:
    """A requisition's loops (matching ``conditions``), counted through the loop's requisition
    index: a join and GROUP BY of every loop of the manager's requisitions took twice as long
    in PostgreSQL (3.8 against 1.9 ms for 4,498 loops)."""
    loops = (
        Loop.objects.filter(requisition=OuterRef("pk"), **conditions)
        .order_by()
        .values("requisition")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(loops, output_field=IntegerField()), 0)


def pipeline_for_manager(*, user: User, filters: PipelineFilters) -> Pipeline:
    """A page of the manager's loops (``PAGE_SIZE``), filtered and sorted in the database.
    Each loop is annotated with ``scorecards_in``, ``scorecards_expected``,
    ``scorecards_owed``, ``rec`` (recommendation, "incomplete" until a summary says otherwise),
    ``withheld`` (the blind rule), its ``summary`` (without the stored JSON, which the table
    never shows) and ``current_decisions``. Five queries however many loops there are: the
    requisitions with their counts, the page's count, its ids, its rows, their decisions."""
    managed = requisitions_for_manager(user=user)
    requisitions = list(
        managed.select_related("profile")
        .annotate(
            n_loops=_loops_counted(),
            n_open=_loops_counted(status__in=Loop.OPEN_STATUSES),
        )
        .order_by("title")
    )
    ids = Paginator(_pipeline_order(user, filters), PAGE_SIZE).get_page(filters.page)
    rows = {loop.pk: loop for loop in _pipeline_rows(user, list(ids.object_list))}
    for loop in rows.values():
        # Here rather than in SQL, where it repeated both count subqueries for every row.
        loop.scorecards_owed = loop.scorecards_expected - loop.scorecards_in  # type: ignore[attr-defined]
    return Pipeline(requisitions, ids, [rows[pk] for pk in ids.object_list if pk in rows])


def _pipeline_order(user: User, filters: PipelineFilters) -> QuerySet[Loop, int]:
    """The ids of the manager's loops matching ``filters``, in the order asked. Sort keys of
    a summary the blind rule hides are blank, so the order of hidden rows among themselves
    says nothing about their scores; hidden summaries never match a recommendation or
    debrief filter either."""
    loops = Loop.objects.filter(requisition__in=requisitions_for_manager(user=user).values("pk"))
    if filters.requisition:
        loops = loops.filter(requisition_id=filters.requisition)
    if filters.stage:
        loops = loops.filter(status=filters.stage)
    loops = loops.annotate(
        withheld=access.feedback_withheld(user),
        rec=Coalesce(F("summary__recommendation"), Value("incomplete")),
        stage_order=_ordinal("status", Loop.Status.values),
    ).annotate(
        rec_order=Case(
            When(withheld=True, then=Value(len(RECOMMENDATION_ORDER))),
            default=_ordinal("rec", RECOMMENDATION_ORDER),
        ),
        calibrated_sort=Case(
            When(withheld=True, then=Value(None, output_field=FloatField())),
            default=F("summary__calibrated_score"),
        ),
    )
    if filters.recommendation:
        loops = loops.filter(rec=filters.recommendation, withheld=False)
    if filters.needs_debrief:
        loops = loops.filter(summary__needs_debrief=True, withheld=False)
    return loops.order_by(*SORTS[filters.sort], "pk").values_list("pk", flat=True)


PIPELINE_COLUMNS = (
    "status",
    "candidate__full_name",
    "requisition__title",
    "summary__recommendation",
    "summary__needs_debrief",
    "summary__calibrated_score",
)


def _pipeline_rows(user: User, ids: list[int]) -> QuerySet[Loop]:
    return (
        Loop.objects.filter(pk__in=ids)
        .select_related("candidate", "requisition", "summary")
        # Only the columns the table shows (a candidate's and a summary's rows are wide);
        # the caller puts the rows in the page's order.
        .only(*PIPELINE_COLUMNS)
        .order_by()
        .annotate(
            scorecards_expected=Coalesce(_expected_scorecards(), 0),
            scorecards_in=Coalesce(_submitted_scorecards(), 0),
            rec=Coalesce(F("summary__recommendation"), Value("incomplete")),
            debrief=Coalesce(F("summary__needs_debrief"), Value(False)),
            withheld=access.feedback_withheld(user),
        )
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=access.visible(user, Decision)
                .filter(is_current=True)
                .select_related("level_offered"),
                to_attr="current_decisions",
            )
        )
    )


# --- Loop summary ----------------------------------------------------------------------------


def summary_for_loop(*, loop: Loop) -> StoredSummary:
    """The stored summary with its freshness; a missing or stale one is queued, not
    computed here: a GET does not write."""
    return loop_summary_read(loop_id=loop.pk)


def current_revisions_visible(*, user: User, loop: Loop) -> QuerySet[ScorecardRevision]:
    """Current revisions of the loop's submitted scorecards that ``user`` may read, with
    their ratings, signals and red flags: a fixed number of queries."""
    # The loop's few visible scorecards first, by id: the revisions are then read through
    # their index, never planned as a join across every revision of the tenant.
    visible = list(
        access.visible(user, Scorecard)
        .filter(interview__loop=loop, status=Scorecard.Status.SUBMITTED)
        .values_list("pk", flat=True)
    )
    return current_revisions_of(Scorecard.objects.filter(pk__in=visible))


def decisions_for_loop(*, loop: Loop) -> list[Decision]:
    """Every decision on the loop, newest first: the current one and its history."""
    return list(
        Decision.objects.filter(loop=loop)
        .select_related("level_offered", "decided_by", "debrief_outcome")
        .prefetch_related("debrief_outcome__attendees")
        .order_by("-decided_at", "-pk")
    )


COMPARE_MAX = 6
# What the compare page leaves out unless asked (``?include=withdrawn&include=anonymised``).
COMPARE_INCLUDABLE = ("withdrawn", "anonymised")


def _comparable(
    requisition: Requisition, user: User, include: frozenset[str] = frozenset()
) -> QuerySet[Loop]:
    """The requisition's loops that can be compared: not withdrawn and candidate not
    anonymised, unless ``include`` names them (``COMPARE_INCLUDABLE``). Annotated with
    ``withheld`` (the blind rule) and ranked: best calibrated overall first;
    loops whose summary is hidden from ``user`` or not computed yet come last, by name (no
    hint of their score)."""
    withheld = access.feedback_withheld(user)
    loops = Loop.objects.filter(requisition=requisition)
    if "anonymised" not in include:
        loops = loops.filter(candidate__anonymised_at__isnull=True)
    if "withdrawn" not in include:
        loops = loops.exclude(status=Loop.Status.WITHDRAWN)
    return loops.annotate(
        withheld=withheld,
        unranked=Case(
            When(withheld=True, then=Value(True)),
            When(summary__isnull=True, then=Value(True)),
            default=Value(False),
        ),
        rank_score=Case(
            When(unranked=True, then=Value(None, output_field=FloatField())),
            default=F("summary__calibrated_score"),
        ),
    ).order_by("unranked", F("rank_score").desc(nulls_last=True), "candidate__full_name", "pk")


def ranking_for_requisition(
    *, requisition: Requisition, user: User, page: int, include: frozenset[str] = frozenset()
) -> Page[Loop]:
    """One page (``PAGE_SIZE``) of the requisition's comparable loops, ranked, with their
    summaries' headline fields (the stored JSON is not read): three queries."""
    loops = (
        _comparable(requisition, user, include)
        .select_related("candidate", "summary")
        # Only the columns the ranking shows (a candidate's and a summary's rows are wide).
        .only(
            "status",
            "candidate__full_name",
            "summary__recommendation",
            "summary__calibrated_score",
        )
    )
    return Paginator(loops, PAGE_SIZE).get_page(page)


def summaries_for_requisition(
    *,
    requisition: Requisition,
    user: User,
    loop_ids: list[int] | None = None,
    include: frozenset[str] = frozenset(),
) -> list[tuple[Loop, LoopSummary | None]]:
    """The loops to put side by side, with their stored summaries: those of ``loop_ids``
    that are comparable (at most ``COMPARE_MAX``), or else the ``COMPARE_MAX`` best ranked.
    Loops whose summary the blind rule hides from ``user`` (``loop.withheld``) and loops
    whose first summary is still being computed (``None``, queued here for a worker) come
    last, unranked. A fixed number of queries however many loops the requisition has."""
    loops = _comparable(requisition, user, include)
    if loop_ids:
        loops = loops.filter(pk__in=loop_ids)
    chosen = list(
        loops.select_related("candidate", "summary").prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(is_current=True),
                to_attr="current_decisions",
            )
        )[:COMPARE_MAX]
    )
    pairs: list[tuple[Loop, LoopSummary | None]] = []
    for loop in chosen:
        try:
            summary: LoopSummary | None = loop.summary
        except LoopSummary.DoesNotExist:
            summary = None
        pairs.append((loop, summary))
    loop_summaries_queue(loop.pk for loop, summary in pairs if summary is None)
    return pairs
