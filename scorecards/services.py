"""Writes to scorecards. Views, admin actions, the API and tasks call these; the rules live
here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    OuterRef,
    Q,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from hiring import limits, privacy, stages
from hiring.delivery import outbox
from hiring.errors import Invalid, Refused
from hiring.models import Dimension, Interview, Loop, RedFlag, RoleProfile, Signal, User
from scorecards.models import DimensionRating, Recommendation, Scorecard, ScorecardRevision
from scorecards.privacy import (
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
class Held:
    """The ids of the signals and red flags a revision holds."""

    signals: set[int] = field(default_factory=set)
    red_flags: set[int] = field(default_factory=set)


@dataclass
class OwnScorecard:
    """A scorecard whose row this transaction holds, with its revisions read after the lock
    (so a caller that waited for the lock sees what the holder committed), what each of
    them holds of signals and red flags (``held``, by revision id), and the interview's
    focus dimensions once read. After a write it is what the scorecard now is, so the
    writer can show it without reading it again."""

    scorecard: Scorecard
    revisions: list[ScorecardRevision]
    held: dict[int, Held] = field(default_factory=dict)
    focus: list[Dimension] | None = None

    @property
    def draft(self) -> ScorecardRevision | None:
        return next((r for r in self.revisions if r.submitted_at is None), None)

    @property
    def current(self) -> ScorecardRevision | None:
        return next((r for r in self.revisions if r.is_current), None)

    def focus_dimensions(self) -> list[Dimension]:
        """The interview's focus dimensions: the caller's if it has read them, else one
        query."""
        if self.focus is None:
            interview = self.scorecard.interview
            prefetch_related_objects([interview], "focus_dimensions")
            self.focus = list(interview.focus_dimensions.all())
        return self.focus


class _JoinedIds(Aggregate):
    """A group's ids joined by commas: STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite."""

    function = "STRING_AGG"
    template = "%(function)s(CAST(%(expressions)s AS VARCHAR(20)), ',')"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "%(function)s(%(expressions)s, ',')"
        return self.as_sql(compiler, connection, function="GROUP_CONCAT", template=template,
                           **extra_context)  # fmt: skip


def _held_ids(relation: Any) -> Subquery:
    """The ids a revision holds through the many-to-many ``relation``, joined by commas."""
    link = relation.through
    source, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
    return Subquery(
        link.objects.filter(**{source: OuterRef("pk")})
        .order_by()
        .values(source)
        .annotate(ids=_JoinedIds(target))
        .values("ids")
    )


def _ids(joined: str | None) -> set[int]:
    return {int(pk) for pk in (joined or "").split(",") if pk}


def _read_revisions(state: OwnScorecard) -> None:
    """The scorecard's revisions and what each holds of signals and red flags, in one query
    (after the lock)."""
    revisions = (
        state.scorecard.revisions.order_by("number")
        .annotate(
            held_signals=_held_ids(ScorecardRevision.signals),
            held_red_flags=_held_ids(ScorecardRevision.red_flags),
        )
        .all()
    )
    state.revisions = list(revisions)
    state.held = {
        r.pk: Held(_ids(r.held_signals), _ids(r.held_red_flags))  # type: ignore[attr-defined]
        for r in state.revisions
    }


def _lock(scorecard: Scorecard) -> OwnScorecard:
    locked = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if Scorecard.interview.is_cached(scorecard):
        locked.interview = scorecard.interview
    state = OwnScorecard(locked, [])
    _read_revisions(state)
    return state


def _find_locked(interview: Interview, by: User) -> Scorecard | None:
    """``by``'s scorecard of ``interview``, locked, if ``by`` sits on its panel."""
    return (
        Scorecard.objects.select_for_update(of=("self",))
        .filter(interview=interview, interviewer=by, interview__interviewers=by)
        .order_by()
        .first()
    )


def _create_locked(interview: Interview, by: User) -> Scorecard | None:
    """Create ``by``'s scorecard of ``interview`` if ``by`` sits on its panel and it does
    not exist yet, in one statement (the row is new, so no one else sees it until commit,
    and a concurrent first save waits on its key). None when ``by`` is not on the panel or
    a concurrent first save has just created it. Django's ``bulk_create`` returns no id on
    ``ON CONFLICT DO NOTHING``, hence the SQL, which PostgreSQL and SQLite both run."""
    now = timezone.now()
    quote = connection.ops.quote_name
    opts = Scorecard._meta
    panel = Interview._meta.get_field("interviewers")
    assert isinstance(panel, models.ManyToManyField)
    columns = [_column(opts, name) for name in ("interview", "interviewer", "status", "created_at")]
    # Identifiers from the models' metadata, quoted; every value is a parameter.
    table, names = quote(opts.db_table), ", ".join(quote(c) for c in columns)
    panel_table = quote(str(panel.m2m_db_table()))
    panel_interview, panel_user = quote(panel.m2m_column_name()), quote(panel.m2m_reverse_name())
    sql = (
        f"INSERT INTO {table} ({names}) "  # noqa: S608
        f"SELECT %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM {panel_table} "
        f"WHERE {panel_interview} = %s AND {panel_user} = %s) "
        f"ON CONFLICT ({quote(columns[0])}, {quote(columns[1])}) DO NOTHING "
        f"RETURNING {quote(_column(opts, 'id'))}"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    params: list[Any] = [
        interview.pk,
        by.pk,
        Scorecard.Status.DRAFT.value,
        stamp,
        interview.pk,
        by.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = {
        "id": row[0],
        "interview_id": interview.pk,
        "interviewer_id": by.pk,
        "status": Scorecard.Status.DRAFT.value,
        "first_submitted_at": None,
        "last_submitted_at": None,
        "created_at": now,
    }
    return Scorecard.from_db(connection.alias, list(values), list(values.values()))


def _column(opts: Any, name: str) -> str:
    field = opts.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.column)


def _lock_own(interview: Interview, by: User, focus: list[Dimension] | None) -> OwnScorecard:
    """Lock ``by``'s scorecard of ``interview`` and read its revisions (two queries), or
    create it on the first save (one); for a member of the interview's panel only."""
    scorecard = _find_locked(interview, by)
    if scorecard is None:
        created = _create_locked(interview, by)
        if created is not None:
            created.interview = interview
            return OwnScorecard(created, [], focus=focus)
        scorecard = _find_locked(interview, by)  # a concurrent first save made it
        if scorecard is None:
            raise Invalid("Only a member of this interview's panel has a scorecard for it.")
    scorecard.interview = interview  # the caller's, with what it has loaded (profile)
    state = OwnScorecard(scorecard, [], focus=focus)
    _read_revisions(state)
    return state


def _open_draft(state: OwnScorecard) -> ScorecardRevision:
    """The open draft, created on first use as a copy of the current revision (an
    amendment started from the page's button)."""
    draft = state.draft
    if draft is not None:
        return draft
    current = state.current
    draft = ScorecardRevision.objects.create(
        scorecard=state.scorecard,
        number=_next_number(state),
        overall_recommendation=current.overall_recommendation if current else "",
        key_takeaways=current.key_takeaways if current else "",
    )
    held = Held()
    if current is not None:
        held = Held(set(state.held[current.pk].signals), set(state.held[current.pk].red_flags))
        _relink(ScorecardRevision.signals, draft, set(), held.signals)
        _relink(ScorecardRevision.red_flags, draft, set(), held.red_flags)
        _upsert_ratings(draft, {}, 0, copied=current.ratings.all())
    state.revisions.append(draft)
    state.held[draft.pk] = held
    return draft


def _next_number(state: OwnScorecard) -> int:
    return max((r.number for r in state.revisions), default=0) + 1


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
    state: OwnScorecard, content: ScorecardContent
) -> tuple[ScorecardRevision, bool]:
    """Write ``content`` into the open draft, and whether the draft is new. A new draft
    (the first, or an amendment: it starts from the current revision's ratings, while its
    signals and red flags are the content's) is inserted with the content; an existing
    one gets it in memory, and the caller saves its row (``CONTENT_FIELDS``), with a
    submission's fields when it submits, in one UPDATE. Raises ``Invalid`` before writing
    anything."""
    profile = state.scorecard.interview.loop.requisition.profile
    errors = _content_errors(content, state.focus_dimensions(), profile.rating_scale)
    if errors:
        raise Invalid(errors)
    draft = state.draft
    created = draft is None
    copied: Iterable[DimensionRating] = ()
    if draft is None:
        current = state.current
        if current is not None:
            revision_snapshot_prefetch([current], choices=False)  # kept for its snapshot
            copied = current.ratings.all()
        draft = ScorecardRevision.objects.create(
            scorecard=state.scorecard,
            number=_next_number(state),
            overall_recommendation=content.overall_recommendation,
            key_takeaways=content.key_takeaways,
            amendment_reason=content.amendment_reason,
        )
        state.revisions.append(draft)
        state.held[draft.pk] = Held()
    else:
        draft.overall_recommendation = content.overall_recommendation
        draft.key_takeaways = content.key_takeaways
        draft.amendment_reason = content.amendment_reason
    _write_choices(draft, content, profile, state.held[draft.pk])
    _upsert_ratings(draft, content.ratings, profile.rating_scale, copied=copied)
    return draft, created


def _upsert_ratings(
    draft: ScorecardRevision,
    given: Mapping[int, RatingInput],
    scale: int,
    copied: Iterable[DimensionRating] = (),
) -> None:
    """One statement for every rating: ``copied`` ones (an amendment's start) and those
    ``given``; new ones are inserted, existing ones (same revision and dimension) updated in
    place, keeping their id and the scale they were given on."""
    rows = {
        rating.dimension_id: DimensionRating(
            revision=draft,
            dimension_id=rating.dimension_id,
            rating=rating.rating,
            not_assessed=rating.not_assessed,
            evidence=rating.evidence,
            scale_max=rating.scale_max,
        )
        for rating in copied
    }
    for dimension_id, rating in given.items():
        kept = rows.get(dimension_id)
        rows[dimension_id] = DimensionRating(
            revision=draft,
            dimension_id=dimension_id,
            rating=None if rating.not_assessed else rating.rating,
            not_assessed=rating.not_assessed,
            evidence=rating.evidence,
            scale_max=kept.scale_max if kept else scale,
        )
    if rows:
        DimensionRating.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["revision", "dimension"],
            update_fields=["rating", "not_assessed", "evidence"],
        )


def _write_choices(
    draft: ScorecardRevision, content: ScorecardContent, profile: RoleProfile, held: Held
) -> None:
    """The draft's signals and red flags become the profile's among those given (``held``
    is updated to match). Nothing is read or written when they are what the draft holds
    already (an autosave mostly repeats what is saved)."""
    wanted = Held(set(content.signal_ids), set(content.red_flag_ids))
    if wanted == held:
        return
    rows = (
        Signal.objects.filter(profile=profile, pk__in=wanted.signals)
        .order_by()  # SQLite takes no ORDER BY inside a UNION
        .values_list("pk", Value(False))
        .union(
            RedFlag.objects.filter(profile=profile, pk__in=wanted.red_flags)
            .order_by()
            .values_list("pk", Value(True)),
            all=True,
        )
    )
    chosen = Held()
    for pk, is_red_flag in rows:
        (chosen.red_flags if is_red_flag else chosen.signals).add(pk)
    _relink(ScorecardRevision.signals, draft, held.signals, chosen.signals)
    _relink(ScorecardRevision.red_flags, draft, held.red_flags, chosen.red_flags)
    held.signals, held.red_flags = chosen.signals, chosen.red_flags


def _relink(relation: Any, draft: ScorecardRevision, old: set[int], new: set[int]) -> None:
    """Make ``draft``'s links through the many-to-many ``relation`` go to ``new`` rather
    than ``old``: at most a DELETE and an INSERT."""
    link = relation.through
    source, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
    if old - new:
        link.objects.filter(**{source: draft, f"{target}__in": old - new}).delete()
    if new - old:
        link.objects.bulk_create(
            link(**{f"{source}_id": draft.pk, f"{target}_id": pk}) for pk in sorted(new - old)
        )


# --- When a scorecard may be written ---------------------------------------------------------
# A scorecard opens at its interview's start: drafts may be saved earlier (notes taken while
# preparing) unless SCORECARD_EARLY_DRAFTS is off, but nothing is submitted about an
# interview that has not begun. A cancelled or no-show interview's scorecard is read-only.
# The checks read the interview row the caller already holds: no query is added.


def starts_at_words(interview: Interview, user: User) -> str:
    """The interview's start in ``user``'s zone, e.g. "Mon 30 Nov 2026, 14:00 (Europe/London)"."""
    local = timezone.localtime(interview.starts_at, ZoneInfo(user.time_zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({user.time_zone})"


def closed_refusal(interview: Interview) -> str | None:
    """Why ``interview``'s scorecards are read-only, or None while they may be written."""
    if interview.status in Interview.NO_FEEDBACK_STATUSES:
        return (
            f"This interview was {interview.get_status_display().lower()}: "
            "its scorecard is read-only."
        )
    return None


def early_refusal(
    interview: Interview, user: User, *, submitting: bool, now: datetime | None = None
) -> str | None:
    """Why ``user`` may not yet submit (or, without early drafts, save) their scorecard of
    ``interview``, or None once it has begun."""
    if interview.starts_at <= (now or timezone.now()):
        return None
    when = starts_at_words(interview, user)
    if submitting:
        return f"This interview starts at {when}; submit your scorecard after it has begun."
    if not settings.SCORECARD_EARLY_DRAFTS:
        return f"This interview starts at {when}; your scorecard opens when it begins."
    return None


def _check_writable(interview: Interview, user: User, *, submitting: bool) -> None:
    refusal = closed_refusal(interview) or early_refusal(interview, user, submitting=submitting)
    if refusal is not None:
        raise Invalid(refusal)


def _check_nothing_to_write(interview: Interview, user: User, *, submitting: bool) -> None:
    """Refuse, before anything is locked or created, a write that could keep nothing: to a
    cancelled interview, or before the start when not even a draft may be saved yet. (A
    submission before the start with early drafts on keeps its draft: ``_submit`` refuses
    it after writing that.)"""
    closed = closed_refusal(interview)
    if closed is not None:
        raise Invalid(closed)
    if early_refusal(interview, user, submitting=False) is not None:
        raise Invalid(early_refusal(interview, user, submitting=submitting) or "")


def _save_draft(state: OwnScorecard, content: ScorecardContent, by: User) -> ScorecardRevision:
    _check_writable(state.scorecard.interview, by, submitting=False)
    draft, created = _write_content(state, content)
    if not created:
        draft.save(update_fields=CONTENT_FIELDS)
    return draft


def scorecard_save_draft(
    *, scorecard: Scorecard, content: ScorecardContent, by: User
) -> ScorecardRevision:
    """Save whatever was typed, complete or not. Never loses input, never submits."""
    _check_author(scorecard, by)
    with transaction.atomic():
        return _save_draft(_lock(scorecard), content, by)


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
    held: OwnScorecard | None = None,
) -> ScorecardRevision:
    """Submit the open draft, after saving ``content`` into it if given.

    What was typed is saved even when the submission is refused, so a refused submission
    loses nothing. The scorecard row is locked, so a double click, two tabs or a replayed
    POST end in one submission: a later caller finds it submitted and gets that revision
    back. Amending a submitted scorecard must be asked for (``amend=True``) and needs a
    reason; an amendment that repeats the current revision word for word, reason included
    (a retried request), is answered with that revision. ``held``: the caller's
    transaction already holds the scorecard (the form and API paths).
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
    state: OwnScorecard, *, by: User, content: ScorecardContent | None, amend: bool
) -> tuple[ScorecardRevision | None, Invalid | None]:
    """Submit under the lock: the revision, or why not (never raised in here, so that the
    caller's transaction commits the draft that was written)."""
    locked = state.scorecard
    replay = _replayed_submission(state, amend=amend, content=content)
    if replay is not None:
        return replay, None
    refused = _submission_refused(state, by=by, content=content)
    if refused is not None:
        return None, refused
    previous = state.current
    created = False
    if content is not None:
        try:
            draft, created = _write_content(state, content)
        except Invalid as error:
            return None, error
    else:
        found = state.draft
        if found is None:
            return None, Invalid("There is nothing to submit: write the scorecard first.")
        draft = found
    revisions = [draft] if previous is None else [previous, draft]
    # The audit snapshots' ratings (each with its dimension) in one query, and their
    # signals and red flags in another, as written.
    revision_snapshot_prefetch(revisions, choices=False)
    errors = submission_errors(draft, state.focus_dimensions(), amendment=locked.is_submitted)
    if errors:
        if content is not None and not created:
            draft.save(update_fields=CONTENT_FIELDS)
        return None, Invalid(errors)
    choices = revision_choices(revisions)
    now = timezone.now()
    if previous is not None:
        ScorecardRevision.objects.filter(pk=previous.pk).update(is_current=False)
        previous.is_current = False
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


def _submission_refused(
    state: OwnScorecard, *, by: User, content: ScorecardContent | None
) -> Invalid | None:
    """Why the interview does not take a submission now (cancelled, or not begun), or None.
    Before the start, what was typed is kept as a draft when drafts may be saved so early."""
    interview = state.scorecard.interview
    closed = closed_refusal(interview)
    if closed is not None:
        return Invalid(closed)
    early = early_refusal(interview, by, submitting=True)
    if early is None:
        return None
    if content is not None and early_refusal(interview, by, submitting=False) is None:
        try:
            _save_draft(state, content, by)
        except Invalid as error:
            return error
    return Invalid(early)


def _replayed_submission(
    state: OwnScorecard, *, amend: bool, content: ScorecardContent | None = None
) -> ScorecardRevision | None:
    """The current revision when this submit repeats one already made (a retried request),
    else None: a submission of a submitted scorecard that does not ask to amend it, or an
    amendment that repeats the current revision word for word, with the same reason."""
    if not state.scorecard.is_submitted or state.draft is not None:
        return None  # an amendment draft is open: submitting it is a real change
    current = state.current
    if current is None:
        raise ScorecardRevision.DoesNotExist("A submitted scorecard has no current revision.")
    if not amend:
        return current
    if content is None or not content.amendment_reason.strip():
        return None
    revision_snapshot_prefetch([current], choices=False)  # the amendment starts from these
    return current if _repeats(current, state.held[current.pk], content) else None


def _repeats(revision: ScorecardRevision, held: Held, content: ScorecardContent) -> bool:
    given = {
        pk: (None if r.not_assessed else r.rating, r.not_assessed, r.evidence)
        for pk, r in content.ratings.items()
    }
    stored = {
        r.dimension_id: (r.rating, r.not_assessed, r.evidence) for r in revision.ratings.all()
    }
    return (
        given == stored
        and revision.overall_recommendation == content.overall_recommendation
        and revision.key_takeaways == content.key_takeaways
        and revision.amendment_reason == content.amendment_reason
        and held == Held(set(content.signal_ids), set(content.red_flag_ids))
    )


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


# --- The interviewer's own scorecard, by interview (the API) --------------------------------


def scorecard_save_own_draft(
    *, interview: Interview, content: ScorecardContent, by: User
) -> OwnScorecard:
    """``scorecard_save_draft`` of ``by``'s scorecard of ``interview``, created on the
    first save (a panel member's only). Returns the scorecard as it now is."""
    _check_nothing_to_write(interview, by, submitting=False)
    with transaction.atomic():
        state = _lock_own(interview, by, focus=None)
        _save_draft(state, content, by)
    return state


def scorecard_submit_own(
    *, interview: Interview, content: ScorecardContent, by: User, amend: bool
) -> OwnScorecard:
    """``scorecard_submit`` of ``by``'s scorecard of ``interview`` with ``content``.
    Returns the scorecard as it now is; raises like ``scorecard_submit`` (what was typed is
    kept)."""
    _check_nothing_to_write(interview, by, submitting=True)
    refused: ValidationError | None = None
    with transaction.atomic():
        state = _lock_own(interview, by, focus=None)
        try:
            scorecard_submit(scorecard=state.scorecard, by=by, content=content, amend=amend,
                             held=state)  # fmt: skip
        except ValidationError as error:
            refused = error  # the draft written above commits; only the submission is refused
    if refused is not None:
        raise refused
    return state


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


COMPLETE_BATCH = 1000


def interviews_complete_ended(*, now: datetime | None = None) -> int:
    """Scheduled interviews whose end has passed become completed; returns how many. A
    cancellation or no-show is a person's word and stays. Idempotent, in bounded batches
    (the ``(status, ends_at)`` index finds them). Not audited: like the loop's own stages
    (``hiring.stages.advance``), a change nobody made is derived from the clock, and only
    people's changes go on the audit trail."""
    now = now or timezone.now()
    ended = Interview.objects.filter(status=Interview.Status.SCHEDULED, ends_at__lte=now)
    completed = 0
    while ids := list(ended.order_by().values_list("pk", flat=True)[:COMPLETE_BATCH]):
        # The status is checked again by the UPDATE, so a cancellation committed meanwhile
        # (it locks the row) is never overwritten.
        completed += ended.filter(pk__in=ids).update(
            status=Interview.Status.COMPLETED, updated_at=now
        )
    return completed


# --- Web forms -----------------------------------------------------------------------------
# A form is rendered from one state of the scorecard: the number of its current submitted
# revision (0 before the first submission). Posting it back names that number, so a second
# click, another tab or a replayed POST that arrives after the state moved on changes nothing.


class StaleScorecard(Exception):
    """The scorecard was submitted since the form was rendered; nothing was written."""

    def __init__(self, current: ScorecardRevision) -> None:
        super().__init__("This scorecard was submitted since the form was opened.")
        self.current = current


def _lock_for_form(
    interview: Interview, by: User, based_on: int, focus: list[Dimension] | None
) -> OwnScorecard:
    """Lock ``by``'s scorecard of ``interview`` (created on the first save), or raise
    ``StaleScorecard`` when it moved on since the form was rendered from revision
    ``based_on``."""
    state = _lock_own(interview, by, focus)
    current = state.current
    if (current.number if current else 0) != based_on:
        if current is None:
            raise ScorecardRevision.DoesNotExist("The form names a revision never submitted.")
        raise StaleScorecard(current)
    return state


def scorecard_save_draft_from_form(
    *,
    interview: Interview,
    content: ScorecardContent,
    by: User,
    based_on: int,
    focus: list[Dimension] | None = None,
) -> ScorecardRevision:
    """Autosave and "Save draft" of ``by``'s scorecard: like ``scorecard_save_draft``, but
    a late autosave from a page that has since been submitted raises ``StaleScorecard``
    instead of opening an amendment nobody asked for. ``focus``: the interview's focus
    dimensions, if the caller has read them."""
    _check_nothing_to_write(interview, by, submitting=False)
    with transaction.atomic():
        return _save_draft(_lock_for_form(interview, by, based_on, focus), content, by)


def scorecard_submit_from_form(
    *,
    interview: Interview,
    content: ScorecardContent,
    by: User,
    based_on: int,
    focus: list[Dimension] | None = None,
) -> ScorecardRevision:
    """Submit what a form posted: a first submission when ``based_on`` is 0, an amendment
    of revision ``based_on`` otherwise. Raises ``StaleScorecard`` when the scorecard moved
    on since the form was rendered (the replay changes nothing), ``ValidationError`` by
    field when incomplete, in which case what was typed is kept in the draft."""
    _check_nothing_to_write(interview, by, submitting=True)
    refused: ValidationError | None = None
    with transaction.atomic():
        # Held until commit: a concurrent post of the same form waits, then finds it stale.
        state = _lock_for_form(interview, by, based_on, focus)
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
        closed = closed_refusal(state.scorecard.interview)
        if closed is not None:
            raise Invalid(closed)
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
