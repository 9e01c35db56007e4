"""The audit trail of personal data (DESIGN §7): ``audit()`` records who did what to which
object, before and after, inside the change's own transaction; ``candidate_save`` is the
audited way to write a candidate. Data other apps keep about candidates is registered here
as a ``Holder`` (from their ``AppConfig.ready``), so export and erasure cover it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet

from hiring.errors import Invalid
from hiring.models import AuditEvent, Candidate, User

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


HOLDERS: dict[str, Holder] = {}


def register_holder(holder: Holder) -> None:
    HOLDERS[holder.name] = holder


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


def json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def candidate_snapshot(candidate: Candidate) -> dict[str, Any]:
    return {name: json_value(getattr(candidate, name)) for name in SNAPSHOT_FIELDS}


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
            raise Invalid("This candidate was anonymised; their data cannot come back.")
        candidate.save()
        if after:
            action = "candidate.changed" if old else "candidate.created"
            audit(action=action, obj=candidate, by=by, before=before, after=after)
    return candidate
