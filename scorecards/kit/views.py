"""Interviewers' pages: my interviews, the interview kit, the scorecard form, and the magic
link that opens one interview's kit and form from an e-mail.

Every interview page resolves who is asking once (``_interviewer_page``): the signed-in
user, or the holder of a magic-link grant for *this* interview. Every object then comes
through a selector that applies the access rule, so what is not allowed is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from sesame.utils import get_user as sesame_get_user

from hiring import attachments
from hiring.models import Dimension, Interview, User
from scorecards import magic_links, selectors, services
from scorecards.kit.forms import ScorecardForm, posted_kit
from scorecards.models import Recommendation, Scorecard, ScorecardRevision
from scorecards.selectors import Kit

InterviewView = Callable[[HttpRequest, Interview, User], HttpResponse]


WRITTEN_PAGE_SIZE = 25


@dataclass(frozen=True)
class WrittenRow:
    """One submitted scorecard on the "Written" tab."""

    scorecard: Scorecard
    recommendation: str  # in words


@login_required
def my_interviews(request: HttpRequest) -> HttpResponse:
    """The interviewer's interviews: what they owe and what is coming (the default tab), or
    the scorecards they have written (``?tab=written``), a page of 25 at a time."""
    now = timezone.now()
    user = request.user
    assert isinstance(user, User)
    context: dict[str, object] = {"now": now, "user_time_zone": user.time_zone}
    if request.GET.get("tab") == "written":
        paginator = Paginator(selectors.written_scorecards(user=user), WRITTEN_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        context |= {
            "tab": "written",
            "page": page,
            "written": [
                WrittenRow(scorecard, _recommendation_words(scorecard.recommendation))
                for scorecard in page.object_list
            ],
        }
    else:
        context |= {
            "tab": "upcoming",
            "upcoming": list(selectors.upcoming_interviews(user=user, now=now)),
            "owed": list(selectors.owed_scorecards(user=user, now=now)),
        }
    return render(request, "scorecards/my_interviews.html", context)


def _recommendation_words(value: str | None) -> str:
    return Recommendation(value).label if value in Recommendation.values else "None"


def _acting_user(request: HttpRequest, interview_id: int) -> User | None:
    """The signed-in user, else whoever this session holds a magic-link grant for this
    interview for, else None."""
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        return request.user
    return magic_links.granted_user(request.session, interview_id=interview_id)


def _interviewer_page(
    *, json: bool = False
) -> Callable[[InterviewView], Callable[..., HttpResponse]]:
    def decorate(view: InterviewView) -> Callable[..., HttpResponse]:
        @wraps(view)
        @never_cache
        def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
            user = _acting_user(request, pk)
            if user is None:
                link_expired = magic_links.grant_expired(request.session, interview_id=pk)
                if json:
                    return JsonResponse(
                        {
                            "error": (
                                "Your e-mail link has expired."
                                if link_expired
                                else "You have been signed out."
                            )
                            + " Sign in again in another tab, then save your draft.",
                            "login_url": reverse("login"),
                        },
                        status=401,
                    )
                if link_expired:
                    return _magic_link_expired(request)
                return redirect_to_login(request.get_full_path())
            interview = selectors.interview_get_for_interviewer(user=user, pk=pk)
            return view(request, interview, user)

        return wrapper

    return decorate


def _page_context(request: HttpRequest, user: User, interview: Interview) -> dict[str, object]:
    """What every interview page shows: the zone to show times in, whether the visitor came
    in through a magic link (so the page says what that link does not open), the status as
    time has it, and whether the scorecard may be written yet (the services' own rules:
    ``closed`` says why it is read-only, ``not_open`` why no draft may be saved yet,
    ``submit_opens`` why it cannot be submitted yet)."""
    now = timezone.now()
    return {
        "user_time_zone": user.time_zone,
        "grant_user": None if request.user.is_authenticated else user,
        "interview": interview,
        "status_label": selectors.status_label(interview, now),
        "closed": services.closed_refusal(interview),
        "not_open": services.early_refusal(interview, user, submitting=False, now=now),
        "submit_opens": services.early_refusal(interview, user, submitting=True, now=now),
    }


# --- Interview kit -------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@_interviewer_page()
def interview_kit(request: HttpRequest, interview: Interview, user: User) -> HttpResponse:
    kit = selectors.interview_kit(interview=interview, user=user)
    context = {
        **_page_context(request, user, interview),
        "kit": kit,
        "scorecard_status": selectors.own_scorecard_status(interview=interview, user=user),
        "candidate": interview.loop.candidate,
        "documents": attachments.for_kit(interview, through_link=not request.user.is_authenticated),
    }
    return render(request, "scorecards/kit.html", context)


# --- Scorecard form ------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingView:
    dimension: Dimension
    label: str
    evidence: str


@dataclass(frozen=True)
class RevisionView:
    """A revision ready to print: rating labels from the profile's scale, signals split."""

    revision: ScorecardRevision
    interviewer: User | None
    ratings: list[RatingView]
    strong_signals: list[str]
    weak_signals: list[str]
    red_flags: list[str]
    recommendation: str


def _revision_view(
    revision: ScorecardRevision, scale: dict[int, str], interviewer: User | None = None
) -> RevisionView:
    ratings = []
    for rating in sorted(revision.ratings.all(), key=lambda r: (r.dimension.order, r.dimension_id)):
        if rating.not_assessed:
            label = "Not assessed"
        elif rating.rating is None:
            label = "Not rated"
        else:
            label = f"{rating.rating} · {scale.get(rating.rating, '')}"
        ratings.append(RatingView(rating.dimension, label, rating.evidence))
    signals = list(revision.signals.all())
    return RevisionView(
        revision=revision,
        interviewer=interviewer,
        ratings=ratings,
        strong_signals=[s.text for s in signals if s.kind == "strong"],
        weak_signals=[s.text for s in signals if s.kind == "weak"],
        red_flags=[flag.text for flag in revision.red_flags.all()],
        recommendation=(
            Recommendation(revision.overall_recommendation).label
            if revision.overall_recommendation
            else "None yet"
        ),
    )


def _posted_based_on(request: HttpRequest) -> int:
    try:
        return max(int(request.POST.get("based_on", "0")), 0)
    except ValueError:
        return 0


def _saved_at(user: User) -> str:
    return timezone.localtime(timezone.now(), ZoneInfo(user.time_zone)).strftime("%H:%M")


@dataclass
class _ScorecardState:
    """The interviewer's own scorecard for one interview, as the form page needs it."""

    kit: Kit
    scorecard: Scorecard | None
    revisions: list[ScorecardRevision]
    draft: ScorecardRevision | None
    current: ScorecardRevision | None

    @classmethod
    def load(cls, interview: Interview, user: User) -> _ScorecardState:
        kit = selectors.interview_kit(interview=interview, user=user)
        scorecard = selectors.scorecard_for_interviewer(interview=interview, user=user)
        revisions = list(scorecard.revisions.all()) if scorecard else []
        return cls(
            kit=kit,
            scorecard=scorecard,
            revisions=revisions,
            draft=next((r for r in revisions if r.is_draft), None),
            current=next((r for r in revisions if r.is_current), None),
        )


@require_http_methods(["GET", "HEAD", "POST"])
@_interviewer_page()
def scorecard_form(request: HttpRequest, interview: Interview, user: User) -> HttpResponse:
    here = reverse("scorecards:scorecard", args=[interview.pk])
    if request.method != "POST":
        state = _ScorecardState.load(interview, user)
        writable = services.closed_refusal(interview) is None and (
            services.early_refusal(interview, user, submitting=False) is None
        )
        amending = state.current is not None and state.draft is not None
        form = None
        if writable and (state.draft is not None or state.current is None):
            based_on = state.current.number if state.current else 0
            form = ScorecardForm(
                initial=ScorecardForm.initial_from(state.draft, based_on=based_on),
                kit=state.kit,
                amending=amending,
            )
        return _render_scorecard_form(request, interview, user, state, form, amending, 200)
    # A post reads only what checking and saving it need; the page is read again only to
    # show the errors.
    closed = services.closed_refusal(interview)
    if closed is not None:  # the services refuse it too; this spares reading the form
        messages.error(request, closed)
        return redirect(here)
    posted_based_on = _posted_based_on(request)
    form = ScorecardForm(request.POST, kit=posted_kit(interview), amending=posted_based_on > 0)
    if form.is_valid() and _save_scorecard(request, interview, user, form, posted_based_on):
        return redirect(here)
    # What was typed is in the bound form (and, for a refused submission, the draft).
    state = _ScorecardState.load(interview, user)
    form.show_with(state.kit)
    return _render_scorecard_form(request, interview, user, state, form, posted_based_on > 0, 400)


def _save_scorecard(
    request: HttpRequest,
    interview: Interview,
    user: User,
    form: ScorecardForm,
    based_on: int,
) -> bool:
    """Save the draft or submit it, as the button says; True when the page should reload,
    False when the services' errors are on the form."""
    submitting = request.POST.get("action") == "submit"
    save = (
        services.scorecard_submit_from_form
        if submitting
        else services.scorecard_save_draft_from_form
    )
    try:
        save(
            interview=interview,
            content=form.to_content(),
            by=user,
            based_on=based_on,
            focus=form.kit.focus,
        )
    except services.StaleScorecard:
        messages.info(
            request,
            "This scorecard had already been submitted (from another tab or a repeated "
            "click). Nothing was changed.",
        )
        return True
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    if submitting:
        messages.success(request, "Amendment submitted." if based_on else "Scorecard submitted.")
    else:
        messages.success(request, f"Draft saved at {_saved_at(user)}.")
    return True


def _render_scorecard_form(
    request: HttpRequest,
    interview: Interview,
    user: User,
    state: _ScorecardState,
    form: ScorecardForm | None,
    amending: bool,
    status: int,
) -> HttpResponse:
    if form is not None:
        form.annotate_errors()
    kit, current = state.kit, state.current
    scale = dict(kit.profile.scale_choices())
    colleagues = (
        [
            _revision_view(revision, scale, revision.scorecard.interviewer)
            for revision in selectors.colleague_scorecards_visible(user=user, loop=interview.loop)
        ]
        if current is not None
        else []
    )
    context = {
        **_page_context(request, user, interview),
        "kit": kit,
        "form": form,
        "editing": form is not None,
        "amending": amending,
        "scorecard": state.scorecard,
        "current": _revision_view(current, scale) if current else None,
        "history": [
            _revision_view(revision, scale)
            for revision in reversed(state.revisions)
            if not revision.is_draft
        ],
        "colleagues": colleagues,
        "colleagues_hidden_by_profile": not kit.profile.colleagues_visible_after_submit,
    }
    return render(request, "scorecards/scorecard_form.html", context, status=status)


@require_POST
@_interviewer_page(json=True)
def scorecard_draft(request: HttpRequest, interview: Interview, user: User) -> HttpResponse:
    """Autosave: the same form, posted by scorecard.js while the interviewer types."""
    based_on = _posted_based_on(request)
    form = ScorecardForm(request.POST, kit=posted_kit(interview), amending=based_on > 0)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors_by_field()}, status=400)
    try:
        revision = services.scorecard_save_draft_from_form(
            interview=interview,
            content=form.to_content(),
            by=user,
            based_on=based_on,
            focus=form.kit.focus,
        )
    except services.StaleScorecard:
        return JsonResponse(
            {"error": "This scorecard was submitted since this page was opened. Reload the page."},
            status=409,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return JsonResponse({"errors": form.errors_by_field()}, status=400)
    return JsonResponse({"saved_at": _saved_at(user), "revision": revision.number})


@require_POST
@_interviewer_page()
def scorecard_amend(request: HttpRequest, interview: Interview, user: User) -> HttpResponse:
    """Open an amendment of a submitted scorecard, or discard an open one."""
    scorecard = get_object_or_404(Scorecard, interview=interview, interviewer=user)
    try:
        if request.POST.get("action") == "discard":
            services.scorecard_discard_amendment(scorecard=scorecard, by=user)
            messages.info(request, "Amendment discarded; your submitted scorecard stands.")
        else:
            services.scorecard_start_amendment(scorecard=scorecard, by=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("scorecards:scorecard", pk=interview.pk)


# --- Reading one scorecard -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One scorecard's current revision, for whoever the blind rule lets read it."""
    assert isinstance(request.user, User)
    scorecard = selectors.scorecard_get_for_user(user=request.user, pk=pk)
    if scorecard.interviewer_id == request.user.pk:
        return redirect("scorecards:scorecard", pk=scorecard.interview_id)
    revision = get_object_or_404(
        ScorecardRevision.objects.prefetch_related("ratings__dimension", "signals", "red_flags"),
        scorecard=scorecard,
        is_current=True,
    )
    scale = dict(scorecard.interview.loop.requisition.profile.scale_choices())
    context = {
        "scorecard": scorecard,
        "view": _revision_view(revision, scale, scorecard.interviewer),
        "user_time_zone": request.user.time_zone,
    }
    return render(request, "scorecards/scorecard_detail.html", context)


# --- Magic link ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def magic_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Landing page of a link from an e-mail: grants this session the interview's kit and
    scorecard only, then sends the visitor to the kit (without the token in the URL)."""
    kit_url = reverse("scorecards:kit", args=[pk])
    link_user = sesame_get_user(request, scope=magic_links.scope_for(pk))
    if (
        link_user is not None
        and not Interview.objects.filter(pk=pk, interviewers=link_user).exists()
    ):
        link_user = None  # taken off the panel since the e-mail went out
    if link_user is None:
        return render(
            request,
            "scorecards/magic_link_invalid.html",
            {"login_url": f"{reverse('login')}?next={kit_url}"},
            status=403,
        )
    if request.user.is_authenticated:
        if request.user.pk == link_user.pk:
            return redirect(kit_url)
        return render(
            request,
            "scorecards/magic_link_other_user.html",
            {"link_user": link_user},
            status=403,
        )
    magic_links.grant_interview(
        request.session,
        user=link_user,
        interview_id=pk,
        until=magic_links.link_valid_until(request),
    )
    return redirect(kit_url)


def _magic_link_expired(request: HttpRequest) -> HttpResponse:
    """The page instead of an interview page once the link it was opened from has expired."""
    return render(
        request,
        "scorecards/magic_link_expired.html",
        {"login_url": f"{reverse('login')}?next={request.path}"},
        status=403,
    )
