"""Recording a hiring decision (DESIGN §2, §6, §7).

Only the requisition's hiring manager (or a superuser) decides. A new decision never edits
the old one: the previous current decision stays as history with ``is_current=False``. The
change is audited and announced through the outbox in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import outbox, privacy
from .models import Decision, Loop, RoleProfile, User


def may_decide(*, user: User, loop: Loop) -> bool:
    return bool(user.is_superuser or loop.requisition.hiring_manager_id == user.pk)


def _snapshot(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.pk,
        "outcome": decision.outcome,
        "level_offered": decision.level_offered.slug if decision.level_offered else None,
        "rationale": decision.rationale,
        "decided_by": decision.decided_by_id,
        "decided_at": decision.decided_at.isoformat(),
    }


def decision_record(
    *,
    loop: Loop,
    outcome: str,
    rationale: str,
    level_offered: RoleProfile | None = None,
    by: User,
) -> Decision:
    """Record ``by``'s decision on ``loop``; the previous one is kept as history.

    Raises PermissionError unless ``by`` is the requisition's hiring manager or a superuser,
    and ValidationError (with field keys) for a missing rationale or an unknown outcome."""
    if not may_decide(user=by, loop=loop):
        raise PermissionError("Only the requisition's hiring manager can record a decision.")
    errors: dict[str, str] = {}
    rationale = (rationale or "").strip()
    if outcome not in Decision.Outcome.values:
        errors["outcome"] = "Choose hire or no hire."
    if not rationale:
        errors["rationale"] = "Write the rationale: why this decision, in a sentence or two."
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        locked = Loop.objects.select_for_update(of=("self",)).get(pk=loop.pk)
        previous = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("level_offered")
            .filter(loop=locked, is_current=True)
            .first()
        )
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        decision = Decision.objects.create(
            loop=locked,
            outcome=outcome,
            level_offered=level_offered,
            rationale=rationale,
            decided_by=by,
            decided_at=timezone.now(),
            is_current=True,
        )
        status_before = locked.status
        locked.status = Loop.Status.DECIDED
        locked.save(update_fields=["status", "updated_at"])
        loop.status = locked.status
        privacy.audit(
            action="decision.recorded",
            obj=decision,
            by=by,
            candidate_id=locked.candidate_id,
            before={"loop_status": status_before, "decision": _snapshot(previous)},
            after={"loop_status": locked.status, "decision": _snapshot(decision)},
        )
        outbox.emit(
            "decision.recorded",
            {
                "decision_id": decision.pk,
                "loop_id": locked.pk,
                "outcome": decision.outcome,
                "previous_decision_id": previous.pk if previous else None,
                "decided_by": by.pk,
            },
        )
    return decision
