"""Erase on request, deletion and retention (DESIGN §7): ``candidate_anonymise`` blanks a
candidate's contact data, deletes their documents (rows and stored files) and masks them in
everything written about them, audit trail included, while ratings and decisions stay for
calibration."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from hiring import access, limits
from hiring.errors import Invalid
from hiring.models import (
    Attachment,
    AuditEvent,
    BookingLink,
    Candidate,
    DebriefComment,
    Decision,
    HireOutcome,
    Interview,
    Loop,
    Notification,
    User,
)
from hiring.privacy.audit import (
    BLANKED_FIELDS,
    HOLDERS,
    PERSONAL_FIELDS,
    audit,
    json_value,
)
from hiring.privacy.export import audit_events_about, notifications_about

logger = logging.getLogger(__name__)

MASK = "[candidate]"
ERASED = "[erased]"
BATCH_SIZE = 100

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
    for holder in HOLDERS.values():
        holder.scrub(candidate, scrubber.text)
    scrub_rows(Decision.objects.filter(loop__candidate=candidate), ("rationale",), scrubber.text)
    scrub_rows(DebriefComment.objects.filter(loop__candidate=candidate), ("body",), scrubber.text)
    scrub_rows(Interview.objects.filter(loop__candidate=candidate), ("title",), scrubber.text)
    scrub_rows(notifications_about(candidate), ("subject", "last_error"), scrubber.text)
    scrub_rows(audit_events_about(candidate), ("before", "after"), scrubber.snapshot)


def _erase_attachments(candidate: Candidate) -> None:
    """Delete the candidate's documents: the rows now, the files from the storage once the
    transaction commits (a rollback keeps both). The trail keeps that they existed, not
    their names, which often carry the person's."""
    attachments = list(Attachment.objects.filter(candidate=candidate))
    scrub_rows(
        AuditEvent.objects.filter(candidate=candidate, object_type="hiring.attachment"),
        ("before", "after"),
        lambda value: (
            {**value, "name": ERASED} if isinstance(value, dict) and "name" in value else value
        ),
    )
    if not attachments:
        return
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    stored = [(a.file.storage, a.file.name) for a in attachments]

    def delete_files() -> None:
        for storage, name in stored:
            delete_stored(storage, [name])

    transaction.on_commit(delete_files)


def _erase_outcomes(candidate: Candidate) -> None:
    """Outcomes after the hire (issue 18) are about the person, not the interviews: they go,
    and the trail keeps that they were recorded (when, by whom), not what they said."""
    HireOutcome.objects.filter(loop__candidate=candidate).delete()
    scrub_rows(
        AuditEvent.objects.filter(candidate=candidate, object_type="hiring.hireoutcome"),
        ("before", "after"),
        lambda value: dict.fromkeys(value, ERASED) if isinstance(value, dict) else value,
    )


def delete_stored(storage: Any, names: list[str]) -> None:
    """Delete files from the storage once the rows are gone; a storage that fails leaves an
    orphan to log, not an error for the person who removed it."""
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete the stored attachment %s", name)


def candidate_erase(*, candidate: Candidate, by: User, reason: str) -> bool:
    """Erase a candidate at their request: anonymised at once. Only a recruiter of one of
    their requisitions (or a superuser) may. Returns False when already anonymised."""
    access.check(by, "change", candidate)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": "Say why (for example, the candidate's request)."})
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
        _erase_attachments(locked)
        _erase_outcomes(locked)
        # Their booking links open nothing any more, and the hours they gave are forgotten.
        BookingLink.objects.filter(loop__candidate=locked).update(
            status=BookingLink.Status.REVOKED, availability=[]
        )
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
        after = {name: json_value(getattr(locked, name)) for name in ("full_name", "email")}
        audit(
            action="candidate.erased" if by is not None else "candidate.anonymised",
            obj=locked,
            by=by,
            before={field: ERASED for field in PERSONAL_FIELDS if scrubber.personal_values[field]},
            after={
                **after,
                "anonymised_at": json_value(locked.anonymised_at),
                "reason": scrubber.text(reason),
            },
        )
    candidate.refresh_from_db()
    return True


def _placeholder_email(candidate: Candidate) -> str:
    # .invalid is reserved (RFC 2606): never deliverable, and unique through the id.
    return f"erased-{candidate.pk}@anonymised.invalid"


def candidate_delete(*, candidate: Candidate, by: User) -> None:
    """Delete a candidate (a superuser's admin action). The trail keeps who and when, and
    is scrubbed like an erasure so no personal value outlives the person's record."""
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        _scrub_history(locked, _Scrubber.for_candidate(locked))
        _erase_attachments(locked)
        _erase_outcomes(locked)
        audit(action="candidate.deleted", obj=locked, by=by, before={"id": locked.pk})
        locked.delete()


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
