"""Hiring managers' pages (DESIGN §1, §4, §6): the requisition pipeline, the calibrated loop
summary with its decision form, and the side-by-side comparison of a requisition's
candidates. Recruiters of the requisition read summaries and comparisons; only its hiring
manager (or a superuser) records decisions. Everything else is a 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hiring import limits
from hiring.debriefs import invitees
from hiring.decisions import decision_record, may_decide, profile_ladder
from hiring.errors import Invalid, add_to_form
from hiring.limits import LimitedCharField
from hiring.models import Decision, Dimension, Interview, Loop, RoleProfile, User
from scorecards.calibration.recommendation import STRONG_PULL
from scorecards.manager import charts
from scorecards.manager import debriefs as debrief_page
from scorecards.manager import selectors as ms
from scorecards.models import DimensionRating, LoopSummary, Recommendation, ScorecardRevision
from scorecards.selectors import interviews_owing_summary

RECOMMENDATION_WORDS = ms.RECOMMENDATION_LABELS


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# --- Pipeline --------------------------------------------------------------------------------


PIPELINE_SORTS = [
    ("stage", "Stage"),
    ("candidate", "Candidate"),
    ("recommendation", "Recommendation, best first"),
    ("-calibrated", "Calibrated score, best first"),
    ("newest", "Newest loop"),
]


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def pipeline(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = ms.PipelineFilters.from_query(request.GET)
    result = ms.pipeline_for_manager(user=user, filters=filters)
    page = result.page
    for requisition in result.requisitions:
        requisition.filter_query = filters.query(  # type: ignore[attr-defined]
            requisition=requisition.pk, page=""
        )
    context = {
        "pipeline": result,
        "requisitions": result.requisitions,
        "loops": result.loops,
        "page": page,
        "previous_query": filters.query(page=page.previous_page_number())
        if page.has_previous()
        else None,
        "next_query": filters.query(page=page.next_page_number()) if page.has_next() else None,
        "filters": filters,
        "filtered_requisition": next(
            (r for r in result.requisitions if r.pk == filters.requisition), None
        ),
        "stages": Loop.Status.choices,
        "recommendations": list(RECOMMENDATION_WORDS.items()),
        "sorts": PIPELINE_SORTS,
    }
    return render(request, "scorecards/manager/pipeline.html", context)


# --- Loop summary ----------------------------------------------------------------------------


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=Decision.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose hire or no hire."},
    )
    level_offered = forms.ModelChoiceField(
        queryset=RoleProfile.objects.none(),
        required=False,
        empty_label="The requisition's level",
        help_text="Only if you offer a different level from the one advertised.",
    )
    rationale = LimitedCharField(
        max_length=limits.DECISION_RATIONALE,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Write the rationale: why this decision, in a sentence or two."
        },
        help_text="Required. The recruiter and the audit log keep it.",
    )

    def __init__(
        self, *args: Any, ladder: list[RoleProfile], people: list[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        debrief_page.outcome_fields(self, people)
        field = self.fields["level_offered"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = RoleProfile.objects.filter(pk__in=[p.pk for p in ladder]).order_by(
            "-level", "name"
        )
        field.error_messages["invalid_choice"] = "Choose a level from this role's ladder."


@dataclass
class EvidenceItem:
    interviewer: str
    interview: str
    rating: str
    evidence: str


@dataclass
class DimensionView:
    slug: str
    name: str
    must_have: bool
    raw: float | None = None
    calibrated: float | None = None
    low: float | None = None
    high: float | None = None
    n_ratings: int = 0
    against_bar: str = "not rated"
    evidence: list[EvidenceItem] = field(default_factory=list)
    pulled: str = ""  # words when few rated it and the loop's other ratings weigh in


@dataclass
class InterviewerView:
    name: str
    interview: str
    recommendation: str
    leniency: float
    correction: float
    ratings_behind: int
    key_takeaways: str
    strong_signals: list[str]
    weak_signals: list[str]
    red_flags: list[str]


def _against_bar(value: float | None, low: float | None, high: float | None, bar: float) -> str:
    if value is None:
        return "not rated"
    if low is not None and high is not None and low <= bar <= high:
        if value >= bar:
            return "at the bar (within the interval)"
        return "just below the bar (within its uncertainty)"
    return "above the bar" if value >= bar else "below the bar"


def _on_scale(value: float | None, scale_max: int) -> float | None:
    """A score or interval end as pages show it: on the rating scale (1 to ``scale_max``).
    An interval's arithmetic can run past the ends; no rating can, so no reading should.
    The API keeps the raw figures."""
    return None if value is None else min(max(float(value), 1.0), float(scale_max))


@dataclass(frozen=True)
class Shown:
    """A calibrated score and its interval, clipped to the rating scale for display."""

    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(
        cls, value: float | None, low: float | None, high: float | None, scale_max: int
    ) -> Shown:
        return cls(*(_on_scale(x, scale_max) for x in (value, low, high)))


def _summary_context(user: User, loop: Loop, summary: LoopSummary) -> dict[str, Any]:
    profile = loop.requisition.profile
    bar = float(profile.bar)
    dimensions = list(profile.dimensions.all())
    revisions: list[ScorecardRevision] = list(ms.current_revisions_visible(user=user, loop=loop))
    data = summary.data or {}
    scores = data.get("scores", {})
    verdict = data.get("verdict", {})
    views = _dimension_views(dimensions, scores.get("dimensions", {}), bar, profile.rating_scale)
    overall = Shown.of(
        summary.calibrated_score,
        summary.calibrated_low,
        summary.calibrated_high,
        profile.rating_scale,
    )
    grid = _RatingsGrid.of(revisions, views, dict(profile.scale_choices()))
    interviewers = [_interviewer_view(r, data.get("interviewers", {})) for r in revisions]
    rated = [v for v in views if v.calibrated is not None or grid.cells[v.slug]]
    interval_level = float(scores.get("interval_level", 0.95))
    return {
        "loop": loop,
        "profile": profile,
        "summary": summary,
        "bar": bar,
        "recommendation_words": RECOMMENDATION_WORDS.get(
            summary.recommendation, summary.recommendation
        ),
        "provisional_words": RECOMMENDATION_WORDS.get(verdict.get("provisional") or "", ""),
        "partial": summary.scorecards_in < summary.scorecards_expected
        or bool(verdict.get("partial")),
        "reasons": verdict.get("reasons", []),
        "debrief_reasons": verdict.get("debrief_reasons", []),
        "dimensions": views,
        "rated_dimensions": rated,
        "overall": overall,
        "overall_against_bar": _against_bar(overall.value, overall.low, overall.high, bar),
        "interval_pct": round(interval_level * 100),
        "interviewers": interviewers,
        "heatmap": charts.ratings_heatmap(
            rows=[charts.HeatRow(v.slug, v.name, grid.cells[v.slug]) for v in rated],
            columns=grid.columns,
            scale_max=profile.rating_scale,
            scale_labels=profile.labels(),
        ),
        "score_chart": _score_chart(
            rated, summary, overall, bar, profile.rating_scale, interval_level
        ),
        "decisions": ms.decisions_for_loop(loop=loop),
        "may_decide": may_decide(user=user, loop=loop),
        "ladder": profile_ladder(profile=profile),
    }


def _dimension_views(
    dimensions: list[Dimension], dim_scores: dict[str, Any], bar: float, scale_max: int
) -> list[DimensionView]:
    """Every dimension of the profile with its stored scores (empty when nobody rated it),
    calibrated scores and intervals clipped to the scale."""
    views = []
    for dimension in dimensions:
        s = dim_scores.get(dimension.slug, {})
        # The precision-aware (shrunk) score when the summary has one (model ridge-als-2).
        shrunk = s.get("shrunk") is not None
        shown = Shown.of(
            s.get("shrunk" if shrunk else "calibrated"),
            s.get("shrunk_low" if shrunk else "low"),
            s.get("shrunk_high" if shrunk else "high"),
            scale_max,
        )
        view = DimensionView(
            slug=dimension.slug,
            name=dimension.name,
            must_have=dimension.must_have,
            raw=s.get("raw_mean"),
            calibrated=shown.value,
            low=shown.low,
            high=shown.high,
            n_ratings=s.get("n_ratings", 0),
            pulled=_pulled_words(s),
        )
        view.against_bar = _against_bar(view.calibrated, view.low, view.high, bar)
        views.append(view)
    return views


def _pulled_words(score: dict[str, Any]) -> str:
    """Why a dimension's score is not the mean of its ratings, when few rated it."""
    pull, prior = score.get("pull") or 0.0, score.get("prior_mean")
    if pull < STRONG_PULL or prior is None or score.get("calibrated") is None:
        return ""
    n = score.get("n_ratings", 0)
    return (
        f"Only {n} rating{'' if n == 1 else 's'}: the mean of {score['calibrated']:.2f} is pulled "
        f"{round(pull * 100)} % of the way toward this candidate's level ({prior:.2f})."
    )


@dataclass
class _RatingsGrid:
    """The heatmap's columns (one per scorecard) and cells (dimension -> column -> rating).
    Filling it also files each rating's evidence under its dimension's view."""

    columns: list[charts.HeatColumn]
    cells: dict[str, dict[str, float | None]]

    @classmethod
    def of(
        cls, revisions: list[ScorecardRevision], views: list[DimensionView], scale: dict[int, str]
    ) -> _RatingsGrid:
        by_slug = {view.slug: view for view in views}
        grid = cls(columns=[], cells={view.slug: {} for view in views})
        for revision in revisions:
            person = revision.scorecard.interviewer
            interview = revision.scorecard.interview
            column_key = str(revision.pk)
            grid.columns.append(charts.HeatColumn(column_key, person.display_name))
            for rating in revision.ratings.all():
                slug = rating.dimension.slug
                if slug not in by_slug:
                    continue
                grid.cells[slug][column_key] = rating.rating
                if rating.evidence or rating.rating is not None:
                    by_slug[slug].evidence.append(
                        EvidenceItem(
                            person.display_name,
                            interview.title,
                            _rating_label(rating, scale),
                            rating.evidence,
                        )
                    )
        return grid


def _rating_label(rating: DimensionRating, scale: dict[int, str]) -> str:
    if rating.not_assessed:
        return "Not assessed"
    if rating.rating is None:
        return "Not rated"
    return f"{rating.rating} · {scale.get(rating.rating, '')}"


def _interviewer_view(revision: ScorecardRevision, people: dict[str, Any]) -> InterviewerView:
    """One scorecard's interviewer, verdict, signals and the correction their ratings got."""
    person = revision.scorecard.interviewer
    stored = people.get(str(person.pk), {})
    leniency = float(stored.get("leniency", 0.0))
    signals = list(revision.signals.all())
    return InterviewerView(
        name=person.display_name,
        interview=revision.scorecard.interview.title,
        recommendation=(
            Recommendation(revision.overall_recommendation).label
            if revision.overall_recommendation
            else "None given"
        ),
        leniency=leniency,
        correction=-leniency,
        ratings_behind=int(stored.get("ratings_behind_correction", 0)),
        key_takeaways=revision.key_takeaways,
        strong_signals=[s.text for s in signals if s.kind == "strong"],
        weak_signals=[s.text for s in signals if s.kind == "weak"],
        red_flags=[flag.text for flag in revision.red_flags.all()],
    )


def _score_chart(
    rated: list[DimensionView],
    summary: LoopSummary,
    overall: Shown,
    bar: float,
    scale_max: int,
    interval_level: float,
) -> SafeString:
    """Calibrated against raw per rated dimension, and the overall score last."""
    rows = [
        charts.ScoreRow(v.name, v.raw, v.calibrated, v.low, v.high, must_have=v.must_have)
        for v in rated
    ]
    rows.append(
        charts.ScoreRow(
            "Overall (weighted)",
            summary.raw_score,
            overall.value,
            overall.low,
            overall.high,
            overall=True,
        )
    )
    return charts.calibrated_scores(
        rows=rows, bar=bar, scale_max=scale_max, interval_level=interval_level
    )


def _render_withheld(request: HttpRequest, loop: Loop, owed: list[Interview]) -> HttpResponse:
    """The blind rule on the summary page: the reader sits on the panel and owes a scorecard,
    so the scores, reasons and the decision form wait until it is in."""
    context = {
        "loop": loop,
        "owed": owed,
        "decisions": ms.decisions_for_loop(loop=loop),
    }
    status = 403 if request.method == "POST" else 200
    return render(request, "scorecards/manager/loop_summary_withheld.html", context, status=status)


def _render_summary(
    request: HttpRequest,
    loop: Loop,
    form: DecisionForm | None = None,
    status: int = 200,
    comment_form: debrief_page.CommentForm | None = None,
) -> HttpResponse:
    user = _user(request)
    owed = interviews_owing_summary(user=user, loop=loop)
    if owed:
        return _render_withheld(request, loop, owed)
    stored = ms.summary_for_loop(loop=loop)
    if stored.summary is None:
        # The first summary is queued, not computed here: say so, keep the decision at hand.
        context = _pending_context(user, loop)
        template = "scorecards/manager/loop_summary_pending.html"
    else:
        context = _summary_context(user, loop, stored.summary)
        context["stale"] = stored.stale
        template = "scorecards/manager/loop_summary.html"
    whole_thread = request.GET.get("comments") == "all"
    context.update(debrief_page.context(user, loop, comment_form, whole_thread=whole_thread))
    if context["may_decide"] and form is None:
        form = DecisionForm(ladder=context["ladder"], people=context["debrief_invitees"])
    context["form"] = form
    return render(request, template, context, status=status)


def _pending_context(user: User, loop: Loop) -> dict[str, Any]:
    return {
        "loop": loop,
        "profile": loop.requisition.profile,
        "decisions": ms.decisions_for_loop(loop=loop),
        "may_decide": may_decide(user=user, loop=loop),
        "ladder": profile_ladder(profile=loop.requisition.profile),
    }


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def loop_summary(request: HttpRequest, pk: int) -> HttpResponse:
    loop = ms.loop_get_for_reader(user=_user(request), pk=pk)
    return _render_summary(request, loop)


@login_required
@never_cache
@require_POST
def loop_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    loop = ms.loop_get_for_manager(user=user, pk=pk)
    owed = interviews_owing_summary(user=user, loop=loop)
    if owed:
        return _render_withheld(request, loop, owed)
    form = DecisionForm(
        request.POST, ladder=profile_ladder(profile=loop.requisition.profile), people=invitees(loop)
    )
    if form.is_valid():
        try:
            decision_record(
                loop=loop,
                outcome=form.cleaned_data["outcome"],
                rationale=form.cleaned_data["rationale"],
                level_offered=form.cleaned_data["level_offered"],
                debrief_outcome=form.cleaned_data["debrief_outcome"],
                attendees=list(form.cleaned_data["attendees"]),
                by=user,
            )
        except Invalid as error:
            add_to_form(form, error)
        else:
            messages.success(request, "Decision recorded. The recruiter can see it in the admin.")
            return redirect("scorecards:manager_loop", pk=loop.pk)
    return _render_summary(request, loop, form=form, status=400)


# --- Compare ---------------------------------------------------------------------------------


@dataclass
class CompareColumn:
    loop: Loop
    summary: LoopSummary | None  # None while its first summary is being computed
    withheld: bool
    recommendation: str
    scores: dict[str, dict[str, Any]]
    flags: list[str]
    decision: Decision | None
    overall: Shown = Shown(None, None, None)


@login_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    requisition = ms.requisition_get_for_reader(user=user, pk=pk)
    profile = requisition.profile
    dimensions = list(profile.dimensions.all())
    bar = float(profile.bar)
    scale = profile.rating_scale
    chosen = _chosen_loops(request)
    include = frozenset(request.GET.getlist("include")) & frozenset(ms.COMPARE_INCLUDABLE)
    ranking = ms.ranking_for_requisition(
        requisition=requisition, user=user, page=_page_number(request), include=include
    )
    columns: list[CompareColumn] = []
    pairs = ms.summaries_for_requisition(
        requisition=requisition, user=user, loop_ids=chosen, include=include
    )
    for loop, summary in pairs:
        current_decisions: list[Decision] = getattr(loop, "current_decisions", [])
        current = current_decisions[0] if current_decisions else None
        if loop.withheld:  # type: ignore[attr-defined]
            columns.append(CompareColumn(loop, summary, True, "", {}, [], current))
            continue
        if summary is None:
            columns.append(CompareColumn(loop, None, False, "", {}, [], current))
            continue
        dims = summary.data.get("scores", {}).get("dimensions", {})
        verdict = summary.data.get("verdict", {})
        people = summary.data.get("interviewers", {})
        flags = [
            f"Red flag from {person['name']}: {flag}"
            for person in people.values()
            for flag in person.get("red_flags", [])
        ]
        if summary.needs_debrief:
            flags.append("Needs debrief")
        if summary.level_suggestion:
            flags.append(f"Level suggestion: {summary.level_suggestion}")
        if verdict.get("partial"):
            flags.append(
                f"Partial: {summary.scorecards_in} of {summary.scorecards_expected} scorecards"
            )
        columns.append(
            CompareColumn(
                loop=loop,
                summary=summary,
                withheld=False,
                recommendation=RECOMMENDATION_WORDS.get(
                    summary.recommendation, summary.recommendation
                ),
                scores={slug: _compare_cell(score, bar, scale) for slug, score in dims.items()},
                flags=flags,
                decision=current,
                overall=Shown.of(
                    summary.calibrated_score, summary.calibrated_low, summary.calibrated_high, scale
                ),
            )
        )
    rows = [
        {
            "dimension": d,
            "cells": [
                (
                    column,
                    "withheld"
                    if column.withheld
                    else "pending"
                    if column.summary is None
                    else column.scores.get(d.slug),
                )
                for column in columns
            ],
        }
        for d in dimensions
    ]
    shown = {column.loop.pk for column in columns}
    for loop in ranking:
        # The words of each row's recommendation, looked up here: a loop over the words in
        # the template for each of the 50 rows cost a tenth of the page.
        summary = getattr(loop, "summary", None)
        loop.recommendation_words = (  # type: ignore[attr-defined]
            RECOMMENDATION_WORDS.get(summary.recommendation, "") if summary else ""
        )
    context = {
        "requisition": requisition,
        "profile": profile,
        "bar": bar,
        "columns": columns,
        "rows": rows,
        "pending": sum(1 for c in columns if c.summary is None and not c.withheld),
        "ranking": ranking,
        "shown": shown,
        "chosen": bool(chosen),
        "too_many": len(chosen) > ms.COMPARE_MAX,
        "compare_max": ms.COMPARE_MAX,
        "recommendation_words": RECOMMENDATION_WORDS,
        "include": include,
        "page_query": _compare_query(chosen, include),
    }
    return render(request, "scorecards/manager/compare.html", context)


def _compare_cell(score: dict[str, Any], bar: float, scale: int) -> dict[str, Any]:
    """One dimension of one candidate: calibrated score and interval on the scale, and where
    that puts it against the bar."""
    shrunk = score.get("shrunk") is not None  # the precision-aware score (ridge-als-2)
    shown = Shown.of(
        score["shrunk" if shrunk else "calibrated"],
        score["shrunk_low" if shrunk else "low"],
        score["shrunk_high" if shrunk else "high"],
        scale,
    )
    return {
        **score,
        "calibrated": shown.value,
        "low": shown.low,
        "high": shown.high,
        "against_bar": _against_bar(shown.value, shown.low, shown.high, bar),
    }


def _chosen_loops(request: HttpRequest) -> list[int]:
    """The loops ticked for comparison (``?loop=1&loop=2``), in the order given; ids that
    are not numbers are ignored (and ids of other requisitions match nothing)."""
    chosen: list[int] = []
    for value in request.GET.getlist("loop")[:100]:
        pk = ms.whole_number(value)
        if pk is not None and pk not in chosen:
            chosen.append(pk)
    return chosen


def _page_number(request: HttpRequest) -> int:
    number = ms.whole_number(request.GET.get("page", ""))
    return 1 if number is None else number


def _compare_query(chosen: list[int], include: frozenset[str]) -> str:
    """The query string prefix that keeps the chosen columns, and whom the list includes,
    while paging the ranking."""
    kept = [f"include={name}&" for name in ms.COMPARE_INCLUDABLE if name in include]
    return "".join(kept) + "".join(f"loop={pk}&" for pk in chosen)
