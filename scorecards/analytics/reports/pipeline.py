"""Pipeline analytics per requisition (issue 18): loops by stage over time, time in each
stage, time from first interview to decision, pass-through by interview-plan slot, and the
panel's recommendations against the hiring manager's decisions.

Who may read it: the requisition's recruiters and hiring manager, and superusers
(``access.can(user, "view_pipeline", requisition)``); everyone else gets a 404 from the
pages and the API. Decisions and recommendations are read through the policy, so a reader
who still owes a scorecard on a loop (the blind rule) does not count that loop's outcome:
the report says how many it left out.

Each report is a fixed number of queries however many loops the requisition has (seven for
one requisition, two for the list of requisitions); the figures come from
``scorecards.analytics.stats.pipeline``.

The recommendation a decision is set against is the one the decision recorded (the summary's
when it was decided: ``Decision.recommendation``); for decisions recorded before that was
kept, the loop's stored summary's (the one the pages show now). The report says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hiring import access
from hiring.models import Decision, Interview, Loop, LoopStageChange, PlanSlot, Requisition, User
from scorecards.analytics.stats import pipeline as stats
from scorecards.models import LoopSummary

S = Loop.Status
STAGES: list[tuple[str, str]] = [(str(code), str(label)) for code, label in S.choices]
STAGE_LABELS = dict(STAGES)
TERMINAL = frozenset({str(S.DECIDED), str(S.WITHDRAWN)})
OPEN_STAGES = [code for code, _ in STAGES if code not in TERMINAL]
WEEKS_SHOWN = 26
SPLIT = "split_recommendations"
RECOMMENDED_LABELS = {
    stats.HIRE: "Hire (hire or strong hire)",
    stats.NO_HIRE: "No hire",
    stats.MIXED: "Mixed (the panel split, or incomplete)",
}
DECIDED_LABELS = {stats.HIRE: "Hired", stats.NO_HIRE: "Not hired"}
RECOMMENDATION_SOURCE = (
    "The recommendation is the one the summary showed when the decision was recorded; for "
    "decisions recorded before Loopwise kept it, the loop's stored summary's as the pages "
    "show it now."
)


@dataclass(frozen=True)
class StageTime:
    stage: str
    label: str
    days: stats.Spread


@dataclass(frozen=True)
class SlotRow:
    title: str
    passage: stats.SlotPassage


@dataclass(frozen=True)
class WeekRow:
    start: dt.date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class PipelineReport:
    requisition: Requisition
    now: dt.datetime
    loops: int
    stage_now: dict[str, int]
    weeks: list[WeekRow]
    time_in_stage: list[StageTime]
    to_decision: stats.Spread
    plan_source: str  # "requisition", "role profile" or "" (no plan)
    slots: list[SlotRow]
    agreement: stats.Agreement
    decided_hidden: int  # decided loops whose outcome the blind rule hides from the reader
    decided_without_summary: int
    backfilled_loops: int
    recommendation_source: str = RECOMMENDATION_SOURCE
    stages: list[tuple[str, str]] = field(default_factory=lambda: list(STAGES))

    def agreement_rows(self) -> list[tuple[str, str, list[int]]]:
        """(code, label, counts per decision) for the table, in ``DECIDED_LABELS`` order."""
        return [
            (code, label, [self.agreement.count(code, decided) for decided in DECIDED_LABELS])
            for code, label in RECOMMENDED_LABELS.items()
        ]


def requisition_get(*, user: User, pk: int) -> Requisition:
    """The requisition whose pipeline ``user`` may read, or 404 (no hint that it exists)."""
    requisition = (
        access.visible(user, Requisition)
        .select_related("profile", "hiring_manager")
        .filter(pk=pk)
        .first()
    )
    if requisition is None or not access.can(user, "view_pipeline", requisition):
        raise Http404("No such requisition.")
    return requisition


def requisitions_for(user: User) -> QuerySet[Requisition]:
    """The requisitions whose pipeline ``user`` may read."""
    return access.requisitions_staffed(user).order_by("title")


def _recommended(code: str, reasons: Any) -> str:
    codes = {reason.get("code") for reason in reasons or [] if isinstance(reason, dict)}
    if SPLIT in codes or code not in {"hire", "strong_hire", "no_hire"}:
        return stats.MIXED
    return stats.NO_HIRE if code == "no_hire" else stats.HIRE


def _plan(requisition: Requisition) -> tuple[str, list[tuple[int, str]]]:
    """The plan the requisition follows: its own slots, else its role profile's."""
    rows = list(
        PlanSlot.objects.filter(
            Q(requisition=requisition) | Q(profile_id=requisition.profile_id)
        ).values_list("pk", "title", "requisition_id")
    )
    own = [(pk, title) for pk, title, req in rows if req is not None]
    if own:
        return "requisition", own
    profile = [(pk, title) for pk, title, req in rows if req is None]
    return ("role profile", profile) if profile else ("", [])


def _histories(
    user: User, requisition: Requisition, loops: Sequence[tuple[int, str, dt.datetime]]
) -> tuple[dict[int, list[stats.Change]], int]:
    """Each loop's stage history in time order, and how many loops' history was backfilled.
    A loop written outside the services (an old import, the admin's add form) has no row for
    its creation: it counts as having been in the stage its first change left (with no
    change at all: its current stage) since it was created."""
    histories: dict[int, list[stats.Change]] = {}
    left: dict[int, str] = {}
    backfilled: set[int] = set()
    rows = (
        access.visible(user, LoopStageChange)
        .filter(loop__requisition=requisition)
        .order_by("loop_id", "at", "pk")
        .values_list("loop_id", "from_status", "to_status", "at", "backfilled")
    )
    for loop_id, before, to, at, was_backfilled in rows:
        left.setdefault(loop_id, before)
        histories.setdefault(loop_id, []).append(stats.Change(at=at, to=to))
        if was_backfilled:
            backfilled.add(loop_id)
    for pk, status, created_at in loops:
        history = histories.setdefault(pk, [])
        start = left.get(pk, status)
        if start and (not history or created_at < history[0].at):
            history.insert(0, stats.Change(at=created_at, to=start))
    return histories, len(backfilled)


def pipeline_report(
    *, user: User, requisition: Requisition, now: dt.datetime | None = None
) -> PipelineReport:
    """The pipeline report of ``requisition`` as ``user`` may read it (call
    ``requisition_get`` first: it answers 404 to anyone else)."""
    access.check(user, "view_pipeline", requisition)
    now = timezone.localtime(now or timezone.now())
    loops = list(
        Loop.objects.filter(requisition=requisition).values_list("pk", "status", "created_at")
    )
    histories, backfilled = _histories(user, requisition, loops)

    first_interview: dict[int, dt.datetime] = {}
    reached: dict[int, set[int]] = {}
    interviews = (
        access.visible(user, Interview)
        .filter(loop__requisition=requisition, starts_at__lte=now)
        .exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
        .order_by("starts_at")
        .values_list("loop_id", "starts_at", "plan_slot_id")
    )
    for loop_id, starts_at, slot_id in interviews:
        first_interview.setdefault(loop_id, starts_at)
        if slot_id is not None:
            reached.setdefault(slot_id, set()).add(loop_id)

    decisions: dict[int, tuple[str, dt.datetime]] = {}
    recorded: dict[int, str] = {}  # the recommendation each decision was made against
    for loop_id, outcome, decided_at, code, split in (
        access.visible(user, Decision)
        .filter(loop__requisition=requisition, is_current=True)
        .values_list("loop_id", "outcome", "decided_at", "recommendation", "panel_split")
    ):
        decisions[loop_id] = (outcome, decided_at)
        if code:
            recorded[loop_id] = _recommended(code, [{"code": SPLIT}] if split else [])
    hired = {pk for pk, (outcome, _) in decisions.items() if outcome == Decision.Outcome.HIRE}
    summaries = {
        loop_id: _recommended(code, reasons)
        for loop_id, code, reasons in access.visible(user, LoopSummary)
        .filter(loop__requisition=requisition)
        .values_list("loop_id", "recommendation", "data__verdict__reasons")
    }
    # A decision's own record wins; older decisions fall back to the stored summary, which
    # the reader must be allowed to see (the blind rule) either way.
    summaries = {pk: recorded.get(pk, rec) for pk, rec in summaries.items()}
    pairs = [(summaries[pk], outcome) for pk, (outcome, _) in decisions.items() if pk in summaries]
    decided_loops = {pk for pk, status, _ in loops if status == S.DECIDED}

    plan_source, plan = _plan(requisition)
    passages = stats.pass_through(
        [str(pk) for pk, _ in plan], {str(k): v for k, v in reached.items()}, hired
    )

    week_starts: list[dt.datetime] = []
    if histories:
        first = min(timezone.localtime(h[0].at) for h in histories.values())
        week_starts = stats.weeks(first, now, limit=WEEKS_SHOWN)
    weekly = stats.weekly_counts(histories.values(), week_starts, now)
    spreads = stats.time_in_stages(histories.values(), TERMINAL)
    return PipelineReport(
        requisition=requisition,
        now=now,
        loops=len(loops),
        stage_now={code: sum(1 for _, s, _ in loops if s == code) for code, _ in STAGES},
        weeks=[
            WeekRow(start=start.date(), counts={code: counts[code] for code, _ in STAGES})
            for start, counts in zip(week_starts, weekly, strict=True)
        ],
        time_in_stage=[
            StageTime(stage, STAGE_LABELS[stage], spreads.get(stage, stats.spread([])))
            for stage in OPEN_STAGES
        ],
        to_decision=stats.days_between(
            (first_interview[pk], decided_at)
            for pk, (_, decided_at) in decisions.items()
            if pk in first_interview
        ),
        plan_source=plan_source,
        slots=[
            SlotRow(title=title, passage=passage)
            for (_, title), passage in zip(plan, passages, strict=True)
        ],
        agreement=stats.agreement(pairs),
        decided_hidden=len(decided_loops - decisions.keys()),
        decided_without_summary=len(decisions.keys() - summaries.keys()),
        backfilled_loops=backfilled,
    )


@dataclass(frozen=True)
class Headline:
    requisition: Requisition
    loops: int
    open: int
    hired: int
    to_decision: stats.Spread


def requisitions_overview(*, user: User) -> list[Headline]:
    """Each requisition ``user`` may read the pipeline of, with its headline figures: loops,
    open loops, hires, and days from first interview to decision. Two queries."""
    requisitions = list(
        requisitions_for(user).annotate(
            n_loops=Count("loops", distinct=True),
            n_open=Count("loops", filter=Q(loops__status__in=Loop.OPEN_STATUSES), distinct=True),
        )
    )
    decided = (
        access.visible(user, Decision)
        .filter(is_current=True, loop__requisition__in=[r.pk for r in requisitions])
        .annotate(
            first=Min(
                "loop__interviews__starts_at",
                filter=~Q(loop__interviews__status__in=Interview.NO_FEEDBACK_STATUSES),
            )
        )
        .values_list("loop__requisition_id", "outcome", "first", "decided_at")
    )
    hires: dict[int, int] = {}
    pairs: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for requisition_id, outcome, first, decided_at in decided:
        if outcome == Decision.Outcome.HIRE:
            hires[requisition_id] = hires.get(requisition_id, 0) + 1
        if first is not None:
            pairs.setdefault(requisition_id, []).append((first, decided_at))
    return [
        Headline(
            requisition=r,
            loops=r.n_loops,
            open=r.n_open,
            hired=hires.get(r.pk, 0),
            to_decision=stats.days_between(pairs.get(r.pk, [])),
        )
        for r in requisitions
    ]
