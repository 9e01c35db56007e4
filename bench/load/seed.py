"""Seed a real company's tenant (issue 14) with COPY, deterministically (a fixed random seed).

10,000 loops of five one-interviewer interviews (50,000) over 60 requisitions of the VP of
Product profile (ten dimensions, every interview focused on all ten):

- 40 % decided (interviews 20-300 days ago, every scorecard in, a current decision);
- 20 % ready for debrief (1-20 days ago, every scorecard in);
- 40 % awaiting feedback (1 h - 14 days ago, about half the scorecards in): the ~10,000
  seats still owing a scorecard are what the benchmark's interviewers submit.

About 40,000 submitted scorecards with their current revision and ten ratings each
(~400,000), rated from a hidden candidate ability and interviewer leniency so that the
calibration has something to fit. 2,000 interviewers, 6,000 candidates (most have loops for
more than one requisition). ``manager0`` manages 20 requisitions holding 4,498 loops, one of
them 1,000 loops (the compare page's worst case); eight more managers share the other 40.
``recruiter0`` recruits for 30 requisitions, ``recruiter1`` for the other 30.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.sweep_benchmark import copy_rows

SEED = 14
INTERVIEWERS = 2_000
CANDIDATES = 6_000
LOOPS = 10_000
SLOTS = ("Product sense", "Execution", "Leadership", "Strategy", "Hiring manager")
REQUISITIONS = 60
MANAGER_REQUISITIONS = 20  # manager0's
MANAGER_LOOPS = 4_498  # in manager0's requisitions
BIG_REQUISITION = 1_000  # loops of manager0's first requisition
OTHER_MANAGERS = 8  # five requisitions each
RECRUITER_REQUISITIONS = 30  # recruiter0's; recruiter1 has the rest
DECIDED, READY, AWAITING = "decided", "ready_for_debrief", "awaiting_feedback"
RECOMMENDATIONS = ("strong_no", "no", "yes", "strong_yes")


def spread(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def requisition_sizes() -> list[int]:
    """Loops per requisition: manager0's twenty first (one of 1,000), then the rest."""
    return [
        BIG_REQUISITION,
        *spread(MANAGER_LOOPS - BIG_REQUISITION, MANAGER_REQUISITIONS - 1),
        *spread(LOOPS - MANAGER_LOOPS, REQUISITIONS - MANAGER_REQUISITIONS),
    ]


@dataclass
class LoopPlan:
    index: int
    requisition: int  # index
    status: str
    ability: float
    panel: list[int]  # interviewer indexes, one per slot
    ends: list[datetime]
    submitted: list[bool]


@dataclass
class Tenant:
    """What the load needs to know of the seeded tenant (ids are database ids)."""

    manager: int
    recruiter: int
    api_users: list[int]
    manager_requisitions: list[int]
    big_requisition: int
    manager_loops: list[int]
    recruiter_loops: list[int]
    dimensions: list[int]
    owed: list[tuple[int, int]]  # (interviewer, interview), shuffled
    counts: dict[str, int] = field(default_factory=dict)


def plan_loops(now: datetime, rng: random.Random) -> list[LoopPlan]:
    plans: list[LoopPlan] = []
    loop = 0
    for requisition, size in enumerate(requisition_sizes()):
        for _ in range(size):
            draw = rng.random()
            status = DECIDED if draw < 0.4 else READY if draw < 0.6 else AWAITING
            if status == DECIDED:
                last = now - timedelta(days=rng.uniform(20, 300))
            elif status == READY:
                last = now - timedelta(days=rng.uniform(1, 20))
            else:
                last = now - timedelta(hours=rng.uniform(1, 14 * 24))
            ends = [last - timedelta(hours=2 * (len(SLOTS) - 1 - s)) for s in range(len(SLOTS))]
            submitted = [status != AWAITING or rng.random() < 0.5 for _ in SLOTS]
            if status == AWAITING and all(submitted):
                submitted[rng.randrange(len(SLOTS))] = False  # it would be ready otherwise
            plans.append(
                LoopPlan(
                    index=loop,
                    requisition=requisition,
                    status=status,
                    ability=rng.gauss(0, 0.7),
                    panel=rng.sample(range(INTERVIEWERS), len(SLOTS)),
                    ends=ends,
                    submitted=submitted,
                )
            )
            loop += 1
    return plans


def _people(now: datetime) -> dict[str, int]:
    """Interviewers 1..2000, then the managers and recruiters; returns their ids by name."""
    from django.contrib.auth.models import Group

    from hiring.models import User
    from hiring.roles import RECRUITERS_GROUP

    names = [f"interviewer{i}" for i in range(INTERVIEWERS)]
    names += [f"manager{i}" for i in range(OTHER_MANAGERS + 1)]
    names += ["recruiter0", "recruiter1"]
    ids = {name: n + 1 for n, name in enumerate(names)}
    copy_rows(
        User,
        (
            {"id": pk, "username": name, "email": f"{name}@example.com",
             "first_name": name.rstrip("0123456789").title(),
             "last_name": name.lstrip("abcdefghijklmnopqrstuvwxyz"),
             "is_staff": name.startswith("recruiter"), "date_joined": now - timedelta(days=400)}
            for name, pk in ids.items()
        ),
    )  # fmt: skip
    group = Group.objects.get(name=RECRUITERS_GROUP)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=ids[name], group_id=group.pk)
        for name in ("recruiter0", "recruiter1")
    )
    return ids


def _requisitions(now: datetime, people: dict[str, int]) -> list[int]:
    from hiring.models import Requisition, RoleProfile

    profile = RoleProfile.objects.get(slug="vp-of-product")

    def manager(r: int) -> int:
        if r < MANAGER_REQUISITIONS:
            return people["manager0"]
        return people[f"manager{1 + (r - MANAGER_REQUISITIONS) // 5}"]

    copy_rows(
        Requisition,
        (
            {"id": r + 1, "created_at": now - timedelta(days=400), "updated_at": now,
             "title": f"VP of Product #{r + 1}", "profile_id": profile.pk,
             "hiring_manager_id": manager(r), "status": "open"}
            for r in range(REQUISITIONS)
        ),
    )  # fmt: skip
    copy_rows(
        Requisition.recruiters.through,
        (
            {"id": r + 1, "requisition_id": r + 1,
             "user_id": people["recruiter0" if r < RECRUITER_REQUISITIONS else "recruiter1"]}
            for r in range(REQUISITIONS)
        ),
    )  # fmt: skip
    return [r + 1 for r in range(REQUISITIONS)]


def _loops(now: datetime, plans: list[LoopPlan], people: dict[str, int]) -> None:
    from hiring.models import Candidate, Decision, Loop

    copy_rows(
        Candidate,
        (
            {"id": c + 1, "created_at": now - timedelta(days=400), "updated_at": now,
             "full_name": f"Candidate {c:04d}", "email": f"candidate{c}@example.com",
             "current_title": "Product lead", "source": "referral"}
            for c in range(CANDIDATES)
        ),
    )  # fmt: skip
    copy_rows(
        Loop,
        (
            {"id": p.index + 1, "created_at": p.ends[0] - timedelta(days=14),
             "updated_at": p.ends[-1], "candidate_id": p.index % CANDIDATES + 1,
             "requisition_id": p.requisition + 1, "status": p.status}
            for p in plans
        ),
    )  # fmt: skip
    decided = [p for p in plans if p.status == DECIDED]
    copy_rows(
        Decision,
        (
            {"id": n + 1, "loop_id": p.index + 1,
             "outcome": "hire" if p.ability > 0.5 else "no_hire",
             "rationale": "Decided at the debrief: the calibrated summary and the panel agree.",
             "decided_by_id": people["manager0"] if p.requisition < MANAGER_REQUISITIONS
             else people[f"manager{1 + (p.requisition - MANAGER_REQUISITIONS) // 5}"],
             "decided_at": p.ends[-1] + timedelta(days=3), "is_current": True}
            for n, p in enumerate(decided)
        ),
    )  # fmt: skip


def _interview_id(plan: LoopPlan, slot: int) -> int:
    return plan.index * len(SLOTS) + slot + 1


def _interviews(now: datetime, plans: list[LoopPlan], dimensions: list[int]) -> None:
    from hiring.models import Interview

    copy_rows(
        Interview,
        (
            {"id": _interview_id(p, s), "created_at": p.ends[0] - timedelta(days=10),
             "updated_at": p.ends[s], "loop_id": p.index + 1, "title": title,
             "starts_at": p.ends[s] - timedelta(hours=1), "ends_at": p.ends[s],
             "time_zone": "UTC", "status": "completed", "calendar_sequence": 0}
            for p in plans
            for s, title in enumerate(SLOTS)
        ),
    )  # fmt: skip
    copy_rows(
        Interview.interviewers.through,
        (
            {"id": _interview_id(p, s), "interview_id": _interview_id(p, s),
             "user_id": p.panel[s] + 1}
            for p in plans
            for s in range(len(SLOTS))
        ),
    )  # fmt: skip
    copy_rows(
        Interview.focus_dimensions.through,
        (
            {"id": (_interview_id(p, s) - 1) * len(dimensions) + d + 1,
             "interview_id": _interview_id(p, s), "dimension_id": dimension}
            for p in plans
            for s in range(len(SLOTS))
            for d, dimension in enumerate(dimensions)
        ),
    )  # fmt: skip


def _scorecards(
    now: datetime, plans: list[LoopPlan], dimensions: list[int], rng: random.Random
) -> dict[str, int]:
    from scorecards.models import DimensionRating, Scorecard, ScorecardRevision

    leniency = [rng.gauss(0, 0.5) for _ in range(INTERVIEWERS)]
    scorecards: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    for p in plans:
        for s in range(len(SLOTS)):
            if not p.submitted[s]:
                continue
            pk = len(scorecards) + 1
            at = min(p.ends[s] + timedelta(hours=rng.uniform(1, 48)), now - timedelta(minutes=5))
            values = [
                min(4, max(1, round(2.6 + p.ability + leniency[p.panel[s]] + rng.gauss(0, 0.6))))
                for _ in dimensions
            ]
            mean = sum(values) / len(values)
            scorecards.append(
                {"id": pk, "interview_id": _interview_id(p, s), "interviewer_id": p.panel[s] + 1,
                 "status": "submitted", "first_submitted_at": at, "last_submitted_at": at,
                 "created_at": p.ends[s]}
            )  # fmt: skip
            revisions.append(
                {"id": pk, "scorecard_id": pk, "number": 1, "submitted_at": at, "is_current": True,
                 "overall_recommendation": RECOMMENDATIONS[min(3, max(0, round(mean - 1.2)))],
                 "key_takeaways": "Structured, candid about trade-offs; see the evidence.",
                 "created_at": p.ends[s], "updated_at": at}
            )  # fmt: skip
            first = len(ratings) + 1
            ratings.extend(
                {"id": first + d, "revision_id": pk, "dimension_id": dimension,
                 "rating": value, "scale_max": 4,
                 "evidence": f"Asked about {SLOTS[s].lower()}; the answer rated {value}."}
                for d, (dimension, value) in enumerate(zip(dimensions, values, strict=True))
            )  # fmt: skip
    copy_rows(Scorecard, scorecards)
    copy_rows(ScorecardRevision, revisions)
    copy_rows(DimensionRating, ratings)
    return {"submitted scorecards": len(scorecards), "ratings": len(ratings)}


def seed(now: datetime) -> Tenant:
    """Write the tenant (after ``migrate``, which loads the rubric) and ANALYZE it."""
    from django.db import connection

    from hiring.models import Dimension

    rng = random.Random(SEED)
    dimensions = list(
        Dimension.objects.filter(profile__slug="vp-of-product")
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    plans = plan_loops(now, rng)
    people = _people(now)
    requisitions = _requisitions(now, people)
    _loops(now, plans, people)
    _interviews(now, plans, dimensions)
    counts = _scorecards(now, plans, dimensions, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    owed = [
        (p.panel[s] + 1, _interview_id(p, s))
        for p in plans
        for s in range(len(SLOTS))
        if not p.submitted[s]
    ]
    rng.shuffle(owed)
    manager_loops = [p.index + 1 for p in plans if p.requisition < MANAGER_REQUISITIONS]
    return Tenant(
        manager=people["manager0"],
        recruiter=people["recruiter0"],
        api_users=[people[n] for n in ("recruiter0", "recruiter1", "manager0", "manager1")],
        manager_requisitions=requisitions[:MANAGER_REQUISITIONS],
        big_requisition=requisitions[0],
        manager_loops=manager_loops,
        recruiter_loops=[p.index + 1 for p in plans if p.requisition < RECRUITER_REQUISITIONS],
        dimensions=dimensions,
        owed=owed,
        counts={
            "loops": len(plans),
            "interviews": len(plans) * len(SLOTS),
            **counts,
            "seats owing a scorecard": len(owed),
            "interviewers": INTERVIEWERS,
            "candidates": CANDIDATES,
            "requisitions": REQUISITIONS,
            "manager0's loops": len(manager_loops),
            "decided loops": sum(1 for p in plans if p.status == DECIDED),
            "open loops": sum(1 for p in plans if p.status != DECIDED),
        },
    )
