"""Interviewer analytics (issue 18): per interviewer, scorecards written, time from the
interview's end to the first submission (median, 90th percentile), the overdue and
escalated rates,
leniency with its interval and its trend over refits, agreement with the rest of the panel
and with the decision; per dimension, the inter-rater reliability (ICC(1) with its interval).

Who reads what (``hiring.access`` decides every part):

- a superuser: everyone who sat on a panel, from every loop;
- a recruiter or hiring manager (DESIGN §6 lets both read the submitted scorecards,
  summaries and calibration of their own requisitions, so both read this report the same
  way): the people on the panels of their requisitions' loops, each person's figures
  computed *only* from those loops, and only from loops whose feedback they may read (a
  loop where they still owe a scorecard is left out until theirs is in: the blind rule);
- anyone else who sits on panels: their own row only, from their own seats; agreement with
  the panel from the colleagues' scorecards they may read (after submitting their own),
  never the decisions (interviewers do not see decisions), and the per-dimension reliability
  from the same scorecards;
- everyone else: nothing.

Leniency is the calibration's fitted b_i, fitted over all history: it is the figure the
summaries already show the same readers (``access.visible(user, InterviewerCalibration)``),
not a figure of the reader's loops. Its trend is the kept history of refits
(``InterviewerLeniency``).

Every figure is an aggregate with its count beside it; no scorecard, rating or candidate is
named. The report is a fixed number of queries, however many loops, people and ratings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from hiring import access
from hiring.models import Decision, Dimension, Interview, Loop, User
from scorecards.analytics.stats import icc as icc_stats
from scorecards.analytics.stats import interviewers as stats
from scorecards.models import (
    DimensionRating,
    InterviewerCalibration,
    InterviewerLeniency,
    Scorecard,
    ScorecardRevision,
)

Panel = Interview.interviewers.through
FEEDBACK_STATUSES = (Interview.Status.SCHEDULED, Interview.Status.COMPLETED)
Z95 = 1.959964
# The periods a reader may choose (days back from today, by interview end); None: all.
PERIODS: dict[str, int | None] = {"90": 90, "180": 180, "365": 365, "all": None}
DEFAULT_PERIOD = "365"
SORTS: dict[str, str] = {
    "name": "Name",
    "-scorecards": "Scorecards written, most first",
    "median": "Median time to feedback, fastest first",
    "-p90": "90th percentile time to feedback, slowest first",
    "-overdue": "Overdue rate, highest first",
    "-escalated": "Escalated rate, highest first",
    "-leniency": "Leniency, most lenient first",
    "leniency": "Leniency, harshest first",
    "panel": "Agreement with the panel, lowest first",
    "decision": "Agreement with decisions, lowest first",
}
DEFAULT_SORT = "name"
TREND_POINTS = 60  # the newest refits shown on a person's trend


@dataclass(frozen=True)
class Scope:
    """What one reader's report is computed from."""

    kind: str  # "all", "staff", "own" or "none"
    loops: QuerySet[Loop]
    people: QuerySet[User]
    sees_decisions: bool

    @property
    def own_only(self) -> bool:
        return self.kind == "own"


def scope_for(user: User) -> Scope:
    if access.administers(user):
        seated = Panel.objects.values("user_id")
        return Scope("all", Loop.objects.all(), User.objects.filter(pk__in=seated), True)
    if access.requisitions_staffed(user).exists():
        return Scope(
            "staff",
            access.loops_with_feedback(user),
            access.interviewers_staffed(user),
            True,
        )
    if access.panel_interviews(user).exists():
        return Scope("own", access.loops_on_panel(user), User.objects.filter(pk=user.pk), False)
    return Scope("none", Loop.objects.none(), User.objects.none(), False)


@dataclass(frozen=True)
class Leniency:
    value: float
    low: float
    high: float
    ratings: int


@dataclass
class InterviewerRow:
    pk: int
    name: str
    email: str
    scorecards: int = 0
    feedback: stats.FeedbackTimes = field(default_factory=lambda: stats.feedback_times([]))
    hours: list[float] = field(default_factory=list)
    overdue: stats.Share = field(default_factory=lambda: stats.Share(0, 0))
    escalated: stats.Share = field(default_factory=lambda: stats.Share(0, 0))
    leniency: Leniency | None = None
    panel: stats.Share = field(default_factory=lambda: stats.Share(0, 0))
    panel_gap: stats.MeanGap = field(default_factory=lambda: stats.MeanGap(None, 0))
    decision: stats.Share | None = None  # None: not shown to this reader


@dataclass(frozen=True)
class DimensionReliability:
    pk: int
    name: str
    profile: str
    icc: icc_stats.Icc | None
    ratings: int  # every rating of the dimension in scope, candidates rated once included
    candidates: int  # every candidate rated on it, once or more


@dataclass(frozen=True)
class TrendPoint:
    fitted_at: dt.datetime
    leniency: float
    low: float
    high: float
    ratings: int


@dataclass
class InterviewerReport:
    scope: Scope
    period: str
    since: dt.datetime | None
    rows: list[InterviewerRow]
    dimensions: list[DimensionReliability]


def _interval(value: float, se: float, ratings: int) -> Leniency:
    return Leniency(value, value - Z95 * se, value + Z95 * se, ratings)


def _name(first: str, last: str, username: str, email: str) -> str:
    return f"{first} {last}".strip() or email or username


def interviewer_report(
    *, user: User, period: str = DEFAULT_PERIOD, person_id: int | None = None
) -> InterviewerReport:
    """The report as ``user`` may read it, over interviews that ended in ``period``;
    ``person_id`` narrows it to one person (a 404 if the reader may not see them)."""
    scope = scope_for(user)
    period = period if period in PERIODS else DEFAULT_PERIOD
    days = PERIODS[period]
    now = timezone.now()
    since = now - dt.timedelta(days=days) if days is not None else None
    people = scope.people
    if person_id is not None:
        people = people.filter(pk=person_id)
    rows = {
        pk: InterviewerRow(pk, _name(first, last, username, email), email)
        for pk, first, last, username, email in people.order_by("pk").values_list(
            "pk", "first_name", "last_name", "username", "email"
        )
    }
    if person_id is not None and not rows:
        raise Http404("No such interviewer among the people you may see.")
    loops = scope.loops
    if since is not None:
        window = Interview.objects.filter(ends_at__gte=since).values("loop_id")
        loops = loops.filter(pk__in=window)
    # The scope is worked out once, into plain ids: nested into every query below, the
    # policy's subqueries left the planner guessing (a test database's stale statistics
    # once turned the seats query into minutes).
    loops = Loop.objects.filter(pk__in=list(loops.values_list("pk", flat=True)))
    person_ids = list(rows)
    _timeliness(rows, person_ids, loops, since, now)
    _leniency(rows, user, person_ids)
    revisions = _revisions(user, loops, since)
    _agreement(rows, user, scope, loops, revisions)
    dimensions = _reliability(revisions)
    return InterviewerReport(scope, period, since, list(rows.values()), dimensions)


def _timeliness(
    rows: dict[int, InterviewerRow],
    person_ids: list[int],
    loops: QuerySet[Loop],
    since: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """Scorecards written, time to feedback and the overdue rate: one query over the seats."""
    first_submitted = (
        Scorecard.objects.filter(
            interview_id=OuterRef("interview_id"),
            interviewer_id=OuterRef("user_id"),
            status=Scorecard.Status.SUBMITTED,
        )
        .order_by()
        .values("first_submitted_at")[:1]
    )  # one per seat: no order (no join) needed
    seats = Panel.objects.filter(
        user__in=person_ids,
        interview__loop__in=loops.values("pk"),
        interview__status__in=FEEDBACK_STATUSES,
    )
    if since is not None:
        seats = seats.filter(interview__ends_at__gte=since)
    per_person: dict[int, list[stats.Seat]] = defaultdict(list)
    for user_id, ended, delay, escalate, submitted in seats.values_list(
        "user_id",
        "interview__ends_at",
        "interview__loop__requisition__first_reminder_after_minutes",
        "interview__loop__requisition__escalate_after_hours",
        Subquery(first_submitted),
    ):
        per_person[user_id].append(
            stats.Seat(ended, dt.timedelta(minutes=delay), submitted, dt.timedelta(hours=escalate))
        )
    for user_id, seat_list in per_person.items():
        row = rows.get(user_id)
        if row is None:
            continue
        row.hours = [
            stats.hours_to_feedback(s.ended, s.submitted)
            for s in seat_list
            if s.submitted is not None
        ]
        row.scorecards = len(row.hours)
        row.feedback = stats.feedback_times(row.hours)
        row.overdue = stats.overdue_rate(seat_list, now)
        row.escalated = stats.overdue_rate(seat_list, now, escalated=True)


def _leniency(rows: dict[int, InterviewerRow], user: User, person_ids: list[int]) -> None:
    """The current leniency, as the policy shows it to ``user`` (their own, to themselves)."""
    current = InterviewerCalibration.objects.filter(interviewer__in=person_ids)
    if not access.administers(user):
        visible_ids = access.visible(user, InterviewerLeniency).values("interviewer_id")
        current = current.filter(interviewer__in=visible_ids)
    for interviewer_id, value, se, ratings in current.values_list(
        "interviewer_id", "leniency", "leniency_se", "ratings"
    ):
        if interviewer_id in rows:
            rows[interviewer_id].leniency = _interval(value, se, ratings)


def _revisions(
    user: User, loops: QuerySet[Loop], since: dt.datetime | None
) -> QuerySet[ScorecardRevision]:
    """The current revisions of the submitted scorecards ``user`` may read in these loops."""
    revisions = ScorecardRevision.objects.filter(
        is_current=True,
        scorecard__status=Scorecard.Status.SUBMITTED,
        scorecard__in=access.visible(user, Scorecard).values("pk"),
        scorecard__interview__loop__in=loops.values("pk"),
        scorecard__interview__status__in=FEEDBACK_STATUSES,
    )
    if since is not None:
        revisions = revisions.filter(scorecard__interview__ends_at__gte=since)
    return revisions


def _trainee_seat() -> Exists:
    """A revision written from a trainee's seat (issue 17): the scorecard measures the
    trainee, but it is not the panel's view and calibrates no one, so it is kept out of the
    others each interviewer is compared with and out of the ICC."""
    return Exists(
        Interview.trainees.through.objects.filter(
            interview_id=OuterRef("scorecard__interview_id"),
            user_id=OuterRef("scorecard__interviewer_id"),
        )
    )


@dataclass
class _Card:
    interviewer_id: int
    loop_id: int
    recommendation: str
    trainee: bool = False
    ratings: list[float] = field(default_factory=list)

    @property
    def mean(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


def _agreement(
    rows: dict[int, InterviewerRow],
    user: User,
    scope: Scope,
    loops: QuerySet[Loop],
    revisions: QuerySet[ScorecardRevision],
) -> None:
    """Agreement with the rest of the panel and with the decision: two queries (the
    scorecards with their mean rating, the decisions)."""
    cards: dict[int, _Card] = {}
    for pk, interviewer_id, loop_id, recommendation, trainee in revisions.annotate(
        trainee=_trainee_seat()
    ).values_list(
        "pk",
        "scorecard__interviewer_id",
        "scorecard__interview__loop_id",
        "overall_recommendation",
        "trainee",
    ):
        cards[pk] = _Card(interviewer_id, loop_id, recommendation, trainee)
    for revision_id, rating in DimensionRating.objects.filter(
        revision__in=revisions.values("pk"), rating__isnull=False
    ).values_list("revision_id", "rating"):
        if revision_id in cards and rating is not None:
            cards[revision_id].ratings.append(float(rating))
    by_loop: dict[int, list[_Card]] = defaultdict(list)
    for card in cards.values():
        by_loop[card.loop_id].append(card)
    outcomes: dict[int, str] = {}
    if scope.sees_decisions:
        outcomes = dict(
            access.visible(user, Decision)
            .filter(is_current=True, loop__in=loops.values("pk"))
            .values_list("loop_id", "outcome")
        )
    views: dict[int, list[stats.PanelView]] = defaultdict(list)
    decided: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for loop_id, panel in by_loop.items():
        for card in panel:
            if card.interviewer_id not in rows:
                continue
            others = [
                c
                for c in panel
                if c is not card and c.interviewer_id != card.interviewer_id and not c.trainee
            ]
            views[card.interviewer_id].append(
                stats.PanelView(
                    card.recommendation,
                    card.mean,
                    [c.recommendation for c in others],
                    [m for m in (c.mean for c in others) if m is not None],
                )
            )
            if loop_id in outcomes:
                decided[card.interviewer_id].append((card.recommendation, outcomes[loop_id]))
    for pk, row in rows.items():
        row.panel = stats.panel_agreement(views.get(pk, []))
        row.panel_gap = stats.panel_gap(views.get(pk, []))
        if scope.sees_decisions:
            row.decision = stats.decision_agreement(decided.get(pk, []))


def _reliability(revisions: QuerySet[ScorecardRevision]) -> list[DimensionReliability]:
    """ICC(1) per dimension, a loop's ratings of it forming one candidate's group (trainees'
    left out): two queries."""
    groups: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for dimension_id, loop_id, rating in DimensionRating.objects.filter(
        revision__in=revisions.filter(~_trainee_seat()).values("pk"), rating__isnull=False
    ).values_list("dimension_id", "revision__scorecard__interview__loop_id", "rating"):
        if rating is not None:
            groups[dimension_id][loop_id].append(float(rating))
    names = {
        pk: (name, profile)
        for pk, name, profile in Dimension.objects.filter(pk__in=list(groups)).values_list(
            "pk", "name", "profile__name"
        )
    }
    out = [
        DimensionReliability(
            pk,
            names.get(pk, ("?", ""))[0],
            names.get(pk, ("?", ""))[1],
            icc_stats.icc_oneway(by_candidate),
            sum(len(v) for v in by_candidate.values()),
            len(by_candidate),
        )
        for pk, by_candidate in groups.items()
    ]
    return sorted(out, key=lambda d: (d.profile, d.name))


# --- One person --------------------------------------------------------------------------------


def leniency_trend(*, user: User, person_id: int) -> list[TrendPoint]:
    """The person's leniency at each kept refit, oldest first (the newest ``TREND_POINTS``)."""
    history = (
        access.visible(user, InterviewerLeniency)
        .filter(interviewer_id=person_id)
        .annotate(fitted_at=F("run__fitted_at"))
        .order_by("-run__fitted_at", "-run_id")
        .values_list("fitted_at", "leniency", "leniency_se", "ratings")[:TREND_POINTS]
    )
    return [
        TrendPoint(at, value, value - Z95 * se, value + Z95 * se, ratings)
        for at, value, se, ratings in reversed(list(history))
    ]


def sort_rows(rows: Iterable[InterviewerRow], key: str) -> list[InterviewerRow]:
    """Sort in memory (the rows are the reader's interviewers, already all computed); rows
    without the figure go last whatever the direction."""
    key = key if key in SORTS else DEFAULT_SORT
    descending = key.startswith("-")
    name = key.lstrip("-")

    def figure(row: InterviewerRow) -> float | None:
        value: float | None
        if name == "scorecards":
            value = float(row.scorecards)
        elif name == "median":
            value = row.feedback.median_hours
        elif name == "p90":
            value = row.feedback.p90_hours
        elif name == "overdue":
            value = row.overdue.rate
        elif name == "escalated":
            value = row.escalated.rate
        elif name == "leniency":
            value = row.leniency.value if row.leniency else None
        elif name == "panel":
            value = row.panel.rate
        elif name == "decision":
            value = row.decision.rate if row.decision else None
        else:
            return None
        return value

    if name == "name":
        return sorted(rows, key=lambda r: (r.name.lower(), r.pk))
    rows = list(rows)
    known = [r for r in rows if figure(r) is not None]
    unknown = [r for r in rows if figure(r) is None]
    known.sort(key=lambda r: (figure(r) or 0.0, r.name.lower()), reverse=descending)
    return known + sorted(unknown, key=lambda r: r.name.lower())
