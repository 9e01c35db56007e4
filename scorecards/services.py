"""Writes to scorecards. Views, admin actions, the API and tasks call these; the rules live
here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.utils import timezone

from hiring import limits, privacy, stages
from hiring.delivery import outbox
from hiring.errors import Invalid, Refused
from hiring.models import Dimension, Interview, Loop, RedFlag, RoleProfile, Signal, User
from scorecards.models import DimensionRating, Recommendation, Scorecard, ScorecardRevision
from scorecards.privacy import (
    Choices,
    revision_choices,
    revision_snapshot,
    revision_snapshot_prefetch,
)


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
    # One query once the scorecard exists and its author is still on the panel (every save
    # after the first); the panel check comes first for a new one.
    scorecard = (
        Scorecard.objects.filter(
            interview=interview, interviewer=interviewer, interview__interviewers=interviewer
        )
        .order_by()
        .first()
    )
    if scorecard is None:
        if not interview.interviewers.filter(pk=interviewer.pk).exists():
            raise Invalid("Only a member of this interview's panel has a scorecard for it.")
        scorecard, _ = Scorecard.objects.get_or_create(interview=interview, interviewer=interviewer)
    scorecard.interview = interview  # the caller's, with what it has loaded (profile, focus)
    return scorecard


@dataclass
class _Locked:
    """A scorecard whose row this transaction holds, with its revisions read after the lock
    (so a caller that waited for the lock sees what the holder committed)."""

    scorecard: Scorecard
    revisions: list[ScorecardRevision]

    @property
    def draft(self) -> ScorecardRevision | None:
        return next((r for r in self.revisions if r.submitted_at is None), None)

    @property
    def current(self) -> ScorecardRevision | None:
        return next((r for r in self.revisions if r.is_current), None)


def _lock(scorecard: Scorecard) -> _Locked:
    locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if Scorecard.interview.is_cached(scorecard):
        locked.interview = scorecard.interview
    return _Locked(locked, list(locked.revisions.order_by("number")))


def _open_draft(state: _Locked, *, content_follows: bool = False) -> ScorecardRevision:
    """The open draft, created on first use; an amendment starts from the current revision.
    ``content_follows``: the caller writes new content into it at once, whose signals and
    red flags replace whatever would be copied, so those are not copied."""
    draft = state.draft
    if draft is not None:
        return draft
    current = state.current
    draft = ScorecardRevision.objects.create(
        scorecard=state.scorecard,
        number=max((r.number for r in state.revisions), default=0) + 1,
        overall_recommendation=current.overall_recommendation if current else "",
        key_takeaways=current.key_takeaways if current else "",
    )
    if current is not None:
        if not content_follows:
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
    state.revisions.append(draft)
    return draft


def _focus(scorecard: Scorecard) -> list[Dimension]:
    """The interview's focus dimensions, read once per interview object (the form's page
    has read them already)."""
    prefetch_related_objects([scorecard.interview], "focus_dimensions")
    return list(scorecard.interview.focus_dimensions.all())


def _content_errors(
    content: ScorecardContent, focus: Iterable[Dimension], scale: int
) -> dict[str, str]:
    """What is wrong with what was typed, by field: checked before anything is written."""
    focus_ids = {dimension.pk for dimension in focus}
    errors: dict[str, str] = {}
    for dimension_id, rating in content.ratings.items():
        if dimension_id not in focus_ids:
            errors["ratings"] = "A rating was given for a dimension this interview does not cover."
        elif rating.rating is not None and not 1 <= rating.rating <= scale:
            errors[f"rating_{dimension_id}"] = (
                f"Choose a rating from 1 to {scale}, or 'not assessed'."
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
    return errors


CONTENT_FIELDS = ["overall_recommendation", "key_takeaways", "amendment_reason", "updated_at"]


def _write_content(
    draft: ScorecardRevision, content: ScorecardContent, held: Choices | None = None
) -> Choices:
    """Write ``content`` into the draft's ratings, signals and red flags, and onto the draft
    in memory: the caller saves the draft row (``CONTENT_FIELDS``), with a submission's
    fields when it submits, in one UPDATE. Raises ``Invalid`` before writing anything.
    ``held``: the draft's signals and red flags if the caller has read them. Returns what
    the draft holds of those after the write."""
    profile = draft.scorecard.interview.loop.requisition.profile
    errors = _content_errors(content, _focus(draft.scorecard), profile.rating_scale)
    if errors:
        raise Invalid(errors)
    draft.overall_recommendation = content.overall_recommendation
    draft.key_takeaways = content.key_takeaways
    draft.amendment_reason = content.amendment_reason
    if held is None:
        held = revision_choices([draft])[draft.pk]
    choices = _write_choices(draft, content, profile, held)
    # One statement for every rating: new ones inserted, existing ones (same revision and
    # dimension) updated in place, keeping their id and the scale they were given on.
    DimensionRating.objects.bulk_create(
        [
            DimensionRating(
                revision=draft,
                dimension_id=dimension_id,
                rating=None if given.not_assessed else given.rating,
                not_assessed=given.not_assessed,
                evidence=given.evidence,
                scale_max=profile.rating_scale,
            )
            for dimension_id, given in content.ratings.items()
        ],
        update_conflicts=True,
        unique_fields=["revision", "dimension"],
        update_fields=["rating", "not_assessed", "evidence"],
    )
    return choices


def _write_choices(
    draft: ScorecardRevision, content: ScorecardContent, profile: RoleProfile, held: Choices
) -> Choices:
    """The draft's signals and red flags become the profile's among those given; a relation
    is rewritten only when it changes (an autosave mostly repeats what is saved). Returns
    what the draft holds now."""
    signals, red_flags = held.signals, held.red_flags
    wanted_signals, wanted_flags = list(content.signal_ids), list(content.red_flag_ids)
    if set(wanted_signals) != set(signals):
        chosen = list(Signal.objects.filter(profile=profile, pk__in=wanted_signals))
        draft.signals.set(chosen)
        signals = {signal.pk: signal.text for signal in chosen}
    if set(wanted_flags) != set(red_flags):
        flagged = list(RedFlag.objects.filter(profile=profile, pk__in=wanted_flags))
        draft.red_flags.set(flagged)
        red_flags = {flag.pk: flag.text for flag in flagged}
    return Choices(signals, red_flags)


def _save_draft(state: _Locked, content: ScorecardContent) -> ScorecardRevision:
    draft = _open_draft(state)
    _write_content(draft, content)
    draft.save(update_fields=CONTENT_FIELDS)
    return draft


def scorecard_save_draft(
    *, scorecard: Scorecard, content: ScorecardContent, by: User
) -> ScorecardRevision:
    """Save whatever was typed, complete or not. Never loses input, never submits."""
    _check_author(scorecard, by)
    with transaction.atomic():
        return _save_draft(_lock(scorecard), content)


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
    held: _Locked | None = None,
) -> ScorecardRevision:
    """Submit the open draft, after saving ``content`` into it if given.

    What was typed is saved even when the submission is refused, so a refused submission
    loses nothing. The scorecard row is locked, so a double click, two tabs or a replayed
    POST end in one submission: a later caller finds it submitted and gets that revision
    back. Amending a submitted scorecard must be asked for (``amend=True``) and needs a
    reason. ``held``: the caller's transaction already holds the scorecard (the form path).
    """
    _check_author(scorecard, by)
    if held is not None:
        revision, refused = _submit(held, by=by, content=content, amend=amend)
    else:
        with transaction.atomic():
            revision, refused = _submit(_lock(scorecard), by=by, content=content, amend=amend)
    if refused is not None:
        raise refused  # after the transaction: what was typed is kept
    assert revision is not None
    return revision


def _submit(
    state: _Locked, *, by: User, content: ScorecardContent | None, amend: bool
) -> tuple[ScorecardRevision | None, Invalid | None]:
    """Submit under the lock: the revision, or why not (never raised in here, so that the
    caller's transaction commits the draft that was written)."""
    locked = state.scorecard
    replay = _replayed_submission(state, amend=amend)
    if replay is not None:
        return replay, None
    previous = state.current
    if content is not None:
        draft: ScorecardRevision | None = _open_draft(state, content_follows=True)
    else:
        draft = state.draft
        if draft is None:
            return None, Invalid("There is nothing to submit: write the scorecard first.")
    assert draft is not None
    revisions = [draft] if previous is None else [previous, draft]
    # The audit snapshots' signals and red flags, read once with what the write compares.
    choices = revision_choices(revisions)
    if content is not None:
        try:
            choices[draft.pk] = _write_content(draft, content, choices[draft.pk])
        except Invalid as error:
            return None, error
    revision_snapshot_prefetch(revisions, choices=False)
    errors = submission_errors(draft, _focus(locked), amendment=locked.is_submitted)
    if errors:
        if content is not None:
            draft.save(update_fields=CONTENT_FIELDS)
        return None, Invalid(errors)
    now = timezone.now()
    if previous is not None:
        ScorecardRevision.objects.filter(pk=previous.pk).update(is_current=False)
    draft.submitted_at = now
    draft.is_current = True
    submitted = ["submitted_at", "is_current"]
    draft.save(
        update_fields=[*CONTENT_FIELDS, *submitted] if content else [*submitted, "updated_at"]
    )
    _mark_submitted(locked, now)
    privacy.audit(
        action="scorecard.amended" if previous else "scorecard.submitted",
        obj=locked,
        by=by,
        candidate_id=_candidate_id(locked),
        before=revision_snapshot(previous, choices[previous.pk]) if previous else None,
        after=revision_snapshot(draft, choices[draft.pk]),
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
    return draft, None


def _replayed_submission(state: _Locked, *, amend: bool) -> ScorecardRevision | None:
    """The current revision when this submit repeats one already made, else None."""
    if not state.scorecard.is_submitted or amend:
        return None
    if state.draft is not None:
        return None  # an amendment draft is open: submitting it is a real change
    current = state.current
    if current is None:
        raise ScorecardRevision.DoesNotExist("A submitted scorecard has no current revision.")
    return current


def _mark_submitted(scorecard: Scorecard, now: datetime) -> None:
    scorecard.last_submitted_at = now
    if scorecard.first_submitted_at is None:
        scorecard.first_submitted_at = now
    scorecard.status = Scorecard.Status.SUBMITTED
    scorecard.save(update_fields=["status", "first_submitted_at", "last_submitted_at"])


def _candidate_id(scorecard: Scorecard) -> int:
    return scorecard.interview.loop.candidate_id


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


def _lock_for_form(interview: Interview, by: User, based_on: int) -> _Locked:
    """Lock ``by``'s scorecard of ``interview`` (created on the first save), or raise
    ``StaleScorecard`` when it moved on since the form was rendered from revision
    ``based_on``. Finding and locking it is one query, for a panel member only."""
    scorecard = (
        Scorecard.objects.select_for_update(of=("self",))
        .filter(interview=interview, interviewer=by, interview__interviewers=by)
        .order_by()
        .first()
    )
    if scorecard is None:
        scorecard = scorecard_get_or_create(interview=interview, interviewer=by)
        scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    scorecard.interview = interview
    state = _Locked(scorecard, list(scorecard.revisions.order_by("number")))
    current = state.current
    if (current.number if current else 0) != based_on:
        if current is None:
            raise ScorecardRevision.DoesNotExist("The form names a revision never submitted.")
        raise StaleScorecard(current)
    return state


def scorecard_save_draft_from_form(
    *, interview: Interview, content: ScorecardContent, by: User, based_on: int
) -> ScorecardRevision:
    """Autosave and "Save draft" of ``by``'s scorecard: like ``scorecard_save_draft``, but
    a late autosave from a page that has since been submitted raises ``StaleScorecard``
    instead of opening an amendment nobody asked for."""
    with transaction.atomic():
        return _save_draft(_lock_for_form(interview, by, based_on), content)


def scorecard_submit_from_form(
    *, interview: Interview, content: ScorecardContent, by: User, based_on: int
) -> ScorecardRevision:
    """Submit what a form posted: a first submission when ``based_on`` is 0, an amendment
    of revision ``based_on`` otherwise. Raises ``StaleScorecard`` when the scorecard moved
    on since the form was rendered (the replay changes nothing), ``ValidationError`` by
    field when incomplete, in which case what was typed is kept in the draft."""
    refused: ValidationError | None = None
    with transaction.atomic():
        # Held until commit: a concurrent post of the same form waits, then finds it stale.
        state = _lock_for_form(interview, by, based_on)
        try:
            revision = scorecard_submit(
                scorecard=state.scorecard,
                by=by,
                content=content,
                amend=based_on > 0,
                held=state,
            )
        except ValidationError as error:
            refused = error  # the draft written above commits; only the submission is refused
    if refused is not None:
        raise refused
    return revision


def scorecard_start_amendment(*, scorecard: Scorecard, by: User) -> ScorecardRevision:
    """Open a new revision of a submitted scorecard, copied from the current one."""
    _check_author(scorecard, by)
    with transaction.atomic():
        state = _lock(scorecard)
        if not state.scorecard.is_submitted:
            raise Invalid("Only a submitted scorecard can be amended.")
        return _open_draft(state)


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
