"""Interview plans (issue 17): which plan a requisition follows, what it covers, and which of
its slots a loop has placed.

- ``plan_for(requisition)``: the requisition's own plan when it has one, else its role
  profile's; a fixed number of queries whatever the plan's size.
- ``plan_coverage(plan)``: the profile's dimensions the plan's slots assess, and the
  must-haves none does.
- ``slot_states(loop)`` / ``next_slot(loop)``: each slot with the live interview that fills
  it (its stored ``plan_slot``, or failing that the same title), and the first still open.
- ``plan_errors(...)``: what makes a plan unusable as a whole (order in a circle, focus from
  another profile, the same position twice), for the admin's formset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Prefetch, Q

from hiring.models import Dimension, Interview, Loop, PlanSlot, Requisition, RoleProfile, User
from hiring.models.plans import choice_errors, order_errors


@dataclass(frozen=True)
class Plan:
    """The slots a requisition's loops follow, in order, and whose plan they are."""

    requisition: Requisition | None
    profile: RoleProfile
    slots: list[PlanSlot]
    source: Literal["requisition", "role_profile"]

    def __bool__(self) -> bool:
        return bool(self.slots)


def _slots() -> Any:
    return PlanSlot.objects.select_related("case_exercise", "after").prefetch_related(
        Prefetch("focus_dimensions", queryset=Dimension.objects.order_by("order", "pk")),
        Prefetch("pool", queryset=User.objects.order_by("first_name", "last_name", "pk")),
    )


def plan_for(requisition: Requisition) -> Plan:
    """The requisition's own plan when it has one slot or more, else its profile's."""
    rows = list(
        _slots()
        .filter(Q(requisition=requisition) | Q(profile_id=requisition.profile_id))
        .order_by("position", "pk")
    )
    own = [slot for slot in rows if slot.requisition_id == requisition.pk]
    if own:
        return Plan(requisition, requisition.profile, own, "requisition")
    shared = [slot for slot in rows if slot.profile_id == requisition.profile_id]
    return Plan(requisition, requisition.profile, shared, "role_profile")


def profile_plan(profile: RoleProfile) -> Plan:
    return Plan(None, profile, list(_slots().filter(profile=profile)), "role_profile")


@dataclass
class PlanCoverage:
    """The profile's dimensions, split by whether a slot of the plan assesses them."""

    covered: list[Dimension] = field(default_factory=list)
    missing: list[Dimension] = field(default_factory=list)

    @property
    def must_haves_missing(self) -> list[Dimension]:
        return [dimension for dimension in self.missing if dimension.must_have]

    @property
    def complete(self) -> bool:
        return not self.missing


def plan_coverage(plan: Plan) -> PlanCoverage:
    assessed = {dimension.pk for slot in plan.slots for dimension in slot.focus_dimensions.all()}
    result = PlanCoverage()
    for dimension in plan.profile.dimensions.order_by("order", "pk"):
        (result.covered if dimension.pk in assessed else result.missing).append(dimension)
    return result


@dataclass(frozen=True)
class SlotState:
    """One slot of a loop's plan, and the live interview that fills it (None: not yet)."""

    slot: PlanSlot
    interview: Interview | None

    @property
    def placed(self) -> bool:
        return self.interview is not None


def match(slots: Sequence[PlanSlot], interviews: Iterable[Interview]) -> list[SlotState]:
    """Pair each slot with at most one interview and each interview with at most one slot:
    first the interviews that name their slot, then, for slots still open, an unlinked
    interview with the slot's title (typed by hand, or from before the plan existed).
    Cancelled and no-show interviews fill nothing: the slot is still to be done."""
    live = [i for i in interviews if i.status not in Interview.NO_FEEDBACK_STATUSES]
    used: set[int] = set()
    found: dict[int, Interview] = {}
    for slot in slots:
        linked = next((i for i in live if i.plan_slot_id == slot.pk and i.pk not in used), None)
        if linked is not None:
            found[slot.pk] = linked
            used.add(linked.pk)
    slot_ids = {slot.pk for slot in slots}
    for slot in slots:
        if slot.pk in found:
            continue
        title = slot.title.casefold()
        same = next(
            (
                i
                for i in live
                if i.pk not in used
                and i.plan_slot_id not in slot_ids
                and i.title.casefold() == title
            ),
            None,
        )
        if same is not None:
            found[slot.pk] = same
            used.add(same.pk)
    return [SlotState(slot, found.get(slot.pk)) for slot in slots]


def slot_states(loop: Loop, plan: Plan | None = None) -> list[SlotState]:
    """The loop's plan, each slot with the interview that fills it: two queries for the
    plan (with its prefetches) and one for the interviews, however many slots there are."""
    plan = plan if plan is not None else plan_for(loop.requisition)
    interviews = loop.interviews.only(
        "pk", "loop_id", "title", "status", "plan_slot_id", "starts_at"
    )
    return match(plan.slots, interviews.order_by("starts_at", "pk"))


def next_slot(loop: Loop, plan: Plan | None = None) -> PlanSlot | None:
    """The first slot of the loop's plan that no live interview fills yet."""
    return next((state.slot for state in slot_states(loop, plan) if not state.placed), None)


def slot_in_plan(requisition: Requisition, slot_id: object) -> PlanSlot | None:
    """The slot with this id when it belongs to the plan the requisition follows."""
    if not str(slot_id).isdigit():
        return None
    plan = plan_for(requisition)
    return next((slot for slot in plan.slots if slot.pk == int(str(slot_id))), None)


def panel_errors(
    slot: PlanSlot, requisition: Requisition, interviewers: Iterable[User]
) -> list[str]:
    """What an interview filling ``slot`` must have on its panel: the hiring manager, when
    the plan says so."""
    if not slot.hiring_manager_required:
        return []
    manager = requisition.hiring_manager
    if manager is None:
        return [
            f"“{slot.title}” needs the hiring manager on its panel, and this requisition has "
            "none yet."
        ]
    if manager.pk not in {person.pk for person in interviewers}:
        return [
            f"“{slot.title}” needs the hiring manager, {manager.display_name}, on its panel "
            "(the interview plan says so)."
        ]
    return []


@dataclass(frozen=True)
class SlotRow:
    """One slot as a plan form has it, before it is saved (``key``: its id, or a
    placeholder for a new one)."""

    key: object
    title: str
    position: int
    dimensions: Sequence[Dimension] = ()
    case_exercise: Any = None
    after: object = None
    hiring_manager_required: bool = False


def plan_errors(profile: RoleProfile, rows: Sequence[SlotRow]) -> list[str]:
    """What is wrong with a plan as a whole: focus or a case from another profile, the same
    position twice, an order in a circle, a hiring manager the profile keeps off panels."""
    errors: list[str] = []
    for row in rows:
        errors += choice_errors(
            title=row.title,
            profile_id=profile.pk,
            dimensions=row.dimensions,
            case_exercise=row.case_exercise,
        )
        if row.hiring_manager_required and not profile.hiring_manager_may_interview:
            errors.append(
                f"“{row.title}” asks for the hiring manager, but the role profile "
                f"{profile.name} keeps hiring managers off panels."
            )
    positions: dict[int, list[str]] = {}
    for row in rows:
        positions.setdefault(row.position, []).append(row.title)
    for position, titles in sorted(positions.items()):
        if len(titles) > 1:
            names = " and ".join(f"“{title}”" for title in titles)
            errors.append(f"{names} share position {position}: give each slot its own.")
    errors += order_errors(
        {row.key: row.after for row in rows}, {row.key: row.title for row in rows}
    )
    return errors
