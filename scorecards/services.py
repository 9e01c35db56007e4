"""Writes to scorecards. Views, admin actions, the API and tasks call these; the rules live
here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from hiring import limits, privacy, stages
from hiring.delivery import outbox
from hiring.errors import Invalid, Refused
from hiring.models import Dimension, Interview, Loop, RedFlag, Signal, User
from scorecards.models import DimensionRating, Recommendation, Scorecard, ScorecardRevision
from scorecards.privacy import revision_snapshot


@dataclass
class RatingInput:
    rating: int | None = None
    not_assessed: bool = False
    evidence: str = ""


@dataclass
class ScorecardContent:
    """What an interviewer typed: a draft may be partial, a submission must be whole."""

    ratings: Mapping[int, RatingInput] = field(default_factory=dict)  # by dimension id
    overall_recommendation: str = ""
    key_takeaways: str = ""
    signal_ids: Iterable[int] = ()
    red_flag_ids: Iterable[int] = ()
    amendment_reason: str = ""


def scorecard_get_or_create(*, interview: Interview, interviewer: User) -> Scorecard:
    if not interview.interviewers.filter(pk=interviewer.pk).exists():
        raise Invalid("Only a member of this interview's panel has a scorecard for it.")
    scorecard, _ = Scorecard.objects.get_or_create(interview=interview, interviewer=interviewer)
    return scorecard


def _open_draft(scorecard: Scorecard) -> ScorecardRevision:
    """The open draft, created on first use; an amendment starts from the current revision."""
    draft = scorecard.revisions.filter(submitted_at__isnull=True).first()
    if draft is not None:
        return draft
    current = scorecard.revisions.filter(is_current=True).first()
    last_number = scorecard.revisions.order_by("-number").values_list("number", flat=True).first()
    draft = ScorecardRevision.objects.create(scorecard=scorecard, number=(last_number or 0) + 1)
    if current is not None:
        draft.overall_recommendation = current.overall_recommendation
        draft.key_takeaways = current.key_takeaways
        draft.save(update_fields=["overall_recommendation", "key_takeaways"])
        draft.signals.set(current.signals.all())
        draft.red_flags.set(current.red_flags.all())
        DimensionRating.objects.bulk_create(
            DimensionRating(
                revision=draft,
                dimension_id=rating.dimension_id,
                rating=rating.rating,
                not_assessed=rating.not_assessed,
                evidence=rating.evidence,
                scale_max=rating.scale_max,
            )
            for rating in current.ratings.all()
        )
    return draft


def _write_content(draft: ScorecardRevision, content: ScorecardContent) -> None:
    interview = draft.scorecard.interview
    profile = interview.loop.requisition.profile
    focus = {dimension.pk: dimension for dimension in interview.focus_dimensions.all()}
    errors: dict[str, str] = {}
    for dimension_id, rating in content.ratings.items():
        if dimension_id not in focus:
            errors["ratings"] = "A rating was given for a dimension this interview does not cover."
        elif rating.rating is not None and not 1 <= rating.rating <= profile.rating_scale:
            errors[f"rating_{dimension_id}"] = (
                f"Choose a rating from 1 to {profile.rating_scale}, or 'not assessed'."
            )
    if content.overall_recommendation and content.overall_recommendation not in Recommendation:
        errors["overall_recommendation"] = "Choose one of the four recommendations."
    errors.update(
        limits.length_errors(
            key_takeaways=(content.key_takeaways, limits.KEY_TAKEAWAYS),
            amendment_reason=(content.amendment_reason, limits.AMENDMENT_REASON),
            **{
                f"evidence_{pk}": (given.evidence, limits.EVIDENCE)
                for pk, given in content.ratings.items()
            },
        )
    )
    if errors:
        raise Invalid(errors)

    draft.overall_recommendation = content.overall_recommendation
    draft.key_takeaways = content.key_takeaways
    draft.amendment_reason = content.amendment_reason
    draft.save(
        update_fields=["overall_recommendation", "key_takeaways", "amendment_reason", "updated_at"]
    )
    draft.signals.set(Signal.objects.filter(profile=profile, pk__in=list(content.signal_ids)))
    draft.red_flags.set(RedFlag.objects.filter(profile=profile, pk__in=list(content.red_flag_ids)))
    existing = {rating.dimension_id: rating for rating in draft.ratings.all()}
    for dimension_id, given in content.ratings.items():
        row = existing.get(dimension_id) or DimensionRating(
            revision=draft, dimension=focus[dimension_id], scale_max=profile.rating_scale
        )
        row.rating = None if given.not_assessed else given.rating
        row.not_assessed = given.not_assessed
        row.evidence = given.evidence
        row.save()


def scorecard_save_draft(
    *, scorecard: Scorecard, content: ScorecardContent, by: User
) -> ScorecardRevision:
    """Save whatever was typed, complete or not. Never loses input, never submits."""
    _check_author(scorecard, by)
    with transaction.atomic():
        scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        draft = _open_draft(scorecard)
        _write_content(draft, content)
    return draft


def submission_errors(
    draft: ScorecardRevision, focus: Iterable[Dimension], *, amendment: bool
) -> dict[str, str]:
    """Why this draft cannot be submitted yet, by field; empty when it can."""
    errors: dict[str, str] = {}
    ratings = {rating.dimension_id: rating for rating in draft.ratings.all()}
    for dimension in focus:
        rating = ratings.get(dimension.pk)
        if rating is None or (rating.rating is None and not rating.not_assessed):
            errors[f"rating_{dimension.pk}"] = f"Rate {dimension.name} or mark it as not assessed."
        elif rating.rating is not None and not rating.evidence.strip():
            errors[f"evidence_{dimension.pk}"] = (
                f"Write the evidence behind your {dimension.name} rating."
            )
    if not draft.overall_recommendation:
        errors["overall_recommendation"] = "Choose an overall recommendation."
    if amendment and not draft.amendment_reason.strip():
        errors["amendment_reason"] = "Say why you are amending a submitted scorecard."
    return errors


def scorecard_submit(
    *,
    scorecard: Scorecard,
    by: User,
    content: ScorecardContent | None = None,
    amend: bool = False,
) -> ScorecardRevision:
    """Submit the open draft, after saving ``content`` into it if given.

    What was typed is saved in its own transaction first, so a refused submission loses
    nothing. The scorecard row is locked, so a double click, two tabs or a replayed POST
    end in one submission: a later caller finds it submitted and gets that revision back.
    Amending a submitted scorecard must be asked for (``amend=True``) and needs a reason.
    """
    _check_author(scorecard, by)
    if content is not None:
        with transaction.atomic():
            locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
            replay = _replayed_submission(locked, amend=amend)
            if replay is not None:
                return replay
            _write_content(_open_draft(locked), content)
    with transaction.atomic():
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        replay = _replayed_submission(locked, amend=amend)
        if replay is not None:
            return replay
        draft = locked.revisions.filter(submitted_at__isnull=True).first()
        if draft is None:
            raise Invalid("There is nothing to submit: write the scorecard first.")
        focus = list(locked.interview.focus_dimensions.all())
        errors = submission_errors(draft, focus, amendment=locked.is_submitted)
        if errors:
            raise Invalid(errors)
        now = timezone.now()
        previous = locked.revisions.filter(is_current=True).first()
        locked.revisions.filter(is_current=True).update(is_current=False)
        draft.submitted_at = now
        draft.is_current = True
        draft.save(update_fields=["submitted_at", "is_current", "updated_at"])
        _mark_submitted(locked, now)
        privacy.audit(
            action="scorecard.amended" if previous else "scorecard.submitted",
            obj=locked,
            by=by,
            candidate_id=_candidate_id(locked),
            before=revision_snapshot(previous) if previous else None,
            after=revision_snapshot(draft),
        )
        outbox.emit(
            "scorecard.submitted",
            {
                "scorecard_id": locked.pk,
                "revision_id": draft.pk,
                "loop_id": locked.interview.loop_id,
            },
            dedupe_key=f"scorecard.submitted:{draft.pk}",
        )
    return draft


def _replayed_submission(scorecard: Scorecard, *, amend: bool) -> ScorecardRevision | None:
    """The current revision when this submit repeats one already made, else None."""
    if not scorecard.is_submitted or amend:
        return None
    if scorecard.revisions.filter(submitted_at__isnull=True).exists():
        return None  # an amendment draft is open: submitting it is a real change
    return scorecard.revisions.get(is_current=True)


def _mark_submitted(scorecard: Scorecard, now: datetime) -> None:
    scorecard.last_submitted_at = now
    if scorecard.first_submitted_at is None:
        scorecard.first_submitted_at = now
    scorecard.status = Scorecard.Status.SUBMITTED
    scorecard.save(update_fields=["status", "first_submitted_at", "last_submitted_at"])


def _candidate_id(scorecard: Scorecard) -> int:
    return Loop.objects.values_list("candidate_id", flat=True).get(
        interviews=scorecard.interview_id
    )


def _check_author(scorecard: Scorecard, by: User) -> None:
    if scorecard.interviewer_id != by.pk:
        raise Refused("Only the interviewer writes their own scorecard.")


def loop_refresh_status(*, loop_id: int, now: datetime | None = None) -> str:
    """Derive a loop's stage from its interviews and scorecards. Idempotent; decided and
    withdrawn loops keep their status."""
    now = now or timezone.now()
    with transaction.atomic():
        loop = Loop.objects.select_for_update().get(pk=loop_id)
        if loop.status in stages.CLOSED:
            return loop.status
        active = loop.interviews.exclude(status__in=Interview.NO_FEEDBACK_STATUSES)
        counts = active.aggregate(
            total=Count("id", distinct=True),
            started=Count("id", filter=Q(starts_at__lte=now), distinct=True),
            ended=Count("id", filter=Q(ends_at__lte=now), distinct=True),
        )
        expected = active.aggregate(n=Count("interviewers"))["n"]
        submitted = Scorecard.objects.filter(
            interview__in=active, status=Scorecard.Status.SUBMITTED
        ).count()
        if counts["total"] == 0 or counts["started"] == 0:
            status = Loop.Status.SCHEDULING
        elif counts["ended"] < counts["total"]:
            status = Loop.Status.IN_PROGRESS
        elif submitted < expected:
            status = Loop.Status.AWAITING_FEEDBACK
        else:
            status = Loop.Status.READY_FOR_DEBRIEF
        moved = stages.advance(loop=loop, to=status, by=None)
        if moved and status == Loop.Status.READY_FOR_DEBRIEF:
            # Once per transition: the loop row is locked, so racing refreshes serialise
            # and only the one that moved the status announces it.
            outbox.emit(
                "loop.ready_for_debrief",
                {"loop_id": loop.pk, "requisition_id": loop.requisition_id},
            )
    return status


# --- Web forms -----------------------------------------------------------------------------
# A form is rendered from one state of the scorecard: the number of its current submitted
# revision (0 before the first submission). Posting it back names that number, so a second
# click, another tab or a replayed POST that arrives after the state moved on changes nothing.


class StaleScorecard(Exception):
    """The scorecard was submitted since the form was rendered; nothing was written."""

    def __init__(self, current: ScorecardRevision) -> None:
        super().__init__("This scorecard was submitted since the form was opened.")
        self.current = current


def _current_number(scorecard: Scorecard) -> int:
    number = scorecard.revisions.filter(is_current=True).values_list("number", flat=True).first()
    return number or 0


def scorecard_save_draft_from_form(
    *, scorecard: Scorecard, content: ScorecardContent, by: User, based_on: int
) -> ScorecardRevision:
    """Autosave and "Save draft": like ``scorecard_save_draft``, but a late autosave from a
    page that has since been submitted raises ``StaleScorecard`` instead of opening an
    amendment nobody asked for."""
    _check_author(scorecard, by)
    with transaction.atomic():
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        if _current_number(locked) != based_on:
            raise StaleScorecard(locked.revisions.get(is_current=True))
        return scorecard_save_draft(scorecard=locked, content=content, by=by)


def scorecard_submit_from_form(
    *, scorecard: Scorecard, content: ScorecardContent, by: User, based_on: int
) -> ScorecardRevision:
    """Submit what a form posted: a first submission when ``based_on`` is 0, an amendment
    of revision ``based_on`` otherwise. Raises ``StaleScorecard`` when the scorecard moved
    on since the form was rendered (the replay changes nothing), ``ValidationError`` by
    field when incomplete, in which case what was typed is kept in the draft."""
    _check_author(scorecard, by)
    refused: ValidationError | None = None
    with transaction.atomic():
        # Held until commit: a concurrent post of the same form waits, then finds it stale.
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        if _current_number(locked) != based_on:
            raise StaleScorecard(locked.revisions.get(is_current=True))
        try:
            revision = scorecard_submit(
                scorecard=locked, by=by, content=content, amend=based_on > 0
            )
        except ValidationError as error:
            refused = error  # the draft write above commits; only the submission is refused
    if refused is not None:
        raise refused
    return revision


def scorecard_start_amendment(*, scorecard: Scorecard, by: User) -> ScorecardRevision:
    """Open a new revision of a submitted scorecard, copied from the current one."""
    _check_author(scorecard, by)
    with transaction.atomic():
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        if not locked.is_submitted:
            raise Invalid("Only a submitted scorecard can be amended.")
        return _open_draft(locked)


def scorecard_discard_amendment(*, scorecard: Scorecard, by: User) -> None:
    """Drop an open amendment; the submitted revision stays current. A first draft is never
    discarded this way."""
    _check_author(scorecard, by)
    with transaction.atomic():
        locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
        if not locked.is_submitted:
            return
        draft = locked.revisions.filter(submitted_at__isnull=True).first()
        if draft is None:
            return
        privacy.audit(
            action="scorecard.amendment_discarded",
            obj=locked,
            by=by,
            candidate_id=_candidate_id(locked),
            before=revision_snapshot(draft),
            after=None,
        )
        draft.delete()
