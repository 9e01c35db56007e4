"""Predictive validity (issue 18): for a role profile, how well each dimension's calibrated
score, the calibrated overall and each interviewer's own rating predicted what happened after
the hire, with a bootstrap interval and the number of hires behind each figure, and the
dimension weights those figures suggest (shown beside the current ones, never applied).

The maths is ``scorecards.analytics.stats.validity`` (its docstring says how the outcome,
the interval, the minimum n, the noisy flag and the suggestion are decided); this module
reads what a reader may see and hands it over.

Who reads what (``hiring.access`` decides every part):

- a superuser: every hire of every requisition;
- a recruiter or hiring manager (``read_validity``: they see outcomes and summaries of their
  requisitions, DESIGN §6): the hires of *their* requisitions of the profile, and only hires
  whose summary they may read (``visible(user, LoopSummary)``: the blind rule) and whose
  outcomes they may read (``visible(user, HireOutcome)``);
- the per-interviewer rows (each interviewer's own predictive record: their performance data)
  only superusers and the profile's recruiters (``read_interviewer_validity``), never a
  hiring manager as such, and computed only from hires of the requisitions the reader
  recruits for;
- anyone else, interviewers included: a 404. Outcomes never reach interviewers.

Per hire, the scores are those of its stored summary (``LoopSummary``): each dimension's
calibrated score (the mean of its leniency-corrected ratings; deliberately not the
precision-aware ``shrunk`` one, see ``_dimension_score``) and the calibrated overall. An
interviewer's own rating of a hire is the mean of the ratings on their current, submitted
scorecards for that loop (a trainee seat's excepted, as in the summaries). A fixed number
of queries, however many hires.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404

from hiring import access
from hiring.models import Decision, Dimension, HireOutcome, Interview, Loop, RoleProfile, User
from scorecards.analytics.stats import validity as stats
from scorecards.models import DimensionRating, LoopSummary, Scorecard

ALL = "all"  # the "every role profile" choice: the overall and interviewers, no dimensions
RANGE_RESTRICTION = (
    "Only hires have outcomes, so these figures come from people the interview already "
    "rated well: the range of scores is narrow, and a narrow range hides how well a score "
    "separates strong from weak candidates. Read them as lower bounds of the interview's "
    "real validity, and compare figures with each other rather than with a textbook "
    "threshold. Hiring on the overall also makes a dimension that does not predict look "
    "slightly negative among hires (a high score there stood in for a lower one elsewhere)."
)


def min_hires() -> int:
    return int(getattr(settings, "VALIDITY_MIN_HIRES", stats.DEFAULT_MIN_N))


def resamples() -> int:
    return int(getattr(settings, "VALIDITY_RESAMPLES", stats.DEFAULT_RESAMPLES))


@dataclass(frozen=True)
class DimensionRow:
    slug: str
    name: str
    weight: float
    figure: stats.Correlation
    advice: stats.WeightAdvice | None


@dataclass(frozen=True)
class InterviewerRow:
    user_id: int
    name: str
    comparison: stats.PanelComparison


@dataclass(frozen=True)
class ValidityReport:
    profile: RoleProfile | None  # None: every role profile
    profiles: list[RoleProfile]  # what the reader may pick
    hired: int  # hires the reader may see
    with_outcome: int  # of those, hires with an outcome to correlate
    overall: stats.Correlation
    dimensions: list[DimensionRow]
    suggestion: bool  # whether any weight is suggested
    interviewers: list[InterviewerRow] | None  # None: not the reader's to see
    interviewers_below_min_n: int
    min_n: int
    resamples: int
    level: float
    method: str

    @property
    def noisy(self) -> list[InterviewerRow]:
        return [row for row in self.interviewers or [] if row.comparison.noisy]

    @property
    def profile_key(self) -> str:
        return str(self.profile.pk) if self.profile else ALL


def readable_profiles(user: User) -> QuerySet[RoleProfile]:
    """The role profiles whose validity ``user`` may read (``read_validity``), by name."""
    if access.administers(user):
        return RoleProfile.objects.order_by("name", "pk")
    return RoleProfile.objects.filter(
        pk__in=access.requisitions_staffed(user).values("profile_id")
    ).order_by("name", "pk")


def _hired_loops(user: User, profile: RoleProfile | None) -> QuerySet[Loop]:
    """Hires (a current "hire" decision) whose summary and outcomes ``user`` may read."""
    loops = Loop.objects.filter(
        Exists(
            Decision.objects.filter(
                loop=OuterRef("pk"), is_current=True, outcome=Decision.Outcome.HIRE
            )
        ),
        pk__in=access.visible(user, LoopSummary).values("loop_id"),
    )
    if profile is not None:
        loops = loops.filter(requisition__profile=profile)
    return loops


def _dimension_score(values: Mapping[str, Any]) -> float | None:
    """A summary's score for one dimension: the mean of its leniency-corrected ratings
    (``calibrated``), not the precision-aware ``shrunk`` estimate, which is pulled toward the
    candidate's overall level and so carries the other dimensions' signal: every dimension
    would inherit the overall's validity, and a noise dimension would look predictive."""
    value = values.get("calibrated")
    return None if value is None else float(value)


def _own_ratings(loop_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    """loop -> interviewer key -> the mean of their current submitted ratings there."""
    trainee_seat = Interview.trainees.through.objects.filter(
        interview_id=OuterRef("revision__scorecard__interview_id"),
        user_id=OuterRef("revision__scorecard__interviewer_id"),
    )
    rows = (
        DimensionRating.objects.filter(
            revision__is_current=True,
            revision__scorecard__status=Scorecard.Status.SUBMITTED,
            revision__scorecard__interview__loop_id__in=list(loop_ids),
            rating__isnull=False,
        )
        .exclude(Exists(trainee_seat))
        .values_list(
            "revision__scorecard__interview__loop_id",
            "revision__scorecard__interviewer_id",
            "rating",
        )
    )
    sums: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for loop_id, interviewer_id, rating in rows:
        if rating is not None:
            sums[loop_id][str(interviewer_id)].append(float(rating))
    return {
        loop_id: {key: sum(values) / len(values) for key, values in people.items()}
        for loop_id, people in sums.items()
    }


def _most_outcomes(user: User, profiles: list[RoleProfile]) -> RoleProfile:
    """The page opens on the profile with the most hires whose outcomes the reader may see
    (ties and none: the first by name), not on one with nothing to show."""
    counts = dict(
        _hired_loops(user, None)
        .filter(pk__in=access.visible(user, HireOutcome).values("loop_id"))
        .values_list("requisition__profile_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("requisition__profile_id", "n")
    )
    return max(profiles, key=lambda p: (counts.get(p.pk, 0), -profiles.index(p)))


def validity_report(user: User, profile_key: str | None) -> ValidityReport:
    """The report for ``profile_key`` (a role profile's id, ``ALL``, or None: the first the
    reader may read). A reader who may read none, or not this one, gets a 404."""
    profiles = list(readable_profiles(user))
    if not profiles:
        raise Http404("No validity report here.")
    profile: RoleProfile | None
    if profile_key == ALL:
        profile = None
    elif profile_key in (None, ""):
        profile = _most_outcomes(user, profiles)
    else:
        assert profile_key is not None
        profile = next((p for p in profiles if str(p.pk) == profile_key), None)
        if profile is None:
            raise Http404("No validity report here.")
    if profile is not None:
        access_ok = access.can(user, "read_validity", profile)
        people_ok = access.can(user, "read_interviewer_validity", profile)
    else:
        access_ok = True  # the reader staffs some requisition: ``profiles`` is not empty
        people_ok = access.administers(user) or access.requisitions_recruited(user).exists()
    if not access_ok:
        raise Http404("No validity report here.")

    hired = _hired_loops(user, profile)
    hired_ids = list(hired.values_list("pk", flat=True))
    checkpoints: dict[int, list[stats.Checkpoint]] = defaultdict(list)
    for loop_id, months, performance, scale_max, employed, regretted in (
        access.visible(user, HireOutcome)
        .filter(loop_id__in=hired_ids)
        .values_list("loop_id", "months", "performance", "scale_max", "still_employed", "regretted")
    ):
        checkpoints[loop_id].append(
            stats.Checkpoint(months, performance, scale_max, employed, regretted)
        )
    outcomes = {
        loop_id: score
        for loop_id, points in checkpoints.items()
        if (score := stats.outcome_score(points)) is not None
    }
    summaries = {
        loop_id: (overall, data)
        for loop_id, overall, data in LoopSummary.objects.filter(
            loop_id__in=list(outcomes)
        ).values_list("loop_id", "calibrated_score", "data")
    }
    own: dict[int, dict[str, float]] = {}
    if people_ok:
        # Interviewers' rows come only from hires of requisitions the reader recruits for
        # (all, for a superuser): a recruiter who also manages another requisition does not
        # read its interviewers' records through this one.
        recruited = (
            summaries
            if access.administers(user)
            else set(
                access.loops_recruited(user)
                .filter(pk__in=list(summaries))
                .values_list("pk", flat=True)
            )
        )
        own = _own_ratings(recruited)
    dimensions = (
        list(Dimension.objects.filter(profile=profile).order_by("order", "pk"))
        if profile is not None
        else []
    )
    hires = []
    for loop_id, outcome in outcomes.items():
        if loop_id not in summaries:
            continue
        overall, data = summaries[loop_id]
        scored = ((data or {}).get("scores") or {}).get("dimensions") or {}
        per_dimension = {
            slug: score
            for slug, values in scored.items()
            if (score := _dimension_score(values)) is not None
        }
        hires.append(
            stats.Hire(
                outcome=outcome,
                overall=overall,
                dimensions=per_dimension,
                interviewers=own.get(loop_id, {}),
            )
        )
    n = min_hires()
    b = resamples()
    analysis = stats.analyse(
        hires,
        weights={d.slug: float(d.weight) for d in dimensions},
        min_n=n,
        resamples=b,
        interviewers=people_ok,
    )
    advice = {a.dimension: a for a in analysis.weights or []}
    rows = [
        DimensionRow(
            slug=d.slug,
            name=d.name,
            weight=float(d.weight),
            figure=analysis.dimensions[d.slug],
            advice=advice.get(d.slug),
        )
        for d in dimensions
    ]
    people: list[InterviewerRow] | None = None
    if people_ok:
        names = {
            user.pk: user.display_name
            for user in User.objects.filter(pk__in=[int(k) for k in analysis.interviewers])
        }
        people = sorted(
            (
                InterviewerRow(int(key), names.get(int(key), f"#{key}"), comparison)
                for key, comparison in analysis.interviewers.items()
            ),
            key=lambda row: (row.comparison.difference or 0.0, row.name),
        )
    return ValidityReport(
        profile=profile,
        profiles=profiles,
        hired=len(hired_ids),
        with_outcome=len(hires),
        overall=analysis.overall,
        dimensions=rows,
        suggestion=analysis.weights is not None,
        interviewers=people,
        interviewers_below_min_n=analysis.interviewers_below_min_n,
        min_n=n,
        resamples=b,
        level=stats.DEFAULT_LEVEL,
        method=stats.DEFAULT_METHOD,
    )


CSV_HEADER = [
    "kind",
    "name",
    "hires",
    "spearman",
    "low",
    "high",
    "pearson",
    "withheld",
    "current_weight",
    "suggested_weight",
    "difference_from_panel",
    "flagged_noisy",
]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _figure_cells(figure: stats.Correlation) -> list[str]:
    return [
        str(figure.n),
        _number(figure.r),
        _number(figure.low),
        _number(figure.high),
        _number(figure.pearson),
        figure.message,
    ]


def csv_rows(report: ValidityReport) -> list[list[str]]:
    """The report as CSV rows (header first): the overall, each dimension, each interviewer
    the reader may see. Names are the caller's to make spreadsheet-safe."""
    rows = [CSV_HEADER, ["overall", "Calibrated overall", *_figure_cells(report.overall)]]
    rows[-1] += ["", "", "", ""]
    for row in report.dimensions:
        rows.append(
            [
                "dimension",
                row.name,
                *_figure_cells(row.figure),
                f"{row.weight:g}",
                "" if row.advice is None else f"{row.advice.suggested:.2f}",
                "",
                "",
            ]
        )
    for person in report.interviewers or []:
        rows.append(
            [
                "interviewer",
                person.name,
                *_figure_cells(person.comparison.own),
                "",
                "",
                _number(person.comparison.difference),
                "yes" if person.comparison.noisy else "no",
            ]
        )
    return rows
