"""Recording a hiring decision (DESIGN §2, §6, §7).

The rules live here, not in the pages, the API or the admin that call it: only the
requisition's hiring manager (or a superuser) decides, not while they still owe their own
scorecard on the loop (the blind rule), never on a withdrawn loop or an anonymised
candidate, and a level offered must be on the role's ladder. A new decision never edits the
old one: the previous current decision stays as history with ``is_current=False``. The
change is audited and announced through the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from hiring import access, debriefs, limits, privacy, stages
from hiring.delivery import outbox
from hiring.errors import Invalid, Refused
from hiring.models import Candidate, Decision, Loop, RoleProfile, User
from scorecards.calibration.recommendation import SPLIT_RECOMMENDATIONS
from scorecards.models import LoopSummary


def may_decide(*, user: User, loop: Loop) -> bool:
    return access.can(user, "decide", loop)


def profile_ladder(*, profile: RoleProfile) -> list[RoleProfile]:
    """The ladder ``profile`` sits on, most senior first (one query)."""
    profiles = {p.pk: p for p in RoleProfile.objects.all()}
    above: dict[int, RoleProfile] = {
        p.level_below_id: p for p in profiles.values() if p.level_below_id is not None
    }
    ladder = [profile]
    seen = {profile.pk}
    current = profile
    while current.pk in above and above[current.pk].pk not in seen:
        current = above[current.pk]
        seen.add(current.pk)
        ladder.insert(0, current)
    current = profile
    while current.level_below_id and current.level_below_id not in seen:
        current = profiles[current.level_below_id]
        seen.add(current.pk)
        ladder.append(current)
    return ladder


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


def _reason_codes(reasons: Any) -> set[str]:
    return {r.get("code", "") for r in reasons or [] if isinstance(r, dict)}


def decision_record(
    *,
    loop: Loop,
    outcome: str,
    rationale: str,
    level_offered: RoleProfile | None = None,
    debrief_outcome: str = "",
    attendees: Sequence[User] = (),
    by: User,
) -> Decision:
    """Record ``by``'s decision on ``loop``; the previous one is kept as history.

    Raises PermissionDenied unless ``by`` is the requisition's hiring manager or a superuser
    who does not owe a scorecard on the loop, and ValidationError (with field keys) for a
    missing rationale, an unknown outcome, a level off the role's ladder, a withdrawn loop or
    an anonymised candidate. ``debrief_outcome`` (held, not needed, skipped) and who
    ``attendees`` the debrief are recorded with the decision and audited with it."""
    access.check(by, "decide", loop)
    if access.feedback_withheld_for(by, loop):
        raise Refused(access.BLIND_REFUSAL)
    errors: dict[str, str] = {}
    rationale = (rationale or "").strip()
    if outcome not in Decision.Outcome.values:
        errors["outcome"] = "Choose hire or no hire."
    if not rationale:
        errors["rationale"] = "Write the rationale: why this decision, in a sentence or two."
    errors.update(limits.length_errors(rationale=(rationale, limits.DECISION_RATIONALE)))
    ladder = profile_ladder(profile=loop.requisition.profile)
    if level_offered is not None and level_offered.pk not in {p.pk for p in ladder}:
        errors["level_offered"] = "Offer a level on this role's ladder."
    if level_offered is not None and outcome != Decision.Outcome.HIRE:
        errors["level_offered"] = "A level is offered only with a hire."
    errors.update(debriefs.outcome_errors(loop=loop, outcome=debrief_outcome, attendees=attendees))
    if errors:
        raise Invalid(errors)

    with transaction.atomic():
        locked = Loop.objects.select_for_update(of=("self",)).get(pk=loop.pk)
        if not stages.may_follow(locked.status, Loop.Status.DECIDED):
            raise Invalid({"status": stages.refusal(locked.status, Loop.Status.DECIDED)})
        if Candidate.objects.filter(pk=locked.candidate_id, anonymised_at__isnull=False).exists():
            raise Invalid({"status": "This candidate's data was erased: no decision."})
        previous = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("level_offered")
            .filter(loop=locked, is_current=True)
            .first()
        )
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
        shown = (
            LoopSummary.objects.filter(loop=locked)
            .values_list("recommendation", "data__verdict__reasons")
            .first()
        )
        decision = Decision.objects.create(
            loop=locked,
            outcome=outcome,
            level_offered=level_offered,
            rationale=rationale,
            decided_by=by,
            decided_at=timezone.now(),
            is_current=True,
            recommendation=shown[0] if shown is not None else "",
            panel_split=shown is not None and SPLIT_RECOMMENDATIONS in _reason_codes(shown[1]),
        )
        debriefs.outcome_record(decision=decision, outcome=debrief_outcome, attendees=attendees)
        status_before = locked.status
        # The decision's own audit event records the change of stage.
        stages.advance(loop=locked, to=Loop.Status.DECIDED, by=None)
        loop.status = locked.status
        privacy.audit(
            action="decision.recorded",
            obj=decision,
            by=by,
            candidate_id=locked.candidate_id,
            before={"loop_status": status_before, "decision": _snapshot(previous)},
            after={
                "loop_status": locked.status,
                "decision": _snapshot(decision),
                "debrief": debriefs.outcome_snapshot(debrief_outcome, attendees),
            },
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
