"""Reads for interviewers, with the access rules of DESIGN §6 in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from hiring import access
from hiring.models import (
    Dimension,
    Interview,
    Loop,
    RedFlag,
    RoleProfile,
    Signal,
    User,
)
from scorecards.models import DimensionRating, Scorecard, ScorecardRevision


def _submitted(user: User) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(
        interview=OuterRef("pk"), interviewer=user, status=Scorecard.Status.SUBMITTED
    )


def _interviews_of(user: User) -> QuerySet[Interview]:
    return access.panel_interviews(user).select_related(
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


def written_scorecards(*, user: User) -> QuerySet[Scorecard]:
    """The scorecards ``user`` has submitted, newest submission first, each with its
    candidate, interview and requisition, the current revision's recommendation
    (``recommendation``) and how many revisions were submitted (``revision_count``): one
    query for any number of them. Their own only, through the policy (``hiring.access``)."""
    revisions = ScorecardRevision.objects.filter(scorecard=OuterRef("pk")).order_by()
    return (
        access.visible(user, Scorecard)
        .filter(interviewer=user, status=Scorecard.Status.SUBMITTED)
        .select_related("interview__loop__candidate", "interview__loop__requisition")
        .annotate(
            recommendation=Subquery(
                revisions.filter(is_current=True).values("overall_recommendation")[:1]
            ),
            revision_count=Subquery(
                revisions.filter(submitted_at__isnull=False)
                .values("scorecard")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
        )
        .order_by("-last_submitted_at", "-pk")
    )


# --- One object, one access rule -----------------------------------------------------------
# Pages, API views and exports fetch interviews and scorecards through these helpers, so the
# blind rule (DESIGN §6) lives here and nowhere else. Anything not allowed is a 404.


def interview_get_for_interviewer(*, user: User, pk: int) -> Interview:
    """An interview ``user`` sits on the panel of, with what its kit and form need, or 404.
    Owning the requisition (recruiter, hiring manager) is not enough: this is the panel's
    view."""
    queryset = access.panel_interviews(user).select_related(
        "loop__candidate", "loop__requisition__profile", "case_exercise"
    )
    return get_object_or_404(queryset, pk=pk)


def interviews_owing_summary(*, user: User, loop: Loop) -> list[Interview]:
    """The interviews of ``user`` that keep ``loop``'s summary hidden from them (none for a
    superuser): submit these and the summary appears."""
    if access.administers(user):
        return []
    return list(access.owed_interviews(user, loop.pk).order_by("starts_at"))


def scorecard_get_for_user(*, user: User, pk: int) -> Scorecard:
    queryset = access.visible(user, Scorecard).select_related(
        "interviewer", "interview__loop__candidate", "interview__loop__requisition__profile"
    )
    return get_object_or_404(queryset, pk=pk)


def colleague_scorecards_visible(*, user: User, loop: Loop) -> QuerySet[ScorecardRevision]:
    """The current revisions of colleagues' scorecards in ``loop`` that ``user`` may read:
    none until they have submitted their own (``hiring.access``)."""
    # The loop's few visible scorecards first, by id (as ``current_revisions_visible`` does):
    # as a subquery, PostgreSQL planned the blind rule across every revision of the tenant
    # (63 ms on the seeded tenant, for the interviewer's scorecard form and kit).
    visible = list(
        access.visible(user, Scorecard)
        .filter(interview__loop=loop)
        .exclude(interviewer=user)
        .values_list("pk", flat=True)
    )
    return current_revisions_of(Scorecard.objects.filter(pk__in=visible))


def current_revisions_of(scorecards: QuerySet[Scorecard]) -> QuerySet[ScorecardRevision]:
    """The current revisions of ``scorecards`` with their ratings, signals and red flags
    prefetched: a fixed number of queries however many there are."""
    return (
        ScorecardRevision.objects.filter(is_current=True, scorecard__in=scorecards)
        .select_related("scorecard__interviewer", "scorecard__interview")
        .prefetch_related(
            Prefetch("ratings", queryset=DimensionRating.objects.select_related("dimension")),
            "signals",
            "red_flags",
        )
        .order_by("scorecard__interview__starts_at", "scorecard_id")
    )


def scorecard_for_interviewer(*, interview: Interview, user: User) -> Scorecard | None:
    """``user``'s own scorecard for ``interview`` with every revision, or None if not started.
    Call it with an interview from ``interview_get_for_interviewer``."""
    return (
        Scorecard.objects.filter(interview=interview, interviewer=user)
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=ScorecardRevision.objects.order_by("number").prefetch_related(
                    Prefetch(
                        "ratings", queryset=DimensionRating.objects.select_related("dimension")
                    ),
                    "signals",
                    "red_flags",
                ),
            )
        )
        .first()
    )


def status_label(interview: Interview, now: datetime | None = None) -> str:
    """The interview's status in words as a page shows it: a scheduled interview that has
    ended reads "Completed" before the periodic sweep writes it (a GET writes nothing)."""
    if interview.status == Interview.Status.SCHEDULED and interview.ends_at <= (
        now or timezone.now()
    ):
        return str(Interview.Status.COMPLETED.label)
    return str(interview.get_status_display())


@dataclass(frozen=True)
class Slot:
    """One interview of the loop's schedule: title and time, never anyone's scorecard."""

    interview: Interview
    is_mine: bool
    status: str  # in words, as ``status_label``


@dataclass(frozen=True)
class Kit:
    """What an interviewer reads before an interview; never recruiter notes or contact data."""

    interview: Interview
    profile: RoleProfile
    focus: list[Dimension]
    case_dimensions: list[Dimension]
    case_deliverables: list[str]
    schedule: list[Slot]
    strong_signals: list[Signal]
    weak_signals: list[Signal]
    red_flags: list[RedFlag]


def interview_kit(*, interview: Interview, user: User) -> Kit:
    """Call it with an interview from ``interview_get_for_interviewer``."""
    profile = interview.loop.requisition.profile
    now = timezone.now()
    signals = list(profile.signals.all())
    case = interview.case_exercise
    mine = Interview.objects.filter(pk=OuterRef("pk"), interviewers=user)
    schedule = (
        Interview.objects.filter(loop_id=interview.loop_id)
        .only("pk", "title", "starts_at", "ends_at", "status", "loop_id")
        .annotate(is_mine=Exists(mine))
        .order_by("starts_at", "pk")
    )
    return Kit(
        interview=interview,
        profile=profile,
        focus=list(interview.focus_dimensions.order_by("order", "pk")),
        case_dimensions=list(case.dimensions.order_by("order", "pk")) if case else [],
        case_deliverables=[
            line.strip()
            for line in (case.deliverables if case else "").splitlines()
            if line.strip()
        ],
        schedule=[Slot(slot, slot.is_mine, status_label(slot, now)) for slot in schedule],
        strong_signals=[s for s in signals if s.kind == Signal.Kind.STRONG],
        weak_signals=[s for s in signals if s.kind == Signal.Kind.WEAK],
        red_flags=list(profile.red_flags.all()),
    )


def own_scorecard_status(*, interview: Interview, user: User) -> str | None:
    """``"draft"``, ``"submitted"``, or None when ``user`` has not started one."""
    return (
        Scorecard.objects.filter(interview=interview, interviewer=user)
        .values_list("status", flat=True)
        .first()
    )
