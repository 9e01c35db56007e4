"""Candidates' personal data (DESIGN §7): the audit trail, export, erase on request and
retention.

Every writer of candidates, scorecards and decisions records an ``AuditEvent`` through
``audit()`` in its own transaction. Erasing and the retention sweep share one routine,
``candidate_anonymise``: the person's contact data goes, free text that names them is
masked (scorecard evidence, takeaways, amendment reasons, decision rationales, interview
titles, notification subjects) and the audit trail about them is scrubbed too, while
ratings, recommendations and decisions stay so calibration keeps its history.

Every audit event names the candidate it is about, so a trail, an export or an erasure
finds it without knowing what kind of object changed. Data that other apps keep about a
candidate (the scorecards) is exported and scrubbed by a ``Holder`` those apps register from
their ``AppConfig.ready``: ``hiring`` never imports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import access, limits
from .models import AuditEvent, Candidate, Decision, Interview, Loop, Notification, User

MASK = "[candidate]"
ERASED = "[erased]"
BATCH_SIZE = 100

# Contact data: blanked when a candidate is anonymised. Name and e-mail get placeholders.
BLANKED_FIELDS = (
    "phone",
    "location",
    "current_title",
    "current_company",
    "profile_url",
    "source",
    "recruiter_notes",
)
PERSONAL_FIELDS = ("full_name", "email", *BLANKED_FIELDS)
SNAPSHOT_FIELDS = (*PERSONAL_FIELDS, "time_zone", "anonymised_at")

CANDIDATE = "hiring.candidate"


@dataclass(frozen=True)
class Holder:
    """Personal data about candidates that another app keeps, registered from its
    ``AppConfig.ready`` with ``register_holder``.

    - ``related``: querysets of its rows about the candidate (e-mails about them count too);
    - ``export``: its records about the candidate that the given user may see (ask
      ``hiring.access``), by interview id;
    - ``scrub``: rewrite its free text about the candidate through the given masking
      function (use ``scrub_rows``)."""

    name: str
    related: Callable[[Candidate], list[QuerySet[Any]]]
    export: Callable[[Candidate, User], dict[int, list[dict[str, Any]]]]
    scrub: Callable[[Candidate, Callable[[str], str]], None]


_holders: dict[str, Holder] = {}


def register_holder(holder: Holder) -> None:
    _holders[holder.name] = holder


# --- The audit trail -----------------------------------------------------------------------


def audit(
    *,
    action: str,
    obj: models.Model,
    by: User | None,
    candidate_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who did what to ``obj``, from what to what, and whose personal data it is
    (``candidate_id``; a candidate's own events need not say). Call it inside the
    transaction of the change, so the trail and the change commit (or roll back) together."""
    if isinstance(obj, Candidate):
        candidate_id = obj.pk
    return AuditEvent.objects.create(
        actor=by,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        candidate_id=candidate_id,
        before=before,
        after=after,
    )


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def candidate_snapshot(candidate: Candidate) -> dict[str, Any]:
    return {name: _json(getattr(candidate, name)) for name in SNAPSHOT_FIELDS}


def changes(
    before: dict[str, Any] | None, after: dict[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Only the fields that changed, on both sides (everything when there was no before)."""
    if before is None:
        return None, after
    changed = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


# --- Admin writes --------------------------------------------------------------------------


def candidate_save(*, candidate: Candidate, by: User | None) -> Candidate:
    """Save a candidate typed in the admin (or written by a command: ``by`` None), auditing
    the fields that changed."""
    with transaction.atomic():
        old = None
        if candidate.pk is not None:
            old = Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
        before, after = changes(
            candidate_snapshot(old) if old else None, candidate_snapshot(candidate)
        )
        if old is not None and old.anonymised_at is not None and after:
            raise ValidationError("This candidate was anonymised; their data cannot come back.")
        candidate.save()
        if after:
            action = "candidate.changed" if old else "candidate.created"
            audit(action=action, obj=candidate, by=by, before=before, after=after)
    return candidate


def candidate_delete(*, candidate: Candidate, by: User) -> None:
    """Delete a candidate (a superuser's admin action). The trail keeps who and when, and
    is scrubbed like an erasure so no personal value outlives the person's record."""
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        _scrub_history(locked, _Scrubber.for_candidate(locked))
        audit(action="candidate.deleted", obj=locked, by=by, before={"id": locked.pk})
        locked.delete()


# --- Export --------------------------------------------------------------------------------


def candidate_export(*, candidate: Candidate, by: User) -> dict[str, Any]:
    """What Loopwise holds about one candidate that ``by`` may see, as JSON-ready data.
    Audited. A superuser's export is complete; a recruiter's holds the loops of the
    requisitions they staff, and within them only what ``hiring.access`` shows them (no
    colleague's feedback while they owe a scorecard on that loop)."""
    access.check(by, "change", candidate)
    loops = (
        access.loops_staffed(by)
        .filter(candidate=candidate)
        .select_related("requisition")
        .prefetch_related(
            models.Prefetch(
                "interviews",
                Interview.objects.select_related("case_exercise").prefetch_related(
                    "interviewers", "focus_dimensions"
                ),
            ),
            models.Prefetch(
                "decisions",
                access.visible(by, Decision).select_related("level_offered").order_by("pk"),
            ),
        )
        .order_by("created_at", "pk")
    )
    held = {name: holder.export(candidate, by) for name, holder in _holders.items()}
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "scope": "complete" if by.is_superuser else "the requisitions you recruit for or manage",
        "candidate": {
            "id": candidate.pk,
            **candidate_snapshot(candidate),
            "created_at": _json(candidate.created_at),
            "updated_at": _json(candidate.updated_at),
        },
        "loops": [_loop_export(loop, held) for loop in loops],
    }
    data["audit_events"] = [
        {
            "at": _json(event.at),
            "actor": event.actor.username if event.actor else None,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "before": event.before,
            "after": event.after,
        }
        for event in audit_events_about(candidate, by=by)
        .select_related("actor")
        .order_by("at", "pk")
    ]
    data["notifications"] = [
        {
            "reason": n.reason,
            "recipient_email": n.recipient_email,
            "subject": n.subject,
            "status": n.status,
            "due_at": _json(n.due_at),
            "sent_at": _json(n.sent_at),
        }
        for n in notifications_about(candidate)
        .filter(pk__in=access.visible(by, Notification).values("pk"))
        .order_by("due_at", "pk")
    ]
    with transaction.atomic():
        audit(action="candidate.exported", obj=candidate, by=by)
    return data


def _loop_export(loop: Loop, held: dict[str, dict[int, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        "id": loop.pk,
        "requisition": loop.requisition.title,
        "status": loop.status,
        "created_at": _json(loop.created_at),
        "interviews": [
            {
                "id": interview.pk,
                "title": interview.title,
                "status": interview.status,
                "starts_at": _json(interview.starts_at),
                "ends_at": _json(interview.ends_at),
                "time_zone": interview.time_zone,
                "location": interview.location,
                "video_url": interview.video_url,
                "panel": [user.display_name for user in interview.interviewers.all()],
                "focus_dimensions": [d.slug for d in interview.focus_dimensions.all()],
                "case_exercise": str(interview.case_exercise or "") or None,
                **{name: records.get(interview.pk, []) for name, records in held.items()},
            }
            for interview in loop.interviews.all()
        ],
        "decisions": [
            {
                "id": d.pk,
                "outcome": d.outcome,
                "level_offered": d.level_offered.slug if d.level_offered else None,
                "rationale": d.rationale,
                "decided_at": _json(d.decided_at),
                "is_current": d.is_current,
            }
            for d in loop.decisions.all()
        ],
    }


def audit_events_about(candidate: Candidate, *, by: User | None = None) -> QuerySet[AuditEvent]:
    """The trail of the candidate: their record, their scorecards, the decisions on them; as
    far as ``by`` may see it (everything when ``by`` is None: the erasure's own scrub)."""
    events = AuditEvent.objects.filter(candidate=candidate)
    if by is not None:
        events = events.filter(pk__in=access.visible(by, AuditEvent).values("pk"))
    return events


def notifications_about(candidate: Candidate) -> QuerySet[Notification]:
    """E-mails about the candidate's loops, interviews (and what other apps hold about them,
    such as scorecards), or sent to them."""
    related: list[QuerySet[Any]] = [
        Loop.objects.filter(candidate=candidate),
        Interview.objects.filter(loop__candidate=candidate),
        *(queryset for holder in _holders.values() for queryset in holder.related(candidate)),
    ]
    types = ContentType.objects.get_for_models(*(queryset.model for queryset in related))
    about = Q(recipient_email__iexact=candidate.email)
    for queryset in related:
        about |= Q(content_type=types[queryset.model], object_id__in=queryset.values("pk"))
    return Notification.objects.filter(about)


# --- Erase and anonymise -------------------------------------------------------------------


class _Scrubber:
    """Masks what identifies one candidate in free text and in audit snapshots."""

    def __init__(self, terms: Iterable[str], personal_values: dict[str, str]) -> None:
        words = sorted({t.strip() for t in terms if len(t.strip()) >= 2}, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(_bounded(word) for word in words), re.IGNORECASE) if words else None
        )
        self.personal_values = personal_values

    @classmethod
    def for_candidate(cls, candidate: Candidate) -> _Scrubber:
        name = candidate.full_name
        terms = [name, *name.split(), candidate.email, candidate.phone, candidate.profile_url]
        values = {field: str(getattr(candidate, field)) for field in PERSONAL_FIELDS}
        return cls(terms, values)

    def text(self, value: str) -> str:
        return self.pattern.sub(MASK, value) if self.pattern and value else value

    def snapshot(self, value: Any) -> Any:
        """Personal fields of a candidate snapshot become ``[erased]``; other text masked."""
        if isinstance(value, dict):
            return {
                key: ERASED
                if key in self.personal_values and item not in (None, "", ERASED)
                else self.snapshot(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.snapshot(item) for item in value]
        return self.text(value) if isinstance(value, str) else value


def _bounded(word: str) -> str:
    escaped = re.escape(word)
    start = r"\b" if re.match(r"\w", word) else ""
    end = r"\b" if re.search(r"\w$", word) else ""
    return f"{start}{escaped}{end}"


def scrub_rows(
    queryset: QuerySet[Any], fields: tuple[str, ...], scrub: Callable[[Any], Any]
) -> None:
    """Rewrite ``fields`` of every row through ``scrub``: one read, one bulk write."""
    changed = []
    for row in queryset.only("pk", *fields):
        new = {field: scrub(getattr(row, field)) for field in fields}
        if any(new[field] != getattr(row, field) for field in fields):
            for field, value in new.items():
                setattr(row, field, value)
            changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, list(fields), batch_size=500)


def _scrub_history(candidate: Candidate, scrubber: _Scrubber) -> None:
    """Mask the candidate in everything written about them, audit trail included."""
    for holder in _holders.values():
        holder.scrub(candidate, scrubber.text)
    scrub_rows(Decision.objects.filter(loop__candidate=candidate), ("rationale",), scrubber.text)
    scrub_rows(Interview.objects.filter(loop__candidate=candidate), ("title",), scrubber.text)
    scrub_rows(notifications_about(candidate), ("subject", "last_error"), scrubber.text)
    scrub_rows(audit_events_about(candidate), ("before", "after"), scrubber.snapshot)


def candidate_erase(*, candidate: Candidate, by: User, reason: str) -> bool:
    """Erase a candidate at their request: anonymised at once. Only a recruiter of one of
    their requisitions (or a superuser) may. Returns False when already anonymised."""
    access.check(by, "change", candidate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why (for example, the candidate's request)."})
    limits.check_lengths(reason=(reason, limits.ERASE_REASON))
    return candidate_anonymise(candidate=candidate, by=by, reason=reason)


def candidate_anonymise(*, candidate: Candidate, by: User | None = None, reason: str) -> bool:
    """Replace the candidate's personal data, in one transaction. Idempotent: returns False
    and changes nothing when the candidate is already anonymised."""
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.anonymised_at is not None:
            return False
        scrubber = _Scrubber.for_candidate(locked)
        pending = notifications_about(locked).filter(
            recipient_email__iexact=locked.email, status=Notification.Status.PENDING
        )
        pending.update(status=Notification.Status.CANCELLED)
        _scrub_history(locked, scrubber)
        Notification.objects.filter(recipient_email__iexact=locked.email).update(
            recipient_email=_placeholder_email(locked)
        )
        kind = "Erased" if by is not None else "Anonymised"
        locked.full_name = f"{kind} candidate #{locked.pk}"
        locked.email = _placeholder_email(locked)
        for field in BLANKED_FIELDS:
            setattr(locked, field, "")
        locked.anonymised_at = timezone.now()
        locked.save()
        after = {name: _json(getattr(locked, name)) for name in ("full_name", "email")}
        audit(
            action="candidate.erased" if by is not None else "candidate.anonymised",
            obj=locked,
            by=by,
            before={field: ERASED for field in PERSONAL_FIELDS if scrubber.personal_values[field]},
            after={
                **after,
                "anonymised_at": _json(locked.anonymised_at),
                "reason": scrubber.text(reason),
            },
        )
    candidate.refresh_from_db()
    return True


def _placeholder_email(candidate: Candidate) -> str:
    # .invalid is reserved (RFC 2606): never deliverable, and unique through the id.
    return f"erased-{candidate.pk}@anonymised.invalid"


# --- Retention -----------------------------------------------------------------------------


def expired_candidates(now: datetime) -> QuerySet[Candidate]:
    """Not yet anonymised, every loop decided or withdrawn, the last of those closings older
    than CANDIDATE_RETENTION_DAYS. A loop closed when its current decision was recorded, or
    (withdrawn, or imported history decided without a Decision row) at its last change."""
    cutoff = now - timedelta(days=settings.CANDIDATE_RETENTION_DAYS)
    decided_at = Decision.objects.filter(loop=OuterRef("pk"), is_current=True).values("decided_at")[
        :1
    ]
    last_closing = (
        Loop.objects.filter(candidate=OuterRef("pk"))
        .annotate(closed_at=Coalesce(Subquery(decided_at), F("updated_at")))
        .order_by("-closed_at")
        .values("closed_at")[:1]
    )
    open_loops = Loop.objects.filter(candidate=OuterRef("pk")).exclude(
        status__in=(Loop.Status.DECIDED, Loop.Status.WITHDRAWN)
    )
    return (
        Candidate.objects.filter(anonymised_at__isnull=True)
        .filter(Exists(Loop.objects.filter(candidate=OuterRef("pk"))), ~Exists(open_loops))
        # one subquery, no GREATEST: SQLite's returns NULL as soon as one side is NULL
        .annotate(_closed_at=Subquery(last_closing))
        .filter(_closed_at__lt=cutoff)
    )


def anonymise_expired(now: datetime | None = None, *, batch_size: int = BATCH_SIZE) -> int:
    """Anonymise every candidate whose retention ran out; returns how many. Works in
    batches, each its own transaction whose rows are locked with SKIP LOCKED, so two
    workers share the work and a second run finds nothing left."""
    if settings.CANDIDATE_RETENTION_DAYS <= 0:
        return 0
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                expired_candidates(now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:batch_size]
            )
            for candidate in batch:
                done += candidate_anonymise(candidate=candidate, reason="retention expired")
        if len(batch) < batch_size:
            return done
