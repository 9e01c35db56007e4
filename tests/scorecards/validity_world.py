"""A role profile's history of hires for the predictive validity tests (issue 18): decided hires
with submitted scorecards, outcomes from the same hidden ability, and their summaries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from hiring.models import Decision, HireOutcome, Loop, RoleProfile, User
from scorecards.calibration import summaries
from scorecards.models import DimensionRating, Scorecard, ScorecardRevision
from tests.factories import InterviewFactory, LoopFactory, RequisitionFactory, UserFactory


def hire_history(
    requisition, panel: list[User], n: int, *, seed: int = 1, noisy: User | None = None
) -> list[Loop]:
    """``n`` decided hires of ``requisition`` with submitted scorecards from ``panel`` on the
    profile's first three dimensions (the first two load on a hidden ability, the third is
    noise), a 12-month outcome from the same ability, and their summaries computed."""
    rng = random.Random(seed)
    dimensions = list(requisition.profile.dimensions.order_by("order", "pk")[:3])
    now = timezone.now()
    loops = []
    for _ in range(n):
        ability = rng.gauss(0, 1)
        loop = LoopFactory(requisition=requisition, status=Loop.Status.DECIDED)
        interview = InterviewFactory(
            loop=loop,
            interviewers=panel,
            focus=[d.slug for d in dimensions],
            starts_at=now - timedelta(days=420),
        )
        for person in panel:
            spread = 2.0 if person == noisy else 0.3
            card = Scorecard.objects.create(
                interview=interview,
                interviewer=person,
                status=Scorecard.Status.SUBMITTED,
                first_submitted_at=now,
                last_submitted_at=now,
            )
            revision = ScorecardRevision.objects.create(
                scorecard=card,
                number=1,
                submitted_at=now,
                is_current=True,
                overall_recommendation="yes",
            )
            DimensionRating.objects.bulk_create(
                DimensionRating(
                    revision=revision,
                    dimension=dimension,
                    rating=max(
                        1,
                        min(
                            4,
                            round(
                                2.5 + (ability if k < 2 else rng.gauss(0, 1)) + rng.gauss(0, spread)
                            ),
                        ),
                    ),
                    evidence="Specific.",
                )
                for k, dimension in enumerate(dimensions)
            )
        Decision.objects.create(
            loop=loop,
            outcome=Decision.Outcome.HIRE,
            rationale="Strong.",
            decided_by=requisition.hiring_manager,
            decided_at=now - timedelta(days=400),
        )
        HireOutcome.objects.create(
            loop=loop,
            months=12,
            performance=max(1, min(5, round(3 + ability + rng.gauss(0, 0.3)))),
            scale_max=5,
            still_employed=True,
            recorded_by=requisition.hiring_manager,
            recorded_at=now,
        )
        loops.append(loop)
    summaries.loop_summaries_compute([loop.pk for loop in loops])
    return loops


@dataclass
class History:
    profile: RoleProfile
    recruiter: User
    manager: User
    panel: list[User]
    other_recruiter: User
    admin: User
    loops: list[Loop]
    other_loops: list[Loop]


@pytest.fixture(name="history")
def history_fixture(settings) -> History:
    settings.VALIDITY_RESAMPLES = 200
    recruiter = UserFactory(username="rita", is_staff=True)
    manager = UserFactory(username="hugo")
    panel = [UserFactory(username="iris"), UserFactory(username="jonas")]
    other_recruiter = UserFactory(username="otto", is_staff=True)
    admin = UserFactory(username="ada", is_staff=True, is_superuser=True)
    mine = RequisitionFactory(title="VP of Product, Payments 2025", hiring_manager=manager)
    mine.recruiters.add(recruiter)
    theirs = RequisitionFactory(title="VP of Product, Growth 2025")
    theirs.recruiters.add(other_recruiter)
    loops = hire_history(mine, panel, 18, seed=1, noisy=panel[1])
    other_loops = hire_history(theirs, panel, 4, seed=2)
    return History(
        profile=mine.profile,
        recruiter=recruiter,
        manager=manager,
        panel=panel,
        other_recruiter=other_recruiter,
        admin=admin,
        loops=loops,
        other_loops=other_loops,
    )
