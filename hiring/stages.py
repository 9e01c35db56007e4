"""A loop's stage changes in one place, through one table (DESIGN §6).

The open stages follow the interviews and scorecards (``scorecards.services`` derives them and
may move back and forth among them: an interview added to a loop ready for debrief puts it
back in progress). Deciding and withdrawing close a loop. A closed loop is terminal: only
``loop_reopen``, with a reason, by one of its recruiters, opens it again, and that is audited
like every change of stage a person makes.

Nothing else assigns ``Loop.status``: the services lock the loop row and call ``advance``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hiring import access, limits, privacy
from hiring.delivery import outbox
from hiring.errors import Invalid
from hiring.models import Loop, LoopStageChange, User

S = Loop.Status
OPEN = frozenset(Loop.OPEN_STATUSES)

# stage -> the stages that may follow it.
TRANSITIONS: dict[str, frozenset[str]] = {
    **{stage: OPEN | {S.DECIDED, S.WITHDRAWN} for stage in OPEN},
    S.DECIDED: frozenset({S.DECIDED}),  # a revised decision: the history keeps both
    S.WITHDRAWN: frozenset(),
}
CLOSED = frozenset({S.DECIDED, S.WITHDRAWN})


def may_follow(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def refusal(current: str, new: str) -> str:
    labels = dict(Loop.Status.choices)
    if current == S.WITHDRAWN:
        return "The candidate has withdrawn from this loop; reopen it first."
    if current == S.DECIDED:
        return "This loop is decided; reopen it (with a reason) to change its stage."
    return f"A loop cannot go from “{labels[current]}” to “{labels[new]}”."


def record(*, loop: Loop, before: str, by: User | None) -> None:
    """Write ``loop``'s change from ``before`` (empty: it was just created) to its status into
    the stage history, in the caller's transaction: every change, a person's or the system's."""
    LoopStageChange.objects.create(
        loop=loop, from_status=before, to_status=loop.status, at=timezone.now(), by=by
    )


def advance(*, loop: Loop, to: str, by: User | None, reason: str = "") -> bool:
    """Move ``loop`` (locked by the caller, inside its transaction) to ``to``. Raises
    ValidationError when the table does not allow it; returns whether anything changed. A
    change made by a person (``by``) is audited; every change goes into the stage history."""
    current = loop.status
    if current == to and to != S.DECIDED:
        return False
    if not may_follow(current, to):
        raise Invalid({"status": refusal(current, to)})
    if current == to:
        return False
    loop.status = to
    loop.save(update_fields=["status", "updated_at"])
    record(loop=loop, before=current, by=by)
    if by is not None:
        privacy.audit(
            action="loop.stage_changed",
            obj=loop,
            by=by,
            candidate_id=loop.candidate_id,
            before={"status": current},
            after={"status": to, **({"reason": reason} if reason else {})},
        )
    return True


def loop_reopen(*, loop: Loop, by: User, reason: str) -> Loop:
    """Open a decided or withdrawn loop again, with a reason, audited. Its stage starts
    again from the interviews (``scheduling`` until the ``loop.reopened`` event's handler
    places it); a decision stays in the history, no longer current."""
    access.check(by, "reopen", loop)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": "Say why the loop reopens."})
    limits.check_lengths(reason=(reason, limits.REASON))
    with transaction.atomic():
        locked = Loop.objects.select_for_update().get(pk=loop.pk)
        if locked.status not in CLOSED:
            raise Invalid({"status": "This loop is open already."})
        before = locked.status
        locked.status = S.SCHEDULING
        locked.save(update_fields=["status", "updated_at"])
        record(loop=locked, before=before, by=by)
        locked.decisions.filter(is_current=True).update(is_current=False)
        # The scorecards app places the loop in its stage again, after this commits.
        outbox.emit("loop.reopened", {"loop_id": locked.pk})
        privacy.audit(
            action="loop.reopened",
            obj=locked,
            by=by,
            candidate_id=locked.candidate_id,
            before={"status": before},
            after={"status": S.SCHEDULING, "reason": reason},
        )
    loop.status = locked.status
    return locked
